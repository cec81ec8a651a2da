"""Multiple choice, changing and retracting a vote, in a real browser (Chromium) against the
live server: by keyboard alone, with the mouse, and with JavaScript off."""

import pytest
from playwright.sync_api import expect

from polls import services
from polls.models import Ballot, Option
from polls.tests.factories import PollFactory, UserFactory

from .conftest import check_accessibility, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGED = "Your vote is changed."
RETRACTED = "Your vote is retracted: it no longer counts."


def counts(poll) -> dict[str, int]:
    return dict(Option.objects.filter(poll=poll).values_list("label", "votes"))


def tab_to(page, selector: str, *, presses: int = 40) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_multiple_choice_vote_by_keyboard_alone(page):
    poll = PollFactory(
        title="Which languages do you use?",
        labels=["Python", "Rust", "Go", "Elixir"],
        min_choices=1,
        max_choices=2,
    )
    log_in(page, UserFactory().username)
    page.goto(poll.get_absolute_url())
    expect(page.locator("legend")).to_have_text("Choose 1 to 2 options")

    tab_to(page, "input[type=checkbox]")
    expect(page.get_by_label("Python")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Rust")).to_be_focused()
    page.keyboard.press("Space")
    # At the maximum the script disables the rest and says why; the server checks anyway.
    expect(page.get_by_label("Go")).to_be_disabled()
    expect(page.locator("[data-choice-count]")).to_contain_text("2 of 2 chosen.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Vote")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Your vote is counted. Thank you!")).to_be_visible()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Python and Rust on")
    expect(page.locator(".total")).to_contain_text("1 voter in total so far")
    expect(page.locator(".shares-note")).to_contain_text("Shares are of the 1 voter")
    assert counts(poll) == {"Python": 1, "Rust": 1, "Go": 0, "Elixir": 0}


def test_unchecking_at_the_maximum_enables_the_others_again(page):
    poll = PollFactory(labels=["Red", "Green", "Blue"], min_choices=2, max_choices=2)
    log_in(page, UserFactory().username)
    page.goto(poll.get_absolute_url())

    page.get_by_label("Red").check()
    expect(page.locator("[data-choice-count]")).to_have_text("1 of 2 chosen. Choose at least 2.")
    page.get_by_label("Green").check()
    expect(page.get_by_label("Blue")).to_be_disabled()
    page.get_by_label("Red").uncheck()
    expect(page.get_by_label("Blue")).to_be_enabled()
    page.get_by_label("Blue").check()
    page.get_by_role("button", name="Vote").click()

    expect(page.locator(".your-vote")).to_contain_text("You voted for Green and Blue on")


def test_change_then_retract_a_vote(new_page, axe_script):
    poll = PollFactory(
        title="Which days suit you?",
        labels=["Monday", "Tuesday", "Wednesday", "Thursday"],
        min_choices=1,
        max_choices=4,
        allow_vote_change=True,
    )
    voter, other = UserFactory(), UserFactory()
    services.vote_cast(poll=poll, voter=other, option_ids=[poll.options.get(label="Monday").pk])
    page = new_page(axe=True)
    log_in(page, voter.username)
    page.goto(poll.get_absolute_url())
    expect(page.get_by_text("You can change your vote or retract it")).to_be_visible()
    page.get_by_label("Monday").check()
    page.get_by_label("Tuesday").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Monday and Tuesday on")

    # The results, then the ballot as cast, ready to change.
    change = page.get_by_role("region", name="Change your vote")
    expect(change.get_by_label("Monday")).to_be_checked()
    expect(change.get_by_label("Tuesday")).to_be_checked()
    expect(change.get_by_label("Wednesday")).not_to_be_checked()
    assert check_accessibility(page, axe_script) == []
    screenshot(page, "poll-change-vote")

    change.get_by_label("Monday").uncheck()
    change.get_by_label("Thursday").check()
    change.get_by_role("button", name="Change my vote").click()

    expect(page.get_by_text(CHANGED)).to_be_visible()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Tuesday and Thursday on")
    expect(page.locator('.result:has-text("Monday") [data-votes]')).to_have_text("1")
    expect(page.locator('.result:has-text("Thursday") [data-votes]')).to_have_text("1")
    expect(page.locator(".total")).to_contain_text("2 voters in total")
    assert counts(poll) == {"Monday": 1, "Tuesday": 1, "Wednesday": 0, "Thursday": 1}

    page.get_by_role("button", name="Retract my vote").click()

    expect(page.get_by_text(RETRACTED)).to_be_visible()
    expect(page.locator(".your-vote")).to_have_count(0)
    expect(page.get_by_role("button", name="Vote")).to_be_visible()
    assert counts(poll) == {"Monday": 1, "Tuesday": 0, "Wednesday": 0, "Thursday": 0}
    assert not Ballot.objects.filter(voter=voter).exists()


def test_without_javascript_vote_for_several_change_and_retract(new_page):
    poll = PollFactory(
        title="Toppings?",
        labels=["Cheese", "Olives", "Basil"],
        min_choices=1,
        max_choices=2,
        allow_vote_change=True,
    )
    voter = UserFactory()
    page = new_page(javascript=False)
    log_in(page, voter.username)
    page.goto(poll.get_absolute_url())

    # No script to stop a third tick: the server refuses it, and nothing is counted.
    for label in ("Cheese", "Olives", "Basil"):
        page.get_by_label(label).check()
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_role("alert")).to_have_text("Choose at most 2 options.")
    assert not Ballot.objects.exists()

    page.get_by_label("Cheese").check()
    page.get_by_label("Basil").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Cheese and Basil on")

    page.get_by_label("Basil").uncheck()
    page.get_by_label("Olives").check()
    page.get_by_role("button", name="Change my vote").click()
    expect(page.get_by_text(CHANGED)).to_be_visible()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Cheese and Olives on")
    assert counts(poll) == {"Cheese": 1, "Olives": 1, "Basil": 0}

    page.get_by_role("button", name="Retract my vote").click()
    expect(page.get_by_text(RETRACTED)).to_be_visible()
    assert counts(poll) == {"Cheese": 0, "Olives": 0, "Basil": 0}
    assert not Ballot.objects.exists()


def test_without_javascript_change_a_single_choice_vote_by_keyboard(new_page):
    poll = PollFactory(labels=["Tea", "Coffee"], allow_vote_change=True)
    page = new_page(javascript=False)
    log_in(page, UserFactory().username)
    page.goto(poll.get_absolute_url())
    page.get_by_label("Tea").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Tea on")

    tab_to(page, "input[type=radio]:checked")
    expect(page.get_by_label("Tea")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Coffee")).to_be_checked()
    page.keyboard.press("Enter")

    expect(page.get_by_text(CHANGED)).to_be_visible()
    expect(page.locator(".your-vote")).to_contain_text("You voted for Coffee on")
    assert counts(poll) == {"Tea": 0, "Coffee": 1}
