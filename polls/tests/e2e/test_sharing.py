"""Sharing a poll and reading a closed poll's outcome, in a real browser (Chromium)."""

import pytest
from playwright.sync_api import expect

from polls import services
from polls.tests.factories import PollFactory, UserFactory
from polls.tests.tallies import poll_with_votes

from .conftest import check_accessibility, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium on Linux has no share sheet: a stand-in records what the page would share.
FAKE_SHARE_SHEET = """
window.sharedWith = null;
navigator.share = function (data) { window.sharedWith = data; return Promise.resolve(); };
navigator.canShare = function () { return true; };
"""


def qr_loaded(page) -> bool:
    return page.locator(".share-qr img").evaluate("img => img.complete && img.naturalWidth > 0")


def test_copy_link_puts_the_link_on_the_clipboard_and_says_so(page, live_server):
    poll = PollFactory(title="Tea or coffee?")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(poll.get_absolute_url())

    link = page.get_by_label("Link to this poll").input_value()
    assert link == f"{live_server.url}/polls/{poll.public_id}/tea-or-coffee/"
    page.get_by_role("button", name="Copy link").click()

    expect(page.get_by_role("button", name="Copied!")).to_be_visible()
    expect(page.locator("[data-copy-status]")).to_have_text("Link copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    expect(page.get_by_role("button", name="Copy link")).to_be_visible(timeout=5000)


def test_the_qr_code_loads_and_can_be_downloaded(page):
    poll = PollFactory(title="Tea or coffee?")
    with page.expect_response(f"**/polls/{poll.public_id}/qr.svg") as answer:
        page.goto(poll.get_absolute_url())

    assert answer.value.headers["content-type"] == "image/svg+xml"
    assert qr_loaded(page)
    qr = page.get_by_role("img", name="QR code of this poll’s link")
    expect(qr).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the QR code").click()
    assert download.value.suggested_filename == "tea-or-coffee-qr.svg"


def test_share_opens_the_share_sheet_where_the_browser_has_one(page):
    poll = PollFactory(title="Tea or coffee?")
    page.goto(poll.get_absolute_url())
    if page.evaluate("typeof navigator.share") == "undefined":
        expect(page.get_by_role("button", name="Share…")).to_be_hidden()

    page.add_init_script(FAKE_SHARE_SHEET)
    page.reload()
    page.get_by_role("button", name="Share…").click()

    shared = page.evaluate("window.sharedWith")
    assert shared == {
        "title": "Tea or coffee?",
        "url": page.get_by_label("Link to this poll").input_value(),
    }


def test_without_javascript_the_link_and_the_qr_code_remain(new_page, live_server):
    poll = PollFactory(title="Tea or coffee?")
    page = new_page(javascript=False)
    page.goto(poll.get_absolute_url())

    link = f"{live_server.url}/polls/{poll.public_id}/tea-or-coffee/"
    expect(page.get_by_label("Link to this poll")).to_have_value(link)
    assert qr_loaded(page)
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    expect(page.get_by_role("button", name="Share…")).to_be_hidden()


def test_a_closed_polls_outcome_is_stated_marked_and_accessible(new_page, axe_script):
    """Screenshots of a winner and of a tie (docs/screenshots/closed-poll-outcome.png is the
    winner's, at 1280 px)."""
    author = UserFactory(username="grace")
    winner = PollFactory(
        author=author,
        title="Where should we eat on Friday?",
        labels=["Pizza", "Sushi", "Tacos"],
    )
    voter = UserFactory(username="linus")
    for label, voters in (("Pizza", 12), ("Sushi", 5), ("Tacos", 3)):
        option = winner.options.get(label=label)
        for number in range(voters):
            who = voter if (label, number) == ("Pizza", 0) else UserFactory()
            services.vote_cast(poll=winner, voter=who, option_id=option.pk)
    services.poll_close(poll=winner)
    tie = poll_with_votes(
        {"Tuesday": 4, "Wednesday": 4, "Thursday": 2},
        author=author,
        title="Which day suits the team offsite?",
    )

    page = new_page(axe=True)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("linus")
    page.get_by_label("Password").fill("a-Strong-test-password-42")
    page.get_by_role("button", name="Log in").click()
    page.goto(winner.get_absolute_url())
    expect(page.locator("[data-outcome]")).to_have_text("★ “Pizza” won with 12 of 20 votes (60%).")
    expect(page.locator(".result").first.locator(".winner-tag")).to_have_text("★ winner")
    expect(page.locator(".your-vote")).to_contain_text("You voted for Pizza on")
    assert qr_loaded(page)
    problems = {"winner": check_accessibility(page, axe_script)}
    screenshot(page, "closed-poll-winner")

    page.goto(tie.get_absolute_url())
    expect(page.locator("[data-outcome]")).to_have_text(
        "★ A tie between “Tuesday” and “Wednesday”, 4 votes each."
    )
    expect(page.locator(".winner-tag")).to_have_count(2)
    problems["tie"] = check_accessibility(page, axe_script)
    screenshot(page, "closed-poll-tie")

    nobody = poll_with_votes({"Yes": 0, "No": 0}, title="Move standups to 10:00?")
    page.goto(nobody.get_absolute_url())
    expect(page.locator("[data-outcome]")).to_contain_text("Nobody voted in this poll.")
    expect(page.locator("progress")).to_have_count(0)
    problems["nobody"] = check_accessibility(page, axe_script)

    assert {name: found for name, found in problems.items() if found} == {}
