"""The interactive API docs work in a real browser under the site's Content-Security-Policy."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPERATIONS = 19  # every method of every path in the schema


def test_swagger_ui_lists_every_operation_with_nothing_blocked(page, live_server):
    console_errors, outside = [], []
    page.on(
        "console",
        lambda message: message.type == "error" and console_errors.append(message.text),
    )
    page.on(
        "request",
        lambda request: (
            request.url.startswith(("http:", "https:"))
            and not request.url.startswith(live_server.url)
            and outside.append(request.url)
        ),
    )

    page.goto("/api/docs/")
    page.wait_for_selector(".opblock", timeout=15_000)

    assert page.locator(".opblock").count() == OPERATIONS
    assert page.locator(".opblock-summary-path", has_text="/api/polls/{public_id}/votes/").count()
    assert console_errors == []
    assert outside == []
