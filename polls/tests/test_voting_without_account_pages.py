"""The poll page and its vote forms in each voter mode (polls/views/voting.py, detail.py),
through Django's test client: who may vote, what the page says before the vote, the voter
cookie, invite links, names, and the who-voted list."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from polls import services
from polls.models import Ballot, InviteCode, VoterMode, VoterNames
from polls.voter_requests import VOTER_COOKIE

from .factories import PollFactory, UserFactory
from .tallies import assert_counters_equal_choices

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def page(poll, **query):
    url = reverse("polls:detail", kwargs={"public_id": poll.public_id})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def vote_url(poll, action="vote"):
    return reverse(f"polls:{action}", kwargs={"public_id": poll.public_id})


def first(poll) -> int:
    return poll.options.order_by("position").first().pk


def test_the_page_of_a_browser_poll_gives_a_signed_http_only_voter_cookie():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    response = Client().get(page(poll))

    cookie = response.cookies[VOTER_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert ":" in cookie.value  # signed
    assert "One vote per browser, no account needed: clearing your cookies" in text_of(response)
    assert "Your ballot is secret" in text_of(response)
    assert "disabled" not in response.content.decode().split("vote-form")[1].split("</form>")[0]


def test_two_browsers_vote_once_each_and_the_same_browser_is_refused_a_second_time():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    first_browser, second_browser = Client(), Client()
    for browser in (first_browser, second_browser):
        browser.get(page(poll))
        response = browser.post(vote_url(poll), {"option": first(poll)}, follow=True)
        assert "Your vote is counted. Thank you!" in flashes(response)
    response = first_browser.post(vote_url(poll), {"option": first(poll)}, follow=True)
    assert "You have already voted in this poll." in flashes(response)
    assert Ballot.objects.filter(poll=poll).count() == 2
    assert_counters_equal_choices(poll)
    # The page recognises the browser's own ballot.
    assert "You voted for" in text_of(first_browser.get(page(poll)))


def test_a_browser_without_the_cookie_or_with_a_forged_one_is_refused_in_words():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    browser = Client()
    response = browser.post(vote_url(poll), {"option": first(poll)}, follow=True)
    assert services.BrowserNotKnown.message in flashes(response)
    browser.cookies[VOTER_COOKIE] = "A" * 22
    response = browser.post(vote_url(poll), {"option": first(poll)}, follow=True)
    assert services.BrowserNotKnown.message in flashes(response)
    assert Ballot.objects.count() == 0


def test_an_account_poll_still_sends_visitors_to_log_in():
    poll = PollFactory()
    response = Client().post(vote_url(poll), {"option": first(poll)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert VOTER_COOKIE not in Client().get(page(poll)).cookies


def test_with_the_challenge_on_a_vote_without_its_solution_is_refused_with_a_message(settings):
    settings.VOTR_CHALLENGE_DIFFICULTY = 1000
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    browser = Client()
    html = browser.get(page(poll)).content.decode()
    assert "needs JavaScript, for its anti-spam check" in html
    response = browser.post(vote_url(poll), {"option": first(poll)}, follow=True)
    assert any("anti-spam" in message or "challenge" in message for message in flashes(response))
    assert Ballot.objects.count() == 0


def test_an_invite_link_votes_once_without_javascript_and_the_code_is_then_used():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    (invite,) = services.invite_codes_create(poll=poll, by=poll.author, count=1)
    browser = Client()
    html = browser.get(page(poll, code=invite.code)).content.decode()
    assert f'name="code" value="{invite.code}"' in html

    response = browser.post(
        vote_url(poll), {"option": first(poll), "code": invite.code}, follow=True
    )
    assert "Your vote is counted. Thank you!" in flashes(response)
    assert "You voted for" in text_of(response)  # back on the link's page, with the code
    assert InviteCode.objects.get().used
    again = Client().post(vote_url(poll), {"option": first(poll), "code": invite.code}, follow=True)
    assert "You have already voted in this poll." in flashes(again)


def test_a_code_poll_without_a_code_says_how_to_vote_and_refuses_unknown_codes():
    poll = PollFactory(voter_mode=VoterMode.CODE)
    assert "takes votes by invite code only" in text_of(Client().get(page(poll)))
    response = Client().post(vote_url(poll), {"option": first(poll), "code": "nope"}, follow=True)
    assert services.InviteCodeRefused.message in flashes(response)
    response = Client().post(vote_url(poll), {"option": first(poll), "code": "<b>"}, follow=True)
    assert services.InviteCodeNeeded.message in flashes(response)


def test_an_open_poll_takes_every_vote_and_says_so():
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    browser = Client()
    assert "anyone can vote, as often as they like" in text_of(browser.get(page(poll)))
    for _ in range(3):
        browser.post(vote_url(poll), {"option": first(poll)})
    assert Ballot.objects.filter(poll=poll).count() == 3


def test_a_browser_voter_changes_and_retracts_their_vote():
    poll = PollFactory(voter_mode=VoterMode.BROWSER, allow_vote_change=True)
    browser = Client()
    browser.get(page(poll))
    browser.post(vote_url(poll), {"option": first(poll)})
    last = poll.options.order_by("position").last().pk
    response = browser.post(vote_url(poll, "vote-change"), {"option": last}, follow=True)
    assert "Your vote is changed." in flashes(response)
    response = browser.post(vote_url(poll, "vote-retract"), follow=True)
    assert Ballot.objects.count() == 0
    assert_counters_equal_choices(poll)


def test_a_required_name_is_asked_for_and_refused_when_blank():
    poll = PollFactory(voter_mode=VoterMode.BROWSER, voter_names=VoterNames.REQUIRED)
    browser = Client()
    html = browser.get(page(poll)).content.decode()
    assert 'name="name"' in html
    assert "required" in html
    response = browser.post(vote_url(poll), {"option": first(poll), "name": " "}, follow=True)
    assert services.NameRequired.message in flashes(response)
    browser.post(vote_url(poll), {"option": first(poll), "name": "Ada"})
    assert Ballot.objects.get().voter_name == "Ada"


def test_a_signed_in_voter_sees_their_username_and_may_hide_it_where_optional(client):
    ada = UserFactory(username="ada")
    poll = PollFactory(voter_names=VoterNames.OPTIONAL)
    client.force_login(ada)
    html = client.get(page(poll)).content.decode()
    assert "You vote as <strong>ada</strong>" in html
    assert 'name="hide_name"' in html
    client.post(vote_url(poll), {"option": first(poll), "hide_name": "on"})
    assert Ballot.objects.get().voter_name == ""


def test_a_secret_polls_author_sees_who_voted_but_never_what_they_chose(client):
    poll = PollFactory(
        voter_mode=VoterMode.BROWSER, voter_names=VoterNames.REQUIRED, results_visibility="always"
    )
    for name in ("Zoe", "Ada"):
        browser = Client()
        browser.get(page(poll))
        browser.post(vote_url(poll), {"option": first(poll), "name": name})
    client.force_login(poll.author)
    html = client.get(page(poll)).content.decode()
    section = html.split('class="ballot-list"')[1].split("</section>")[0]
    assert "Who voted" in section
    assert section.index("Ada") < section.index("Zoe")  # alphabetical, not the order cast
    assert "Option 1" not in section
    # Names are the author's only: another visitor sees no list.
    assert 'class="ballot-list"' not in Client().get(page(poll)).content.decode()


def test_public_ballots_list_each_ballot_with_its_choices_and_say_so_before_the_vote():
    poll = PollFactory(voter_mode=VoterMode.OPEN, public_ballots=True, results_visibility="always")
    visitor = Client()
    assert "Your ballot is public:" in text_of(visitor.get(page(poll)))
    visitor.post(vote_url(poll), {"option": first(poll)})
    html = visitor.get(page(poll)).content.decode()
    section = html.split('class="ballot-list"')[1].split("</section>")[0]
    assert "Anonymous voter" in section
    assert "Option 1" in section


def test_the_live_results_of_an_after_vote_poll_show_to_the_browser_that_voted():
    poll = PollFactory(voter_mode=VoterMode.BROWSER)  # results after voting, the default
    browser = Client()
    browser.get(page(poll))
    results = reverse("polls:results", kwargs={"public_id": poll.public_id})
    before = browser.get(results)
    browser.post(vote_url(poll), {"option": first(poll)})
    after = browser.get(results, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["total_votes"] == 1


def test_the_home_page_shows_a_browser_its_after_vote_counts_once_it_voted():
    poll = PollFactory(title="Coffee or tea?", voter_mode=VoterMode.BROWSER)
    browser = Client()
    browser.get(page(poll))
    home = reverse("polls:index")
    assert "<strong>1</strong> vote" not in browser.get(home).content.decode()
    browser.post(vote_url(poll), {"option": first(poll)})
    assert "<strong>1</strong> vote" in browser.get(home).content.decode()
