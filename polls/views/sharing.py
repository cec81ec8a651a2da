"""A poll's QR code and its link-preview picture: public, since they show no count, and
cached by browsers and crawlers (an ETag to revalidate for free)."""

import hashlib

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from .. import sharing
from ..models import Poll
from .common import _poll_or_404

# A poll's link never changes: a day before asking again.
QR_MAX_AGE = 24 * 60 * 60
# Its question may be reworded: an hour, then a revalidation that costs one query.
CARD_MAX_AGE = 60 * 60


def _cached(request, response: HttpResponse, *, etag: str, max_age: int) -> HttpResponse:
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=max_age)
    return get_conditional_response(request, etag=etag, response=response)


def poll_qr_svg(request, public_id):
    """The poll's link as a QR code (SVG), drawn here: no outside service sees who shares."""
    poll = _poll_or_404(public_id, Poll.objects.only("public_id"))
    svg = sharing.qr_svg(sharing.poll_link(request, poll))
    etag = f'"{hashlib.sha256(svg).hexdigest()[:32]}"'
    response = HttpResponse(svg, content_type="image/svg+xml")
    return _cached(request, response, etag=etag, max_age=QR_MAX_AGE)


def poll_card_png(request, public_id):
    """The picture a shared link previews with (og:image), 1200×630 PNG. A matching
    If-None-Match costs the one query and no drawing."""
    poll = _poll_or_404(
        public_id, Poll.objects.select_related("author").only("title", "author__username")
    )
    site = request.get_host()
    etag = sharing.card_etag(poll=poll, site=site)
    if unchanged := get_conditional_response(request, etag=etag):
        return _cached(request, unchanged, etag=etag, max_age=CARD_MAX_AGE)
    response = HttpResponse(sharing.card_png(poll=poll, site=site), content_type="image/png")
    return _cached(request, response, etag=etag, max_age=CARD_MAX_AGE)
