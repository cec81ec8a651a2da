"""polls/views/voting.py and the poll page's ballot: multiple choice, changing and retracting a
vote, through Django's test client."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from polls import services
from polls.models import Ballot, Option, Poll

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def several(**kwargs) -> Poll:
    """Options A to D, 1 to 3 choices a ballot unless told otherwise."""
    kwargs.setdefault("min_choices", 1)
    kwargs.setdefault("max_choices", 3)
    return PollFactory(labels=["A", "B", "C", "D"], **kwargs)


def ids(poll, *labels) -> list[int]:
    return [poll.options.get(label=label).pk for label in labels]


def counts(poll) -> list[int]:
    return list(Option.objects.filter(poll=poll).values_list("votes", flat=True))


def url(name: str, poll) -> str:
    return reverse(f"polls:{name}", args=[poll.public_id])


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


# --- The ballot on the page -----------------------------------------------------------------


def test_a_multiple_choice_poll_asks_with_checkboxes_and_says_its_limits(signed_in):
    poll = several()

    response = signed_in.get(poll.get_absolute_url())

    html = response.content.decode()
    assert html.count('type="checkbox" name="options"') == 4
    assert 'type="radio"' not in html
    assert "<legend>Choose 1 to 3 options</legend>" in html
    assert 'data-min-choices="1" data-max-choices="3"' in html
    assert [option.label for option in response.context["vote_options"]] == ["A", "B", "C", "D"]


def test_a_poll_of_exactly_n_choices_says_so(signed_in):
    html = signed_in.get(several(min_choices=2, max_choices=2).get_absolute_url()).content

    assert b"<legend>Choose 2 options</legend>" in html


def test_a_single_choice_poll_asks_with_radio_buttons(signed_in, poll):
    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert html.count('type="radio" name="option"') == 3
    assert "<legend>Pick one answer</legend>" in html
    assert "data-choice-limits" not in html


def test_a_voter_may_be_told_up_front_that_they_can_change_their_vote(signed_in):
    changeable = signed_in.get(several(allow_vote_change=True).get_absolute_url())
    fixed = signed_in.get(several().get_absolute_url())

    sentence = "You can change your vote or retract it until the poll closes."
    assert sentence in text_of(changeable)
    assert sentence not in text_of(fixed)


# --- Voting for several options -------------------------------------------------------------


def test_a_vote_for_several_options_is_counted_and_shown(signed_in):
    poll = several()

    response = signed_in.post(url("vote", poll), {"options": ids(poll, "C", "A")}, follow=True)

    assert flashes(response) == ["Your vote is counted. Thank you!"]
    assert counts(poll) == [1, 0, 1, 0]
    html = response.content.decode()
    assert re.search(
        r"You voted for <strong>A</strong> and <strong>C</strong> on <time datetime=", html
    )
    text = text_of(response)
    assert "A your choice 1 vote · 100%" in text
    assert "C your choice 1 vote · 100%" in text
    assert "B 0 votes · 0%" in text
    assert "1 voter in total so far." in text
    assert "Shares are of the 1 voter; a voter may choose several" in text
    assert 'type="checkbox"' not in html  # no change allowed: no form


def test_three_choices_are_listed_with_commas_and_and(signed_in, user):
    poll = several()
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "D", "A", "B"))

    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "You voted for <strong>A</strong>, <strong>B</strong> and <strong>D</strong> on" in html


def test_a_vote_with_nothing_ticked_asks_for_the_minimum(signed_in):
    poll = several(min_choices=2)

    response = signed_in.post(url("vote", poll), {})

    assert flashes(response) == ["Choose at least 2 options."]
    assert not Ballot.objects.exists()


def test_a_single_choice_vote_with_nothing_chosen_still_asks_for_one(signed_in, poll):
    response = signed_in.post(url("vote", poll), {"options": [""]})

    assert flashes(response) == ["Choose an option, then press Vote."]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["A", "B", "C", "D"], "Choose at most 3 options."),
        (["A", "A"], "Choose each option only once."),
    ],
)
def test_the_server_checks_every_ballot_whatever_the_page_allowed(signed_in, labels, message):
    poll = several()

    response = signed_in.post(url("vote", poll), {"options": ids(poll, *labels)})

    assert response.status_code == 302
    assert flashes(response) == [message]
    assert counts(poll) == [0, 0, 0, 0]


def test_a_single_choice_form_sent_to_a_poll_that_now_takes_several_is_refused(signed_in):
    poll = several()

    response = signed_in.post(url("vote", poll), {"option": ids(poll, "A")[0]})

    assert flashes(response) == ["This poll lets you choose several options: choose again."]
    assert not Ballot.objects.exists()


def test_vote_for_several_query_count_is_fixed(
    signed_in, database_cache, django_assert_num_queries
):
    poll = several()
    chosen = ids(poll, "A", "B", "D")
    # As for one option (test_views): poll, session, user, the votes throttle (read, upsert),
    # then vote_cast: savepoint, options with their poll, ballot, choices, counter, release.
    with django_assert_num_queries(11):
        response = signed_in.post(url("vote", poll), {"options": chosen})
    assert flashes(response) == ["Your vote is counted. Thank you!"]


@pytest.mark.parametrize("options", [2, 20])
def test_poll_page_query_count_with_a_ballot_of_several(
    client, user, django_assert_num_queries, options
):
    poll = PollFactory(labels=[f"Choice {n}" for n in range(options)], max_choices=2)
    services.vote_cast(
        poll=poll, voter=user, option_ids=list(poll.options.values_list("pk", flat=True)[:2])
    )
    client.force_login(user)
    # session, user, poll with total, its options, my ballot with its choices
    with django_assert_num_queries(5):
        response = client.get(poll.get_absolute_url())
    assert len(response.context["my_choices"]) == 2


# --- Changing and retracting ----------------------------------------------------------------


@pytest.fixture
def voted(user):
    """A poll allowing vote changes, where `user` chose A and B."""
    poll = several(allow_vote_change=True)
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "B"))
    return poll


def test_a_voter_who_may_change_sees_results_then_their_ballot_preselected(signed_in, voted):
    response = signed_in.get(voted.get_absolute_url())

    html = response.content.decode()
    assert "Change your vote</h2>" in html
    assert html.index('class="results"') < html.index("Change your vote</h2>")
    checked = re.findall(r'id="option-(\d+)" value="\d+" checked', html)
    assert [int(pk) for pk in checked] == ids(voted, "A", "B")
    assert f'action="{url("vote-change", voted)}"' in html
    assert f'action="{url("vote-retract", voted)}"' in html
    assert ">Change my vote</button>" in html
    assert "Retract my vote</button>" in html
    assert html.count('name="csrfmiddlewaretoken"') >= 2


def test_a_single_choice_voter_who_may_change_sees_their_radio_button_checked(signed_in, user):
    poll = PollFactory(allow_vote_change=True)
    services.vote_cast(poll=poll, voter=user, option_id=poll.options.last().pk)

    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert f'type="radio" name="option" id="option-{poll.options.last().pk}"' in html
    assert re.findall(r'id="option-(\d+)" value="\d+" checked', html) == [
        str(poll.options.last().pk)
    ]


@pytest.mark.parametrize("closed", [False, True])
def test_no_change_form_where_the_poll_forbids_it_or_has_closed(signed_in, user, closed):
    poll = several(allow_vote_change=closed)
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A"))
    if closed:
        services.poll_close(poll=poll)

    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "You voted for <strong>A</strong> on" in html
    assert "Change your vote" not in html
    assert "Retract my vote" not in html
    assert 'type="checkbox"' not in html


def test_changing_a_vote_moves_the_counts_and_shows_the_latest(signed_in, user, voted):
    before = Ballot.objects.get(voter=user).cast_at

    response = signed_in.post(url("vote-change", voted), {"options": ids(voted, "D")}, follow=True)

    assert flashes(response) == ["Your vote is changed."]
    assert counts(voted) == [0, 0, 0, 1]
    latest = Ballot.objects.get(voter=user).cast_at
    assert latest > before
    html = response.content.decode()
    assert f'You voted for <strong>D</strong> on <time datetime="{latest.isoformat()}"' in html


def test_changing_a_vote_where_it_is_not_allowed_says_so(signed_in, user):
    poll = several()
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A"))

    response = signed_in.post(url("vote-change", poll), {"options": ids(poll, "B")})

    assert flashes(response) == ["This poll does not let voters change or retract their vote."]
    assert counts(poll) == [1, 0, 0, 0]


def test_changing_to_nothing_asks_for_a_choice(signed_in, voted):
    response = signed_in.post(url("vote-change", voted), {}, follow=True)
    single = PollFactory(allow_vote_change=True)
    to_nothing = signed_in.post(url("vote-change", single), {}, follow=True)

    assert flashes(response) == ["Choose at least one option."]
    assert flashes(to_nothing) == ["Choose an option, then press Change my vote."]
    assert counts(voted) == [1, 1, 0, 0]


def test_retracting_a_vote_takes_it_off_and_offers_the_ballot_again(signed_in, user, voted):
    response = signed_in.post(url("vote-retract", voted), follow=True)

    assert flashes(response) == [
        "Your vote is retracted: it no longer counts. You can vote again while the poll is open."
    ]
    assert not Ballot.objects.filter(voter=user).exists()
    assert counts(voted) == [0, 0, 0, 0]
    html = response.content.decode()
    assert "You voted for" not in html
    assert ">Vote</button>" in html
    assert " checked" not in html


def test_retracting_without_a_vote_or_where_forbidden_says_why(signed_in, user):
    forbidden = several()
    services.vote_cast(poll=forbidden, voter=user, option_ids=ids(forbidden, "A"))

    unvoted = several(allow_vote_change=True)
    assert flashes(signed_in.post(url("vote-retract", unvoted), follow=True)) == [
        "You have not voted in this poll."
    ]
    assert flashes(signed_in.post(url("vote-retract", forbidden), follow=True)) == [
        "This poll does not let voters change or retract their vote."
    ]
    assert counts(forbidden) == [1, 0, 0, 0]


@pytest.mark.parametrize("name", ["vote-change", "vote-retract"])
def test_visitors_are_sent_to_log_in_and_unknown_polls_are_404(client, signed_in, voted, name):
    anonymous = Client().post(url(name, voted), {"options": ids(voted, "C")})
    missing = signed_in.post(reverse(f"polls:{name}", args=["nope"]), {"options": [1]})

    assert anonymous.status_code == 302
    assert anonymous.url == f"{reverse('login')}?next={voted.get_absolute_url()}"
    assert missing.status_code == 404
    assert signed_in.get(url(name, voted)).status_code == 405
    assert counts(voted) == [1, 1, 0, 0]


@pytest.mark.parametrize("name", ["vote-change", "vote-retract"])
def test_changes_and_retractions_need_the_csrf_token(user, voted, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(url(name, voted), {"options": ids(voted, "C")})

    assert response.status_code == 403
    assert counts(voted) == [1, 1, 0, 0]


def test_another_voters_ballot_is_untouched_by_a_change(signed_in, user, voted):
    other = UserFactory()
    services.vote_cast(poll=voted, voter=other, option_ids=ids(voted, "C"))

    signed_in.post(url("vote-change", voted), {"options": ids(voted, "B", "C")})
    signed_in.post(url("vote-retract", voted))

    assert counts(voted) == [0, 0, 1, 0]
    assert Ballot.objects.get().voter == other
