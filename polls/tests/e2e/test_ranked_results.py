"""A ranked poll's results in a real browser (Chromium): the rounds and the head-to-head table,
accessible (axe), readable at phone width, and the notice a new ballot brings while it is open.

docs/screenshots/ranked-rounds.png (the README's) is a copy of
artifacts/screenshots/ranked-rounds.png, the rounds section at 1280 px written here."""

import pytest
from playwright.sync_api import expect

from polls import services
from polls.models import ResultsVisibility
from polls.tests.factories import PollFactory, UserFactory

from .conftest import PHONE, SCREENSHOTS, check_accessibility, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TENNESSEE = {
    ("Memphis", "Nashville", "Chattanooga", "Knoxville"): 42,
    ("Nashville", "Chattanooga", "Knoxville", "Memphis"): 26,
    ("Chattanooga", "Knoxville", "Nashville", "Memphis"): 15,
    ("Knoxville", "Chattanooga", "Nashville", "Memphis"): 17,
}
CAPTION = "Voters preferring the row’s option over the column’s"


def ranked_poll(ballots: dict[tuple[str, ...], int], **fields):
    labels = list(next(iter(ballots)))
    poll = PollFactory(voting_method="ranked", labels=labels, **fields)
    ids = dict(poll.options.values_list("label", "pk"))
    for ranking, count in ballots.items():
        for _ in range(count):
            services.vote_cast(
                poll=poll, voter=UserFactory(), ranking=[ids[label] for label in ranking]
            )
    return poll


def test_a_closed_ranked_polls_rounds_and_table_are_accessible_on_desktop_and_phone(
    new_page, axe_script
):
    poll = ranked_poll(TENNESSEE, title="Where should the capital of Tennessee be?")
    services.poll_close(poll=poll)

    page = new_page(axe=True)
    page.goto(poll.get_absolute_url())

    expect(page.locator("[data-outcome]")).to_have_text(
        "★ “Knoxville” won by instant-runoff in round 3, with 58 of 100 continuing ballots (58%)."
    )
    rounds = page.locator(".irv-round")
    expect(rounds).to_have_count(3)
    for number in (1, 2, 3):
        expect(page.get_by_role("heading", name=f"Round {number}", exact=True)).to_be_visible()
    expect(rounds.nth(0).locator(".is-eliminated")).to_contain_text("Chattanooga")
    expect(rounds.nth(0)).to_contain_text("Where its ballots went: 15 to “Knoxville”.")
    expect(rounds.nth(2).locator(".is-winner")).to_contain_text("Knoxville ★ winner")
    expect(rounds.nth(2).locator(".is-winner")).to_contain_text("58 ballots · 58%")

    table = page.get_by_role("table", name=CAPTION)
    expect(table).to_be_visible()
    columns = table.get_by_role("columnheader")
    # "over " is for screen readers: a cell reads "Nashville, over Memphis, 58".
    expect(columns).to_have_text(
        ["over Memphis", "over Nashville", "over Chattanooga", "over Knoxville"]
    )
    expect(table.get_by_role("rowheader")).to_have_text(
        ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
    )
    nashville = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Nashville"))
    expect(nashville.get_by_role("cell")).to_have_text(
        ["58 (wins)", "—the same option", "68 (wins)", "68 (wins)"]
    )
    expect(
        page.get_by_role("region", name="Head-to-head table (scrolls sideways)")
    ).to_have_attribute("tabindex", "0")
    expect(page.locator("[data-condorcet]")).to_have_text(
        "Condorcet winner: “Nashville” (beats every other option head to head)."
    )

    rule = page.locator("details.tie-rule")
    expect(rule.get_by_text(services.TIE_RULE[:40])).to_be_hidden()
    rule.get_by_text("How ties are broken").click()
    expect(rule.get_by_text(services.TIE_RULE[:40])).to_be_visible()

    problems = {"desktop": check_accessibility(page, axe_script)}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("section.irv").screenshot(path=str(SCREENSHOTS / "ranked-rounds.png"))
    screenshot(page, "ranked-results")

    page.set_viewport_size(PHONE)
    # Nothing but the table's own wrapper scrolls sideways at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(table).to_be_visible()
    page.locator("section.head-to-head").screenshot(
        path=str(SCREENSHOTS / "ranked-head-to-head-375.png")
    )
    problems["phone"] = check_accessibility(page, axe_script)
    assert {name: found for name, found in problems.items() if found} == {}


def test_a_new_ballot_updates_the_first_choices_and_asks_for_a_reload(new_page):
    """Above the results, the ranked ballot's list names the options too: the script must
    update the results' rows, not the ballot's."""
    poll = ranked_poll(
        {("Ann", "Bob", "Cy"): 2, ("Bob", "Cy", "Ann"): 1},
        results_visibility=ResultsVisibility.ALWAYS,
    )
    page = new_page()
    page.goto(poll.get_absolute_url())
    stale = page.locator("[data-ranked-stale]")
    expect(page.locator(".irv-round")).to_have_count(1)
    expect(stale).to_be_hidden()

    ids = dict(poll.options.values_list("label", "pk"))
    services.vote_cast(poll=poll, voter=UserFactory(), ranking=[ids["Cy"], ids["Bob"]])

    # No reload: the page polls results.json every few seconds.
    expect(page.locator("[data-total]")).to_have_text("4", timeout=15_000)
    expect(page.locator('.result:has-text("Cy") .result-count')).to_have_text(
        "1 first choice · 25%"
    )
    expect(stale).to_be_visible()
    expect(page.locator("[data-announce]")).to_have_text(
        "New ballots: reload the page to see the rounds."
    )
    stale.get_by_role("link", name="reload to see the rounds").click()
    expect(page.locator(".irv-round").nth(1)).to_be_visible()  # Ann's 2 of 4 are no majority
    expect(stale).to_be_hidden()
