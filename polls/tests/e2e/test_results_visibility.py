"""Results visibility in a real browser: the live page copes with counts that become hidden."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from polls import services
from polls.models import ResultsVisibility
from polls.tests.factories import PollFactory, UserFactory, staff_with

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_counts_leave_the_live_page_when_the_viewer_may_no_longer_see_them(page):
    """A moderator watches a poll only its author's results are for; their permission is taken
    back: the next live update takes the counts off instead of showing "null votes"."""
    poll = PollFactory(labels=["Yes", "No"], results_visibility=ResultsVisibility.AUTHOR_ONLY)
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    moderator = staff_with(services.VIEW_RESULTS)

    log_in(page, moderator.username)
    page.goto(poll.get_absolute_url())
    expect(page.locator("[data-total]")).to_have_text("1")
    expect(page.get_by_text("You see these results through your permission")).to_be_visible()

    moderator.user_permissions.remove(
        Permission.objects.get(content_type__app_label="polls", codename="view_results")
    )

    expect(page.locator("[data-live-note]")).to_have_text(
        "The results are hidden now; reload the page to see when they appear.", timeout=15_000
    )
    expect(page.locator(".result-count")).to_have_count(0)
    expect(page.locator(".total")).to_have_count(0)
    assert "null" not in page.locator(".results").inner_text()
    page.reload()
    expect(page.get_by_text("Only the author sees the results.")).to_be_visible()
    screenshot(page, "results-hidden-author-only")
