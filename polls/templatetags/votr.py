"""Times as people read them. The server writes UTC text that is right without JavaScript;
static/js/votr.js rewrites it in the viewer's own time zone and keeps relative text current."""

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify

register = template.Library()

_UNITS = [("day", 86400), ("hour", 3600), ("minute", 60)]


def relative_text(moment: datetime, *, now: datetime | None = None) -> str:
    """ "in 3 hours", "2 days ago", "in 59 minutes", "just now": the largest whole unit."""
    seconds = (moment - (now or timezone.now())).total_seconds()
    size = abs(seconds)
    for unit, length in _UNITS:
        if size >= length:
            count = int(size // length)
            amount = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {amount}" if seconds > 0 else f"{amount} ago"
    return "in less than a minute" if seconds > 0 else "just now"


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
