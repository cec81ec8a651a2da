"""Choosing a poll's settings on the create page, and the author's controls on the manage page,
in a real browser (Chromium) against the live server: with the mouse, by keyboard alone, and
with JavaScript off."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from polls import services
from polls.models import AuditEntry, Poll
from polls.tests.factories import PollFactory, UserFactory

from .conftest import check_accessibility, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wall_time(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def in_three_days() -> datetime:
    return (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)


def fill_words(page, title: str, labels: list[str]) -> None:
    page.get_by_label("Question").fill(title)
    for number, label in enumerate(labels, start=1):
        if number > 2:
            page.get_by_role("button", name="Add option").click()
        page.get_by_label(f"Option {number}", exact=True).fill(label)


def submit(page, title: str) -> Poll:
    page.get_by_role("button", name="Create poll", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Your poll is live.")).to_be_visible()
    return Poll.objects.get(title=title)


RANKED_CHOICE = "Ranked choice: voters put the options in order"

# Each kind of poll: what to do on the page, and what the poll must then be.
KINDS = {
    "single choice": (
        lambda page: None,
        lambda poll: (poll.min_choices, poll.max_choices) == (1, 1),
    ),
    "several options with limits": (
        lambda page: (
            page.get_by_label("Voters may choose several options").check(),
            page.get_by_label("At least").fill("2"),
            page.get_by_label("at most").fill("3"),
        ),
        lambda poll: (poll.min_choices, poll.max_choices) == (2, 3),
    ),
    "approval voting": (
        lambda page: page.get_by_label("Voters may choose several options").check(),
        lambda poll: (poll.min_choices, poll.max_choices) == (1, 4),
    ),
    **{
        f"results {value}": (
            lambda page, label=label: page.get_by_label(label, exact=True).check(),
            lambda poll, value=value: poll.results_visibility == value,
        )
        for value, label in [
            ("always", "Always"),
            ("after_vote", "After voting"),
            ("after_close", "When the poll closes"),
            ("author_only", "Only the author"),
        ]
    },
    "unlisted": (
        lambda page: page.get_by_label("Unlisted: only people with the link").check(),
        lambda poll: poll.unlisted,
    ),
    "shuffled": (
        lambda page: page.get_by_label("Show options in a random order to each voter").check(),
        lambda poll: poll.shuffle_options,
    ),
    "vote changes allowed": (
        lambda page: page.get_by_label("Voters may change their vote").check(),
        lambda poll: poll.allow_vote_change,
    ),
    "ranked choice": (
        lambda page: page.get_by_label(RANKED_CHOICE).check(),
        lambda poll: (poll.voting_method, poll.rank_all, poll.max_choices) == ("ranked", False, 1),
    ),
    "ranked choice, every option": (
        lambda page: (
            page.get_by_label(RANKED_CHOICE).check(),
            page.get_by_label("Voters must rank every option").check(),
        ),
        lambda poll: (poll.voting_method, poll.rank_all, poll.max_choices) == ("ranked", True, 1),
    ),
    # Limits typed, then ranked choice picked: hidden by the script, ignored by the server.
    "ranked choice after limits": (
        lambda page: (
            page.get_by_label("Voters may choose several options").check(),
            page.get_by_label("At least").fill("9"),
            page.get_by_label(RANKED_CHOICE).check(),
        ),
        lambda poll: (poll.voting_method, poll.min_choices, poll.max_choices) == ("ranked", 1, 1),
    ),
    "with a description": (
        lambda page: page.get_by_label("Description").fill("Line one.\nLine two."),
        lambda poll: poll.description == "Line one.\nLine two.",
    ),
}


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_poll_is_created_from_the_create_page(new_page, kind, javascript):
    page = new_page(javascript=javascript)
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    title = f"A poll: {kind}?"
    fill_words(page, title, ["Red", "Green", "Blue", "Black"])
    choose, made = KINDS[kind]
    choose(page)

    poll = submit(page, title)

    assert made(poll), kind
    assert [o.label for o in poll.options.all()] == ["Red", "Green", "Blue", "Black"]


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_a_poll_closes_at_a_date_and_time_picked_in_a_time_zone(browser, live_server, javascript):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=javascript, timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    zone = page.get_by_label("Time zone")
    # The script picks the browser's own zone; without it the page starts at UTC.
    expect(zone).to_have_value("Asia/Tokyo" if javascript else "UTC")
    fill_words(page, "Closing in Tokyo?", ["Yes", "No"])
    closes = in_three_days()
    if not javascript:
        page.get_by_label("At a date and time").check()
        zone.select_option("Asia/Tokyo")
    page.get_by_label("Date and time", exact=True).fill(wall_time(closes, "Asia/Tokyo"))
    if javascript:  # typing the time chose it
        expect(page.get_by_label("At a date and time")).to_be_checked()

    poll = submit(page, "Closing in Tokyo?")

    assert poll.closes_at == closes
    context.close()


def test_a_time_the_clocks_skip_is_an_error_next_to_the_field(new_page):
    page = new_page()
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    fill_words(page, "Spring forward?", ["Yes", "No"])
    page.get_by_label("At a date and time").check()
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Date and time", exact=True).fill("2030-03-31T01:30")
    page.get_by_role("button", name="Create poll", exact=True).click()

    expect(page.locator("#closes-on-errors")).to_have_text(
        "31 March 2030, 01:30 does not exist in Europe/London: the clocks go forward then. "
        "Pick another time."
    )
    expect(page.get_by_label("Date and time", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
    expect(page.get_by_label("Question")).to_have_value("Spring forward?")
    assert not Poll.objects.exists()


def tab_to(page, selector: str, presses: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_poll_with_settings_is_created_by_keyboard_alone(page):
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    tab_to(page, "#id_title")
    page.keyboard.type("Keyboard only?")
    tab_to(page, "#option-1")
    page.keyboard.type("Up")
    tab_to(page, "#option-2")
    page.keyboard.type("Down")
    tab_to(page, "#id_description")
    page.keyboard.type("Typed, not clicked.")
    tab_to(page, "#visibility-after_vote")
    page.keyboard.press("ArrowDown")  # the next choice: results when the poll closes
    tab_to(page, "#id_multiple")
    page.keyboard.press("Space")
    tab_to(page, "#id_min_choices")
    tab_to(page, "#id_max_choices")
    page.keyboard.type("2")
    tab_to(page, "#id_unlisted")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard only?")
    poll = Poll.objects.get()
    assert poll.description == "Typed, not clicked."
    assert poll.results_visibility == "after_close"
    assert (poll.min_choices, poll.max_choices, poll.unlisted) == (1, 2, True)


def test_ranked_choice_is_picked_by_keyboard_and_the_choice_limits_hide(page):
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    several = page.get_by_label("Voters may choose several options")
    limits = page.locator("[data-choice-limits]")
    rank_all = page.get_by_label("Voters must rank every option")
    expect(rank_all).to_be_hidden()
    tab_to(page, "#id_title")
    page.keyboard.type("Best film?")
    tab_to(page, "#option-1")
    page.keyboard.type("Alien")
    tab_to(page, "#option-2")
    page.keyboard.type("Heat")
    tab_to(page, "#voting-method-choice")
    page.keyboard.press("ArrowDown")  # the next choice: ranked

    expect(page.get_by_label(RANKED_CHOICE)).to_be_checked()
    expect(several).to_be_hidden()
    expect(limits).to_be_hidden()
    expect(rank_all).to_be_visible()
    page.keyboard.press("ArrowUp")  # back to choosing options: the limits' box is back
    expect(several).to_be_visible()
    expect(rank_all).to_be_hidden()
    page.keyboard.press("ArrowDown")
    tab_to(page, "#id_rank_all")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Best film?")
    poll = Poll.objects.get()
    assert (poll.voting_method, poll.rank_all) == ("ranked", True)
    assert (poll.min_choices, poll.max_choices) == (1, 1)


def test_the_choice_limits_show_once_several_options_are_allowed(page):
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    limits = page.locator("[data-choice-limits]")
    expect(limits).to_be_hidden()
    page.get_by_label("Voters may choose several options").check()
    expect(limits).to_be_visible()
    expect(page.get_by_label("at most")).to_have_attribute("placeholder", "all")


def test_the_create_page_with_its_settings_is_accessible_and_screenshotted(new_page, axe_script):
    PollFactory(labels=["Tuesday", "Thursday"])
    page = new_page(axe=True)
    log_in(page, UserFactory(username="grace").username)
    page.goto("/polls/new/")
    fill_words(page, "Which day suits the team offsite?", ["Tuesday", "Wednesday", "Thursday"])
    page.get_by_label("Description").fill(
        "Pick every day you could make. We book the one most people can do."
    )
    page.get_by_label("Voters may choose several options").check()
    page.get_by_label("When the poll closes").check()
    page.get_by_label("Voters may change their vote").check()
    page.get_by_label("Days", exact=True).fill("3")
    page.locator("body").click(position={"x": 5, "y": 5})  # no focus ring in the picture
    problems = {"create-settings": check_accessibility(page, axe_script)}
    screenshot(page, "create-settings")

    page.get_by_label("At least").fill("9")
    page.get_by_label("Description").fill("Bell\x07")
    page.get_by_role("button", name="Create poll", exact=True).click()
    expect(page.locator("#choice-limits-errors")).to_contain_text("cannot hold more options")
    expect(page.locator("#description-errors")).to_contain_text("control character")
    problems["create-settings-errors"] = check_accessibility(page, axe_script)

    assert {name: found for name, found in problems.items() if found} == {}


# --- The manage page ---------------------------------------------------------------------------


@pytest.fixture
def author_page(new_page):
    author = UserFactory()

    def open_as_author(*, javascript: bool = True):
        page = new_page(javascript=javascript)
        log_in(page, author.username)
        return page

    open_as_author.author = author
    return open_as_author


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_close_then_reopen_from_the_manage_page(author_page, javascript):
    page = author_page(javascript=javascript)
    poll = PollFactory(author=author_page.author, title="Open late?")
    page.goto(poll.get_absolute_url())
    page.get_by_role("link", name="Manage this poll").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage “Open late?”")

    page.get_by_role("button", name="Close this poll now").click()
    expect(page.get_by_text("“Open late?” is closed. Its results are final.")).to_be_visible()
    expect(page.get_by_role("heading", name="Reopen")).to_be_visible()

    page.get_by_label("Days", exact=True).fill("2")
    page.get_by_role("button", name="Reopen", exact=True).click()

    expect(page.get_by_text("“Open late?” is reopened.")).to_be_visible()
    poll.refresh_from_db()
    assert poll.is_open()
    assert poll.closes_at > timezone.now() + timedelta(days=1, hours=23)
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["close", "reschedule"]


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_extend_at_a_date_and_time_from_the_manage_page(author_page, javascript):
    page = author_page(javascript=javascript)
    poll = PollFactory(author=author_page.author, title="Longer?")
    page.goto(f"/polls/{poll.public_id}/manage")
    closes = in_three_days()
    page.get_by_label("At a date and time").check()
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Date and time", exact=True).fill(wall_time(closes, "America/New_York"))
    page.get_by_role("button", name="Extend", exact=True).click()

    expect(page.get_by_text("“Longer?” is extended.")).to_be_visible()
    poll.refresh_from_db()
    assert poll.closes_at == closes


def test_extending_to_an_earlier_time_says_why_next_to_the_field(author_page):
    page = author_page()
    poll = PollFactory(author=author_page.author, closes_at=timezone.now() + timedelta(days=5))
    page.goto(f"/polls/{poll.public_id}/manage")
    page.get_by_label("Days", exact=True).fill("1")
    page.get_by_label("Hours", exact=True).fill("0")
    page.get_by_role("button", name="Extend", exact=True).click()
    expect(page.locator("#duration-errors")).to_have_text(
        "To extend a poll, choose a time later than its closing time."
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_edit_before_and_after_the_first_vote_from_the_manage_page(author_page, javascript):
    page = author_page(javascript=javascript)
    poll = PollFactory(author=author_page.author, title="Lunch?", labels=["Pizza", "Sushi"])
    page.goto(f"/polls/{poll.public_id}/manage")

    page.get_by_label("Question").fill("Dinner?")
    page.get_by_role("button", name="Add option").click()
    page.get_by_label("Option 3", exact=True).fill("Curry")
    page.get_by_label("Voters may choose several options").check()
    page.get_by_label("Description").fill("Friday at eight.")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    poll.refresh_from_db()
    assert poll.title == "Dinner?"
    assert [o.label for o in poll.options.all()] == ["Pizza", "Sushi", "Curry"]
    assert (poll.min_choices, poll.max_choices, poll.description) == (1, 3, "Friday at eight.")

    services.vote_cast(poll=poll, voter=UserFactory(), option_ids=[poll.options.first().pk])
    page.reload()
    expect(
        page.get_by_text("Somebody has voted, so what a vote means can no longer change")
    ).to_be_visible()
    expect(page.get_by_label("Question")).to_have_count(0)
    page.get_by_label("Only the author").check()
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    poll.refresh_from_db()
    assert (poll.title, poll.results_visibility) == ("Dinner?", "author_only")


def test_delete_a_poll_nobody_voted_in_after_confirming(author_page):
    page = author_page()
    poll = PollFactory(author=author_page.author, title="Delete me?")
    page.goto(f"/polls/{poll.public_id}/manage")
    page.get_by_role("link", name="Delete this poll…").click()
    page.get_by_role("button", name="Yes, delete this poll").click()
    expect(page.get_by_text("“Delete me?” is deleted.")).to_be_visible()
    assert not Poll.objects.filter(pk=poll.pk).exists()


def test_the_manage_page_is_accessible_and_screenshotted(author_page, new_page, axe_script):
    page = new_page(axe=True)
    author = UserFactory(username="ada")
    log_in(page, author.username)
    poll = PollFactory(author=author, title="Which day suits the team offsite?")
    page.goto(f"/polls/{poll.public_id}/manage")
    problems = {"manage": check_accessibility(page, axe_script)}
    screenshot(page, "manage")
    services.vote_cast(poll=poll, voter=UserFactory(), option_ids=[poll.options.first().pk])
    services.poll_close(poll=poll)
    page.reload()
    problems["manage-closed-voted"] = check_accessibility(page, axe_script)
    screenshot(page, "manage-closed-voted")
    assert {name: found for name, found in problems.items() if found} == {}


def test_someone_elses_manage_page_is_refused(new_page):
    page = new_page()
    log_in(page, UserFactory().username)
    poll = PollFactory()
    response = page.goto(f"/polls/{poll.public_id}/manage")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can’t do that here")


def test_times_are_given_in_utc_iso_in_the_datetime_field(new_page):
    """The datetime-local input keeps what was typed when the page comes back with an error."""
    page = new_page()
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    page.get_by_label("At a date and time").check()
    moment = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    page.get_by_label("Date and time", exact=True).fill(wall_time(moment, "UTC"))
    page.get_by_role("button", name="Create poll", exact=True).click()
    expect(page.locator("#title-errors")).to_be_visible()
    expect(page.get_by_label("Date and time", exact=True)).to_have_value("2031-01-02T03:04")
