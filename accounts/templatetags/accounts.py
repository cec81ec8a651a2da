import math
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes_up(duration: timedelta | None) -> int | None:
    """A wait in whole minutes, rounded up (django-axes gives the lockout's as a timedelta)."""
    if not isinstance(duration, timedelta):
        return None
    return math.ceil(duration.total_seconds() / 60)
