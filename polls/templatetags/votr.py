"""Times and a poll's description as people read them. The server writes UTC text that is
right without JavaScript; static/js/votr.js rewrites it in the viewer's own time zone and keeps
relative text current."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator, slugify

register = template.Library()


def relative_text(moment: datetime) -> str:
    """Django's naturaltime ("3 hours from now", "an hour ago", "2 days, 5 hours ago"), except
    under a minute: "in less than a minute" or "just now", since the script refreshes times
    every 30 seconds and a count of seconds would be wrong by then."""
    seconds = (moment - timezone.now()).total_seconds()
    if abs(seconds) < 60:
        return "in less than a minute" if seconds > 0 else "just now"
    return naturaltime(moment)


def absolute_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


@register.simple_tag
def relative_time(moment: datetime):
    """<time> with relative text; the exact moment is in its title."""
    return format_html(
        '<time datetime="{}" data-relative title="{}">{}</time>',
        moment.isoformat(),
        absolute_text(moment),
        relative_text(moment),
    )


@register.simple_tag
def absolute_time(moment: datetime):
    """<time> with the date and time; the script shows it in the viewer's time zone."""
    return format_html(
        '<time datetime="{}" data-absolute>{}</time>', moment.isoformat(), absolute_text(moment)
    )


@register.filter
def title_slug(title: str) -> str:
    return slugify(title)[:60].strip("-") or "poll"


# A web address in plain text: http(s):// and what follows up to a space, a quote or an angle
# bracket (none of which a link may hold unescaped). No other scheme becomes a link.
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address it follows.
TRAILING_PUNCTUATION = ".,;:!?*"
CLOSING_BRACKETS = {")": "(", "]": "[", "}": "{"}
# Links in what authors write: not endorsed (nofollow), no window.opener, user content (ugc).
DESCRIPTION_LINK_REL = "nofollow noopener ugc"
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
EXCERPT_LENGTH = 140


def _address_end(address: str) -> str:
    """`address` less the punctuation after it: a full stop, or a closing bracket that does
    not close one opened inside the address ("(see https://example.com/a_(b))")."""
    opened = {closing: address.count(opening) for closing, opening in CLOSING_BRACKETS.items()}
    closed = {closing: address.count(closing) for closing in CLOSING_BRACKETS}
    end = len(address)
    while end:
        last = address[end - 1]
        if last in CLOSING_BRACKETS and closed[last] > opened[last]:
            closed[last] -= 1
        elif last not in TRAILING_PUNCTUATION:
            break
        end -= 1
    return address[:end]


def _is_web_address(address: str) -> bool:
    try:
        parts = urlsplit(address)
    except ValueError:  # "http://[" and other addresses no browser could open
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _linked(line: str) -> SafeString:
    """One line of plain text, escaped, with its web addresses as links."""
    pieces, done = [], 0
    for match in WEB_ADDRESS.finditer(line):
        address = _address_end(match.group())
        if not _is_web_address(address):
            continue
        pieces.append(escape(line[done : match.start()]))
        pieces.append(
            format_html('<a href="{}" rel="{}">{}</a>', address, DESCRIPTION_LINK_REL, address)
        )
        done = match.start() + len(address)
    pieces.append(escape(line[done:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


def _paragraph(text: str) -> SafeString:
    *lines, last = [_linked(line.rstrip()) for line in text.split("\n")]
    return format_html(
        "<p>{}{}</p>", format_html_join("", "{}<br>", ((line,) for line in lines)), last
    )


@register.filter(is_safe=True)
def poll_description(text: str) -> SafeString:
    """A poll's description as HTML: plain text, every character escaped, paragraphs at blank
    lines and line breaks kept, http(s) addresses as links (nofollow noopener ugc)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return format_html_join("", "{}", [])
    paragraphs = PARAGRAPH_BREAK.split(text)
    return format_html_join("", "{}", ((_paragraph(paragraph),) for paragraph in paragraphs))


@register.filter
def description_excerpt(text: str) -> str:
    """The description's first line, shortened, as plain text (a card shows it on one line)."""
    first = next((line for line in (text or "").splitlines() if line.strip()), "")
    return Truncator(" ".join(first.split())).chars(EXCERPT_LENGTH)
