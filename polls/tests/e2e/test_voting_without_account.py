"""Voting without an account in a real browser (Chromium) against the live server: two browser
contexts are two browsers; the same context voting twice is refused; the anti-spam check is
solved by ALTCHA's widget under the site's Content-Security-Policy; invite links work with
JavaScript off; a browser poll with JavaScript off says why it cannot take the vote."""

import pytest
from playwright.sync_api import expect

from polls import services
from polls.models import Ballot, InviteCode, VoterMode, VoterNames
from polls.tests.factories import PollFactory

from .conftest import check_accessibility, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _easy_challenge(settings):
    # A real challenge, solved by the widget in its Web Worker, at a cost a test can wait for.
    settings.VOTR_CHALLENGE_DIFFICULTY = 10


def vote_in(page, poll, label: str, *, name: str | None = None) -> None:
    page.goto(poll.get_absolute_url())
    page.get_by_label(label).check()
    if name is not None:
        page.get_by_label("Your name").fill(name)
    if page.locator("altcha-widget").count():
        # The widget starts working as the form gets focus; its answer fills the field.
        page.wait_for_function(
            "() => (document.querySelector('input[name=altcha]') || {}).value",
            timeout=30_000,
        )
    page.get_by_role("button", name="Vote").click()


def test_two_browsers_are_two_voters_and_one_browser_votes_once(new_page, axe_script):
    poll = PollFactory(
        title="Lunch?",
        labels=["Pizza", "Soup"],
        voter_mode=VoterMode.BROWSER,
        results_visibility="always",
    )
    first, second = new_page(), new_page()
    vote_in(first, poll, "Pizza")
    expect(first.get_by_text("Your vote is counted. Thank you!")).to_be_visible()
    vote_in(second, poll, "Soup")
    expect(second.get_by_text("Your vote is counted. Thank you!")).to_be_visible()
    assert Ballot.objects.filter(poll=poll).count() == 2

    first.goto(poll.get_absolute_url())
    expect(first.get_by_text("You voted for")).to_be_visible()
    expect(first.get_by_role("button", name="Vote")).to_have_count(0)
    # A second POST from the same browser, as a script would send it, is refused.
    response = first.request.post(
        f"{poll.get_absolute_url()}vote",
        form={"option": str(poll.options.get(label="Soup").pk)},
        headers={"Referer": first.url},
        max_redirects=0,
        fail_on_status_code=False,
    )
    assert response.status in (302, 403)
    assert Ballot.objects.filter(poll=poll).count() == 2

    page = new_page(axe=True)
    page.goto(poll.get_absolute_url())
    expect(page.get_by_text("One vote per browser, no account needed")).to_be_visible()
    screenshot(page, "poll-one-vote-per-browser")
    assert check_accessibility(page, axe_script) == []


def test_a_browser_poll_with_javascript_off_says_so_and_refuses_clearly(new_page):
    poll = PollFactory(labels=["Yes", "No"], voter_mode=VoterMode.BROWSER)
    page = new_page(javascript=False)
    page.goto(poll.get_absolute_url())
    expect(page.get_by_text("needs JavaScript, for its anti-spam check")).to_be_visible()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_text(services.challenges.CHALLENGE_MISSING)).to_be_visible()
    assert Ballot.objects.count() == 0


def test_an_invite_link_votes_with_javascript_off_once(new_page):
    poll = PollFactory(labels=["Red", "Blue"], voter_mode=VoterMode.CODE)
    (invite,) = services.invite_codes_create(poll=poll, by=poll.author, count=1)
    link = f"{poll.get_absolute_url()}?code={invite.code}"
    page = new_page(javascript=False)
    page.goto(link)
    page.get_by_label("Blue").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_text("Your vote is counted. Thank you!")).to_be_visible()
    expect(page.get_by_text("You voted for")).to_be_visible()
    assert InviteCode.objects.get().used

    other = new_page(javascript=False)
    other.goto(link)
    expect(other.get_by_text("You voted for")).to_be_visible()  # the code's ballot, not a new one
    assert Ballot.objects.count() == 1


def test_an_open_poll_takes_a_named_vote_from_every_browser(new_page):
    poll = PollFactory(
        labels=["Yes", "No"],
        voter_mode=VoterMode.OPEN,
        voter_names=VoterNames.OPTIONAL,
        names_shown_to="everyone",
        results_visibility="always",
    )
    for name in ("Ada", "Grace"):
        page = new_page()
        vote_in(page, poll, "Yes", name=name)
        expect(page.get_by_text("Your vote is counted. Thank you!")).to_be_visible()
    page.goto(poll.get_absolute_url())
    who = page.get_by_role("region", name="Who voted")
    expect(who.get_by_text("Ada")).to_be_visible()
    expect(who.get_by_text("Grace")).to_be_visible()
    assert Ballot.objects.filter(poll=poll).count() == 2
