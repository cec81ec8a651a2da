"""The visibility rule (polls.services.visibility) for templates that list polls: whether the
request's user may see a poll's counts, and if not, what they wait for."""

from django import template

from .. import services

register = template.Library()


@register.simple_tag(takes_context=True)
def results_hidden_until(context, poll) -> str | None:
    """`{% results_hidden_until poll as hidden %}`: None when the request's user may see the
    poll's counts; otherwise "vote", "close" or "never". Whether they voted comes from the
    ballots that PollQuerySet.with_choice_of prefetched (none read: not voted)."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    return services.results_hidden_until(poll=poll, viewer=viewer, voted=poll.voted_by_user())
