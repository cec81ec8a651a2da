"""Times as people read them. The server writes UTC text that is right without JavaScript;
static/js/votr.js rewrites it in the viewer's own time zone and keeps relative text current."""

from datetime import UTC, datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify

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
