"""In a real browser: an unlisted poll opens from its link but is on no list; a shuffled poll
shows each browser its own order, the same after a reload; Polls I voted in lists the vote."""

import pytest
from playwright.sync_api import expect

from polls import services
from polls.models import Poll
from polls.services.ordering import browser_order_key, user_order_key
from polls.tests.factories import PollFactory, UserFactory
from polls.views.ballot_order import BROWSER_COOKIE

from .conftest import check_accessibility, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = [
    "Apple",
    "Banana",
    "Cherry",
    "Damson",
    "Elderberry",
    "Fig",
    "Grape",
    "Hazelnut",
    "Kiwi",
    "Lemon",
    "Mango",
    "Nectarine",
]


def expected_labels(poll: Poll, key: str) -> list[str]:
    poll = Poll.objects.with_results().get(pk=poll.pk)
    ordered = services.ballot_order(poll=poll, options=poll.options.all(), viewer_key=key)
    return [option.label for option in ordered]


def ballot_labels(page) -> list[str]:
    return page.locator(".vote-form .choice label").all_inner_texts()


def browser_value(page) -> str:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == BROWSER_COOKIE]
    assert cookie["httpOnly"]
    return cookie["value"]


def test_an_unlisted_poll_opens_from_its_link_and_is_on_no_list(new_page, axe_script):
    author = UserFactory()
    PollFactory(title="Listed lunch poll?", author=author)
    secret = PollFactory(title="Secret lunch poll?", author=author, unlisted=True)
    page = new_page(axe=True)

    page.goto("/")
    expect(page.get_by_role("link", name="Listed lunch poll?")).to_be_visible()
    expect(page.get_by_text("Secret lunch poll?")).to_have_count(0)
    page.get_by_label("Search polls by title").fill("lunch")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Listed lunch poll?")).to_be_visible()
    expect(page.get_by_text("Secret lunch poll?")).to_have_count(0)

    page.goto(secret.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Secret lunch poll?")
    expect(page.get_by_text("Only people with its link can find this poll.")).to_be_visible()
    assert check_accessibility(page, axe_script) == []

    log_in(page, author.username)
    page.get_by_role("link", name="My polls").click()
    mine = page.locator(".my-poll", has_text="Secret lunch poll?")
    expect(mine.locator(".badge-unlisted")).to_have_text("Unlisted")


def test_each_browser_sees_a_shuffled_ballot_in_its_own_order_after_reloads(new_page):
    poll = PollFactory(title="Which fruit?", labels=LABELS, shuffle_options=True)
    voter = UserFactory()
    seen = []
    for javascript in (True, False):
        page = new_page(javascript=javascript)
        page.goto(poll.get_absolute_url())
        order = ballot_labels(page)
        assert order == expected_labels(poll, browser_order_key(browser_value(page)))
        page.reload()
        assert ballot_labels(page) == order
        seen.append(order)

    member = new_page()
    log_in(member, voter.username)
    member.goto(poll.get_absolute_url())
    member_order = ballot_labels(member)
    assert member_order == expected_labels(poll, user_order_key(voter.pk))
    member.reload()
    assert ballot_labels(member) == member_order

    assert seen[0] != seen[1] != member_order != seen[0]
    assert sorted(member_order) == LABELS

    member.get_by_label(member_order[0]).check()
    member.get_by_role("button", name="Vote").click()
    expect(member.locator(".your-vote")).to_contain_text(f"You voted for {member_order[0]} on")
    # Results keep the author's order.
    expect(member.locator(".result-label")).to_have_text(
        [label if label != member_order[0] else f"{label} your vote" for label in LABELS]
    )

    member.get_by_role("link", name="My votes").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Polls I voted in")
    expect(member.locator(".voted-poll")).to_contain_text(f"You voted for {member_order[0]}")
