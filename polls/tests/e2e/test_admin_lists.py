"""The admin's lists at desktop width, in a real browser: the last column stays in view."""

import pytest

from polls import services
from polls.tests.factories import PollFactory, UserFactory

from .conftest import DESKTOP, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = {
    "poll": "votes",
    "ballot": "choices",
    "user": "ballots",
    "auditentry": "details",
}


def last_header_problem(page) -> str | None:
    """Why the list's last column header is not fully visible at this width, or None."""
    return page.evaluate(
        """() => {
            const header = document.querySelector("#result_list thead th:last-child");
            const box = header.getBoundingClientRect();
            if (box.left < 0 || box.right > window.innerWidth) {
                return `header spans ${box.left}..${box.right}, outside 0..${window.innerWidth}`;
            }
            const filter = document.querySelector("#changelist-filter");
            const side = filter && filter.getBoundingClientRect();
            if (side && box.right > side.left && box.left < side.right) {
                return `header spans ${box.left}..${box.right}, under the filter at ${side.left}`;
            }
            const atCorner = document.elementFromPoint(box.right - 2, box.top + box.height / 2);
            if (!header.contains(atCorner)) {
                return `its right edge shows ${atCorner && atCorner.outerHTML.slice(0, 80)}`;
            }
            return null;
        }"""
    )


def test_each_lists_last_column_is_in_view_beside_the_filters(page):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    poll = PollFactory(title="Which column is last, and can staff see it?")
    voter = UserFactory(
        username="avoterwitharatherlongname", email="avoterwitharatherlongname@example.com"
    )
    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)
    services.poll_reword(poll=PollFactory(), title="A reworded question", by=admin)
    log_in(page, admin.username)

    problems = {}
    for model, last_column in LISTS.items():
        page.set_viewport_size(DESKTOP)
        page.goto(f"/admin/polls/{model}/")
        header = page.locator("#result_list thead th").last
        assert header.inner_text().strip().lower() == last_column
        assert page.locator("#changelist-filter").is_visible()
        if problem := last_header_problem(page):
            problems[model] = problem
        screenshot(page, f"admin-{model}-list")
    assert problems == {}
