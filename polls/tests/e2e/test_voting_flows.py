"""What a voter does, in a real browser (Chromium), against the live server."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from polls import live, services, tasks
from polls.models import Option, Poll
from polls.tests.conftest import AccountEmails, sending_tasks
from polls.tests.factories import PASSWORD, PollFactory, UserFactory

from .conftest import check_accessibility, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _account_emails_sent_at_once():
    """No worker runs here: the account email tasks run in the live server's thread when
    queued, and their emails land in the locmem outbox (mail.outbox)."""
    handlers = {}
    for name in AccountEmails.TASK_NAMES:
        task = getattr(tasks, name)
        handlers[task.name] = lambda args, task=task, **_: task(*args)
    with sending_tasks(handlers):
        yield


ACTIVATION_LINK = re.compile(r"https?://[^/\s]+(/accounts/activate/\S+)")


def activate_from(page, message) -> None:
    """Open the activation link an email brings and give the sign-up's password, which
    activates the account and logs in (opening the link alone changes nothing)."""
    page.goto(ACTIVATION_LINK.search(message.body).group(1))
    expect(page.get_by_role("heading", name="Activate your account")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Activate and log in").click()


def sign_up(page, username: str) -> None:
    """Sign up, then activate from the link the email brings (issue 10), which logs in."""
    page.goto("/")
    page.get_by_role("link", name="Sign up free").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (message,) = [m for m in mail.outbox if m.to == [f"{username}@example.com"]]
    activate_from(page, message)
    expect(page.get_by_text(f"Welcome to Votr, {username}!")).to_be_visible()


def test_signing_up_from_a_poll_comes_back_to_it(page):
    poll = PollFactory(title="Back here after signing up?")
    page.goto(poll.get_absolute_url())
    page.locator(".site-header").get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("returner")
    page.get_by_label("Email").fill("returner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (message,) = mail.outbox
    activate_from(page, message)

    expect(page.get_by_text("Welcome to Votr, returner!")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back here after signing up?")
    expect(page.get_by_role("button", name="Vote")).to_be_visible()


def create_poll(page, title: str, labels: list[str]) -> None:
    page.goto("/")
    page.get_by_role("link", name="New poll").click()
    page.get_by_label("Question").fill(title)
    for number, label in enumerate(labels, start=1):
        if number > 2:
            page.get_by_role("button", name="Add option").click()
        page.get_by_label(f"Option {number}", exact=True).fill(label)
    page.get_by_role("button", name="Create poll", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_sign_up_create_a_poll_vote_and_see_the_results(page):
    sign_up(page, "ada")
    create_poll(page, "Where should we eat?", ["Pizza", "Sushi", "Tacos"])
    expect(page.get_by_text("Your poll is live.")).to_be_visible()

    page.get_by_label("Sushi").check()
    page.get_by_role("button", name="Vote").click()

    expect(page.get_by_text("Your vote is counted. Thank you!")).to_be_visible()
    expect(page.get_by_text("You voted for Sushi on")).to_be_visible()
    rows = page.locator(".result")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("1 vote · 100%")
    expect(rows.nth(0)).to_contain_text("0 votes · 0%")
    expect(rows.nth(1).locator("progress")).to_have_attribute("value", "100.0")
    expect(page.locator(".total")).to_contain_text("1 vote in total so far")
    assert Option.objects.get(label="Sushi").votes == 1


def test_another_voter_sees_the_count_rise_without_reloading(new_page, monkeypatch):
    """The page's polls are conditional: an unchanged poll answers 304 (the browser's cached
    copy is what the script reads), a vote brings the new counts."""
    answers = []

    def recording(request, **kwargs):
        unchanged = not_modified(request, **kwargs)
        answers.append(200 if unchanged is None else unchanged.status_code)
        return unchanged

    not_modified = live.not_modified
    monkeypatch.setattr(live, "not_modified", recording)
    poll = PollFactory(labels=["Yes", "No"])
    watcher, voter = UserFactory(), UserFactory()
    services.vote_cast(poll=poll, voter=watcher, option_id=poll.options.get(label="Yes").pk)

    watching = new_page()
    log_in(watching, watcher.username)
    watching.goto(poll.get_absolute_url())
    expect(watching.locator(".total")).to_contain_text("1 vote in total")

    voting = new_page()
    log_in(voting, voter.username)
    voting.goto(poll.get_absolute_url())
    voting.get_by_label("No").check()
    voting.get_by_role("button", name="Vote").click()
    expect(voting.get_by_text("You voted for No on")).to_be_visible()

    # No reload: the page polls the results endpoint every few seconds.
    expect(watching.locator("[data-total]")).to_have_text("2", timeout=15_000)
    expect(watching.locator('.result:has-text("No") [data-votes]')).to_have_text("1")
    expect(watching.locator("[data-announce]")).to_have_text("Results updated: 2 votes in total.")
    seen = len(answers)
    watching.wait_for_timeout(9_000)  # two more polls of an unchanged poll
    assert 304 in answers[seen:]
    expect(watching.locator("[data-total]")).to_have_text("2")


def test_a_second_vote_is_refused_with_its_message(new_page):
    poll = PollFactory(labels=["Red", "Blue"])
    voter = UserFactory()
    first_tab = new_page()
    log_in(first_tab, voter.username)
    second_tab = first_tab.context.new_page()
    first_tab.goto(poll.get_absolute_url())
    second_tab.goto(poll.get_absolute_url())

    first_tab.get_by_label("Red").check()
    first_tab.get_by_role("button", name="Vote").click()
    expect(first_tab.get_by_text("You voted for Red on")).to_be_visible()

    second_tab.get_by_label("Blue").check()
    second_tab.get_by_role("button", name="Vote").click()

    expect(second_tab.get_by_role("alert")).to_have_text("You have already voted in this poll.")
    expect(second_tab.get_by_text("You voted for Red on")).to_be_visible()
    assert [o.votes for o in poll.options.all()] == [1, 0]


def test_a_vote_on_a_closed_poll_is_refused_with_its_message(page):
    poll = PollFactory(labels=["Red", "Blue"])
    log_in(page, UserFactory().username)
    page.goto(poll.get_absolute_url())
    page.get_by_label("Blue").check()

    services.poll_close(poll=poll)
    page.get_by_role("button", name="Vote").click()

    expect(page.get_by_role("alert")).to_have_text("This poll is closed.")
    expect(page.get_by_text("Closed on")).to_be_visible()
    assert [o.votes for o in poll.options.all()] == [0, 0]


def test_without_javascript_sign_up_create_and_vote(new_page):
    page = new_page(javascript=False)
    sign_up(page, "nojs")
    # "Add option" goes to the server and back, keeping what was typed.
    create_poll(page, "Works without scripts?", ["Yes", "No", "Mostly"])

    page.get_by_label("Mostly").check()
    page.get_by_role("button", name="Vote").click()

    expect(page.get_by_text("You voted for Mostly on")).to_be_visible()
    expect(page.locator(".result").nth(2)).to_contain_text("1 vote · 100%")
    poll = Poll.objects.get(title="Works without scripts?")
    assert [o.label for o in poll.options.all()] == ["Yes", "No", "Mostly"]


def test_a_vote_can_be_cast_with_the_keyboard_alone(page):
    poll = PollFactory(labels=["Left", "Middle", "Right"])
    log_in(page, UserFactory().username)
    page.goto(poll.get_absolute_url())

    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    expect(page.locator("input[type=radio]:focus")).to_have_attribute(
        "id", f"option-{poll.options.get(label='Left').pk}"
    )
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Middle")).to_be_checked()
    page.keyboard.press("Enter")

    expect(page.get_by_text("You voted for Middle on")).to_be_visible()


def test_create_form_edits_rows_in_place_and_previews_the_poll(page):
    log_in(page, UserFactory().username)
    PollFactory(labels=["Blueberry", "Cherry"])
    page.goto("/polls/new/")

    page.get_by_label("Question").fill("Favourite pie?")
    page.get_by_label("Option 1", exact=True).fill("Apple")
    page.get_by_role("button", name="Add option").click()
    expect(page.get_by_label("Option 3", exact=True)).to_be_focused()
    page.get_by_label("Option 3", exact=True).fill("Blue")
    expect(page.locator("#label-suggestions option")).to_have_attribute("value", "Blueberry")

    preview = page.locator("[data-preview]")
    expect(preview.locator("[data-preview-question]")).to_have_text("Favourite pie?")
    expect(preview.locator("[data-preview-options] li")).to_have_text(["Apple", "Option 2", "Blue"])
    expect(preview).to_contain_text("Closes 1 day from now")

    page.get_by_role("button", name="Remove option 2").click()
    expect(page.locator("[data-option-input]")).to_have_count(2)
    expect(page.get_by_label("Option 2", exact=True)).to_have_value("Blue")

    page.get_by_label("Days").fill("0")
    page.get_by_label("Hours").fill("3")
    expect(preview).to_contain_text("Closes 3 hours from now")


def test_server_errors_show_next_to_fields_and_keep_the_typing(page):
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    page.get_by_label("Option 1", exact=True).fill("Same")
    page.get_by_label("Option 2", exact=True).fill("same")
    page.get_by_role("button", name="Create poll", exact=True).click()

    expect(page.locator("#title-errors")).to_have_text("The question cannot be blank.")
    expect(page.locator("#options-errors")).to_contain_text('Option 2 ("same") is already')
    expect(page.get_by_label("Option 1", exact=True)).to_have_value("Same")
    expect(page.get_by_label("Option 2", exact=True)).to_have_value("same")


def test_a_server_error_goes_once_its_field_is_fixed(page):
    log_in(page, UserFactory().username)
    page.goto("/polls/new/")
    page.get_by_label("Option 1", exact=True).fill("Same")
    page.get_by_label("Option 2", exact=True).fill("same")
    page.get_by_label("Days").fill("0")
    page.get_by_role("button", name="Create poll", exact=True).click()

    question, days, hours = (page.get_by_label(name) for name in ("Question", "Days", "Hours"))
    summary = page.locator("[data-error-summary]")
    expect(page.locator("#title-errors")).to_have_text("The question cannot be blank.")
    expect(page.locator("#duration-errors")).to_have_text(
        "The closing time must be at least 1 minute from now."
    )
    expect(question).to_have_attribute("aria-invalid", "true")
    expect(days).to_have_attribute("aria-invalid", "true")

    question.fill("Lunch?")
    expect(page.locator("#title-errors")).to_have_count(0)
    expect(question).not_to_have_attribute("aria-invalid", "true")
    expect(question).not_to_have_attribute("aria-describedby", "title-errors")
    expect(page.locator("#duration-errors")).to_be_visible()

    days.fill("40")  # still out of range
    expect(page.locator("#duration-errors")).to_be_visible()
    days.fill("3")
    expect(page.locator("#duration-errors")).to_have_count(0)
    expect(days).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#options-errors")).to_contain_text('Option 2 ("same") is already')
    expect(summary).to_be_visible()

    page.get_by_label("Option 2", exact=True).fill("Other")
    expect(page.locator("#options-errors")).to_have_count(0)
    expect(page.locator("fieldset[aria-describedby]")).to_have_count(0)
    expect(summary).to_have_count(0)

    # A picker error from the form itself names its field, and goes the same way.
    hours.fill("30")
    page.get_by_role("button", name="Create poll", exact=True).click()
    expect(page.locator("#duration-errors")).to_have_text("Hours must be at most 23.")
    page.get_by_label("Hours").fill("5")
    expect(page.locator("#duration-errors")).to_have_count(0)
    expect(page.get_by_label("Hours")).not_to_have_attribute("aria-invalid", "true")
    expect(summary).to_have_count(0)


def test_times_are_shown_relative_in_the_viewers_time_zone(browser, live_server):
    poll = PollFactory()
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(poll.get_absolute_url())
    closes = page.locator("[data-poll-status] time")
    expect(closes).to_have_text(re.compile(r"^(23\shours|1\sday) from now$"))
    expect(closes).to_have_attribute("title", re.compile(r"GMT\+9"))
    context.close()


def test_the_script_keeps_the_servers_words_for_relative_times(browser, live_server):
    """The script rewrites every relative time; it must say what the server said."""
    now = timezone.now()
    for created, closes in [
        (timedelta(minutes=-5, seconds=-30), timedelta(minutes=40, seconds=30)),
        (timedelta(hours=-1, minutes=-30), timedelta(hours=5, minutes=30)),
        (timedelta(days=-2, hours=-5, minutes=-30), timedelta(days=9, hours=3, minutes=30)),
        (timedelta(days=-400, hours=-5), timedelta(days=29, hours=12)),
    ]:
        PollFactory(created_at=now + created, closes_at=now + closes)
    texts = {}
    for javascript in (False, True):
        context = browser.new_context(
            base_url=live_server.url, java_script_enabled=javascript, timezone_id="Asia/Tokyo"
        )
        page = context.new_page()
        for poll in Poll.objects.all():
            page.goto(poll.get_absolute_url())
            texts.setdefault(javascript, []).extend(
                page.locator("time[data-relative]").all_inner_texts()
            )
        context.close()

    assert texts[True] == texts[False]
    assert "1\xa0year, 1\xa0month ago" in texts[True]
    assert "an hour ago" in texts[True]
    assert "1\xa0week, 2\xa0days from now" in texts[True]


def test_pages_have_no_serious_accessibility_violations_and_are_screenshotted(new_page, axe_script):
    author = UserFactory(username="grace")
    poll = PollFactory(
        author=author,
        title="Which day suits the team offsite?",
        labels=["Tuesday", "Wednesday", "Thursday", "Friday"],
    )
    for label, voters in (("Wednesday", 5), ("Thursday", 3), ("Friday", 1)):
        for _ in range(voters):
            services.vote_cast(
                poll=poll, voter=UserFactory(), option_id=poll.options.get(label=label).pk
            )
    PollFactory(title="Tabs or spaces?", labels=["Tabs", "Spaces"])
    PollFactory(title="Should standups move to 10:00?", labels=["Yes", "No"])
    services.poll_close(poll=PollFactory(title="Name for the new meeting room?"))

    visitor = new_page(axe=True)
    pages = [
        ("home-visitor", "/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
        ("password-reset", "/accounts/password/reset/"),
        ("signup-sent", "/accounts/signup/sent/"),
        ("activation-link-invalid", "/accounts/activate/MQ/no-such-token/"),
    ]
    problems = {}
    for name, url in pages:
        visitor.goto(url)
        problems[name] = check_accessibility(visitor, axe_script)
        screenshot(visitor, name)

    page = new_page(axe=True)
    log_in(page, UserFactory(username="linus").username)
    for name, url in [
        ("home", "/"),
        ("create", "/polls/new/"),
        ("poll-before-vote", poll.get_absolute_url()),
        ("password-change", "/accounts/password/"),
        ("not-found", "/polls/no-such-poll/"),
    ]:
        page.goto(url)
        problems[name] = check_accessibility(page, axe_script)
        screenshot(page, name)

    page.goto(poll.get_absolute_url())
    page.get_by_label("Wednesday").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.get_by_text("You voted for Wednesday on")).to_be_visible()
    problems["poll-after-vote"] = check_accessibility(page, axe_script)
    screenshot(page, "poll-after-vote")

    page.goto("/polls/new/")
    page.get_by_role("button", name="Create poll", exact=True).click()
    expect(page.locator("#title-errors")).to_be_visible()
    problems["create-with-errors"] = check_accessibility(page, axe_script)

    mine = new_page(axe=True)
    log_in(mine, author.username)
    mine.goto("/polls/mine/")
    problems["my-polls"] = check_accessibility(mine, axe_script)
    screenshot(mine, "my-polls")

    assert {name: found for name, found in problems.items() if found} == {}
