"""A ranked poll's ballot in a real browser (Chromium) against the live server: ranked by
keyboard alone, by dragging with the mouse, and with JavaScript off (the rank selects)."""

import pytest
from playwright.sync_api import expect

from polls import services
from polls.models import Ballot
from polls.tests.factories import PollFactory, UserFactory

from .conftest import check_accessibility, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTED = "Your vote is counted. Thank you!"
LUNCH = ["Pizza", "Sushi", "Tacos", "Curry"]


def ranked(**kwargs):
    kwargs.setdefault("labels", LUNCH)
    return PollFactory(title="Where shall we have lunch?", voting_method="ranked", **kwargs)


def stored(voter) -> list[str]:
    """The labels of `voter`'s ballot, best first."""
    choices = Ballot.objects.get(voter=voter).choices.order_by("rank")
    return list(choices.values_list("option__label", flat=True))


def order(page) -> list[str]:
    """ "Your ranking" as the list shows it."""
    return page.locator("ol.ranking-list .ranking-label").all_text_contents()


def rank_values(page) -> dict[str, str]:
    """Each hidden rank select's value, by its option's label: what the form will send."""
    return page.evaluate(
        """() => Object.fromEntries(
            [...document.querySelectorAll("[data-ranking-option]")].map((row) => [
                row.querySelector("label").textContent, row.querySelector("select").value
            ]))"""
    )


def tab_to_button(page, name: str, *, presses: int = 60) -> None:
    """Press Tab until the focused element is the button named `name`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => document.activeElement.tagName === 'BUTTON' && "
            "document.activeElement.textContent.replace(/[↑↓]/g, '').trim()"
        )
        if focused == name:
            return
    raise AssertionError(f"Tab never reached the button {name!r}")


def drag(page, label: str, *, to_above: str | None = None, to_below: str | None = None) -> None:
    """Drag the option `label` by its handle with the mouse, in small steps as a hand does."""
    handle = page.locator(".ranking-item", has_text=label).locator(".ranking-handle")
    page.locator(".ranking").scroll_into_view_if_needed()
    start = handle.bounding_box()
    target = page.locator(".ranking-item", has_text=to_above or to_below).bounding_box()
    x = start["x"] + start["width"] / 2
    y = target["y"] + 4 if to_above else target["y"] + target["height"] - 4
    page.mouse.move(x, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=15)
    expect(page.locator(".ranking-item.is-dragging")).to_have_count(1)
    page.mouse.up()
    expect(page.locator(".ranking-item.is-dragging")).to_have_count(0)


def test_rank_by_keyboard_alone_with_every_move_announced(new_page, axe_script):
    poll = ranked()
    voter = UserFactory()
    page = new_page(axe=True)
    log_in(page, voter.username)
    page.goto(poll.get_absolute_url())
    status = page.locator("[data-ranking-status]")
    expect(page.locator("legend")).to_have_text("Rank the options · 1 is your first choice")
    # The script took over: the list, not the selects.
    expect(page.get_by_label("Pizza")).to_be_hidden()
    expect(page.locator(".ranking-unranked .ranking-label")).to_have_text(LUNCH)
    assert check_accessibility(page, axe_script) == []

    tab_to_button(page, "Add Tacos to my ranking")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Tacos added at rank 1 of 1.")
    expect(page.get_by_role("button", name="Remove Tacos from my ranking")).to_be_focused()

    tab_to_button(page, "Add Pizza to my ranking")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Pizza added at rank 2 of 2.")
    expect(page.get_by_role("button", name="Remove Pizza from my ranking")).to_be_focused()

    # Back from Remove to Pizza's Move down (dimmed: it is last), then Move up.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Move Pizza down")).to_have_attribute(
        "aria-disabled", "true"
    )
    page.keyboard.press("Enter")
    expect(status).to_have_text("Pizza is already last, at rank 2 of 2.")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Pizza moved to rank 1 of 2.")
    expect(page.get_by_role("button", name="Move Pizza up")).to_be_focused()
    assert order(page) == ["Pizza", "Tacos"]
    assert rank_values(page) == {"Pizza": "1", "Sushi": "", "Tacos": "2", "Curry": ""}
    assert check_accessibility(page, axe_script) == []
    screenshot(page, "poll-ranked-ballot")

    tab_to_button(page, "Vote")
    page.keyboard.press("Enter")

    expect(page.get_by_text(COUNTED)).to_be_visible()
    assert stored(voter) == ["Pizza", "Tacos"]


def test_rank_by_dragging_with_the_mouse(page):
    poll = ranked(rank_all=True, allow_vote_change=True)
    voter = UserFactory()
    log_in(page, voter.username)
    page.goto(poll.get_absolute_url())
    status = page.locator("[data-ranking-status]")
    expect(page.get_by_text("Rank every option.")).to_be_visible()
    assert order(page) == LUNCH

    drag(page, "Curry", to_above="Pizza")
    expect(status).to_have_text("Curry moved to rank 1 of 4.")
    drag(page, "Sushi", to_below="Tacos")
    expect(status).to_have_text("Sushi moved to rank 4 of 4.")
    assert order(page) == ["Curry", "Pizza", "Tacos", "Sushi"]
    assert rank_values(page) == {"Pizza": "2", "Sushi": "4", "Tacos": "3", "Curry": "1"}
    page.get_by_role("button", name="Vote").click()

    expect(page.get_by_text(COUNTED)).to_be_visible()
    assert stored(voter) == ["Curry", "Pizza", "Tacos", "Sushi"]

    # The change form starts from that ranking; Escape puts a drag back where it began.
    change = page.get_by_role("region", name="Change your vote")
    expect(change.locator("ol.ranking-list .ranking-label")).to_have_text(
        ["Curry", "Pizza", "Tacos", "Sushi"]
    )
    handle = change.locator(".ranking-item", has_text="Tacos").locator(".ranking-handle")
    change.locator(".ranking").scroll_into_view_if_needed()
    box = handle.bounding_box()
    top = change.locator(".ranking-item", has_text="Curry").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 5, top["y"] + 4, steps=10)
    expect(change.locator("ol.ranking-list .ranking-label").first).to_have_text("Tacos")
    page.keyboard.press("Escape")
    page.mouse.up()
    expect(status).to_have_text("Move cancelled: Tacos is back where it was.")
    assert order(page) == ["Curry", "Pizza", "Tacos", "Sushi"]

    drag(page, "Tacos", to_above="Curry")
    change.get_by_role("button", name="Change my vote").click()

    expect(page.get_by_text("Your vote is changed.")).to_be_visible()
    assert stored(voter) == ["Tacos", "Curry", "Pizza", "Sushi"]


def test_without_javascript_rank_with_the_selects(new_page):
    poll = ranked(allow_vote_change=True)
    voter, other = UserFactory(), UserFactory()
    services.vote_cast(poll=poll, voter=other, ranking=[poll.options.get(label="Sushi").pk])
    page = new_page(javascript=False)
    log_in(page, voter.username)
    page.goto(poll.get_absolute_url())
    expect(
        page.get_by_text("Give each one a different number, from 1 up, with no gaps.")
    ).to_be_visible()
    expect(page.get_by_label("Pizza")).to_have_value("")

    # A gap: the server says which rank is missing, and counts nothing.
    page.get_by_label("Tacos").select_option("1")
    page.get_by_label("Curry").select_option("3")
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Number your choices 1, 2, 3… without leaving a rank out. Rank 2 is missing."
    )
    assert not Ballot.objects.filter(voter=voter).exists()

    page.get_by_label("Tacos").select_option("1")
    page.get_by_label("Curry").select_option("2")
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_text(COUNTED)).to_be_visible()
    assert stored(voter) == ["Tacos", "Curry"]

    # The change form shows the ranking as cast.
    change = page.get_by_role("region", name="Change your vote")
    expect(change.get_by_label("Tacos")).to_have_value("1")
    expect(change.get_by_label("Curry")).to_have_value("2")
    expect(change.get_by_label("Pizza")).to_have_value("")
    change.get_by_label("Pizza").select_option("1")
    change.get_by_label("Tacos").select_option("2")
    change.get_by_label("Curry").select_option("Not ranked")
    change.get_by_role("button", name="Change my vote").click()

    expect(page.get_by_text("Your vote is changed.")).to_be_visible()
    assert stored(voter) == ["Pizza", "Tacos"]


def test_a_visitor_sees_the_ranked_ballot_without_controls(page):
    poll = ranked()

    page.goto(poll.get_absolute_url())

    expect(page.locator(".ranking.is-disabled")).to_be_visible()
    expect(page.locator(".ranking button")).to_have_count(0)
    expect(page.get_by_role("link", name="Log in to vote")).to_be_visible()
