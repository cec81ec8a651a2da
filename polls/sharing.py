"""What sharing a poll's link shows: its QR code (SVG) and the Open Graph and Twitter card
tags a link preview reads, with the picture polls/cards.py draws.

Link previews are fetched by crawlers with no account, so the tags show a count or the outcome
only where everyone may see the results (services.results_public)."""

import hashlib
import io

import segno
from django.http import HttpRequest
from django.urls import reverse
from django.utils.text import Truncator

from . import cards, services
from .models import Poll

QR_SCALE = 8  # pixels per module in the SVG's own size; it scales without loss
QR_DARK = cards.NAVY
DESCRIPTION_SHOWN = 200  # characters of a description in a link preview
LABELS_SHOWN = 60  # characters of the option labels listed when there is no description
# Raise it when the card's drawing changes, so that caches holding the old picture let it go.
CARD_FORMAT = "1"


def poll_link(request: HttpRequest, poll: Poll) -> str:
    """The poll's canonical address, absolute, as the page's share field and canonical tag."""
    return request.build_absolute_uri(poll.get_absolute_url())


def qr_svg(link: str) -> bytes:
    """`link` as a QR code (error correction M, a 4-module quiet zone), a standalone SVG that
    has a size and a viewBox, so that it scales in an <img> and opens at a usable size."""
    code = segno.make(link, error="m")
    output = io.BytesIO()
    code.save(
        output,
        kind="svg",
        scale=QR_SCALE,
        border=4,
        dark=QR_DARK,
        light="#ffffff",
        xmldecl=False,
        omitsize=True,
        title=f"QR code: {link}",
        nl=False,
    )
    size = code.symbol_size(scale=QR_SCALE, border=4)[0]
    # segno writes either a size or a viewBox; the SVG gets both.
    return output.getvalue().replace(
        b" viewBox=", f' width="{size}" height="{size}" viewBox='.encode(), 1
    )


def card_etag(*, poll: Poll, site: str) -> str:
    """The ETag of the poll's preview picture: what the picture shows, hashed."""
    shown = "\n".join([CARD_FORMAT, poll.title, poll.author.username, site])
    return f'"{hashlib.sha256(shown.encode()).hexdigest()[:32]}"'


def card_png(*, poll: Poll, site: str) -> bytes:
    return cards.poll_card_png(question=poll.title, author=poll.author.username, site=site)


def _summary(poll: Poll, results: services.PollResults) -> str:
    """What the poll is about: its description, else who asks and the options."""
    if description := " ".join(poll.description.split()):
        return Truncator(description).chars(DESCRIPTION_SHOWN)
    labels = Truncator(", ".join(option.label for option in results.options)).chars(LABELS_SHOWN)
    return f"A poll by {poll.author.username} with {len(results.options)} options: {labels}."


def _state(poll: Poll, results: services.PollResults) -> str:
    """Open or closed, with the count or the outcome where everyone may see them."""
    public = services.results_public(poll=poll)
    if poll.is_open():
        if public:
            votes = results.total_votes
            return f"Open for votes: {votes} vote{'' if votes == 1 else 's'} so far."
        return "Open for votes."
    if public:
        return services.outcome_sentence(services.poll_outcome(poll=poll, results=results))
    return "Voting has closed."


def link_preview_context(
    request: HttpRequest, *, poll: Poll, results: services.PollResults
) -> dict:
    """The poll page's Open Graph and Twitter card values (templates/polls/_link_preview.html),
    the same for every viewer."""
    card_path = reverse("polls:card", kwargs={"public_id": poll.public_id})
    return {
        "preview_description": f"{_summary(poll, results)} {_state(poll, results)}",
        "preview_image": request.build_absolute_uri(card_path),
        "preview_image_size": (cards.WIDTH, cards.HEIGHT),
    }
