"""Conditional GETs of a poll's live answers (results.json and the API's poll), for both faces.

The answers differ between viewers (`my_vote`, and whether the results are shown), so browsers
keep them privately and revalidate each time (`private, no-cache`; `no-store` would stop the
revalidation), and any cache keys them by the viewer's credentials (`Vary`). The ETag itself is
polls.services.poll_etag's.
"""

from datetime import datetime

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from . import services
from .models import Poll

VARY = ("Cookie", "Authorization")


def not_modified(
    request: HttpRequest,
    *,
    public_id: str,
    viewer,
    now: datetime,
    identities: tuple[str, ...] = (),
) -> HttpResponseBase | None:
    """A bodiless 304 when If-None-Match holds the poll's ETag for `viewer` at `now` (or `*`);
    otherwise None, and the caller builds the answer. One query, and only for a request that
    carries If-None-Match; unparseable values match nothing (Django's parse_etags)."""
    if not request.META.get("HTTP_IF_NONE_MATCH"):
        return None
    version = services.poll_version(public_id=public_id, viewer=viewer, identities=identities)
    if version is None:
        return None
    etag = services.poll_etag(version=version, viewer=viewer, now=now, identities=identities)
    response = get_conditional_response(request, etag=etag)
    return None if response is None else revalidated(response, etag=etag)


def answered(
    response: HttpResponseBase,
    *,
    poll: Poll,
    viewer,
    now: datetime,
    identities: tuple[str, ...] = (),
):
    """`response`, the answer built from `poll` (read with its author, and the viewer's ballot,
    after `now` was taken), with its ETag and the caching headers."""
    version = services.PollVersion.of(poll)
    etag = services.poll_etag(version=version, viewer=viewer, now=now, identities=identities)
    return revalidated(response, etag=etag)


def revalidated(response: HttpResponseBase, *, etag: str | None = None) -> HttpResponseBase:
    """The caching headers of a live answer (a 200, its 304, its 404)."""
    if etag is not None:
        response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, VARY)
    return response
