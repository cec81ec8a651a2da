"""The order of a ballot's options. A poll that shuffles its options shows each viewer their own
order, the same on every visit, so that no option gains from always being shown first; results
always keep the author's order.

A viewer is named by a key: `user_order_key` for a signed-in user, `browser_order_key` for a
browser without one (a random value it keeps in a cookie), `ANONYMOUS_ORDER_KEY` for a caller
with neither. The order follows from the poll and the key alone, keyed with the secret key, so
nothing is stored and nobody can work out another viewer's order.
"""

import hashlib
from collections.abc import Iterable

from django.utils.crypto import salted_hmac

from ..models import Option, Poll

ORDER_SALT = "polls.services.ordering.ballot_order"
ANONYMOUS_ORDER_KEY = "anonymous"


def user_order_key(user_id: int) -> str:
    return f"user:{user_id}"


def browser_order_key(browser: str) -> str:
    return f"browser:{browser}"


def viewer_order_key(*, user, browser: str | None = None) -> str:
    """The key of a viewer: the user when signed in, else the browser's value if it has one."""
    if user is not None and user.is_authenticated:
        return user_order_key(user.pk)
    return browser_order_key(browser) if browser else ANONYMOUS_ORDER_KEY


def ballot_order(*, poll: Poll, options: Iterable[Option], viewer_key: str) -> list[Option]:
    """`options` (the poll's, in the author's order) in the order the viewer named by
    `viewer_key` sees on the ballot: the author's order, unless the poll shuffles its options.
    Then each option is placed by a hash of its id keyed with the poll and the viewer, so one
    viewer's order never changes and two viewers' orders are independent. No query."""
    options = list(options)
    if not poll.shuffle_options:
        return options
    seed = salted_hmac(ORDER_SALT, f"{poll.pk}|{viewer_key}", algorithm="sha256").digest()

    def place(option: Option) -> bytes:
        return hashlib.blake2b(str(option.pk).encode(), key=seed, digest_size=8).digest()

    return sorted(options, key=place)
