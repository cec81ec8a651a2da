"""The poll page's ballot in the viewer's own order (services.ballot_order): a signed-in viewer
is named by their account; a browser without one by a random value in a small cookie, given
only by pages whose order depends on it. No session is made for it."""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils.cache import patch_vary_headers

from .. import services
from ..models import Option, Poll

BROWSER_COOKIE = "votr_ballot_order"
BROWSER_VALUE_BYTES = 16  # 22 URL-safe characters
BROWSER_VALUE = re.compile(r"[A-Za-z0-9_-]{22}")
BROWSER_COOKIE_MAX_AGE = timedelta(days=365)


class BallotOrderMixin:
    """For a DetailView of a poll read with its options: `ballot_options(poll)` in the view's
    context, and the browser's cookie on the response when a new value was chosen."""

    _new_browser_value = None
    _shuffled = False

    def ballot_options(self, poll: Poll) -> list[Option]:
        browser = None
        self._shuffled = poll.shuffle_options
        if poll.shuffle_options and not self.request.user.is_authenticated:
            browser = self.request.COOKIES.get(BROWSER_COOKIE, "")
            if not BROWSER_VALUE.fullmatch(browser):
                browser = self._new_browser_value = secrets.token_urlsafe(BROWSER_VALUE_BYTES)
        key = services.viewer_order_key(user=self.request.user, browser=browser)
        return services.ballot_order(poll=poll, options=poll.options.all(), viewer_key=key)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if self._shuffled:
            patch_vary_headers(response, ["Cookie"])  # one browser's order is not another's
        if self._new_browser_value:
            response.set_cookie(
                BROWSER_COOKIE,
                self._new_browser_value,
                max_age=BROWSER_COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
