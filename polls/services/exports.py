"""Exports of a poll's results (CSV and JSON, from the pages and the API): who may take one,
and what it holds. The poll's author and holders of polls.view_results always may; everyone
else when they may see the results (visibility.py). An export holds counts, never a ballot
or a voter's name."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from ..models import Poll
from .errors import NotAllowed
from .outcome import poll_outcome
from .results import poll_results
from .visibility import NEVER, UNTIL_CLOSE, UNTIL_VOTE, results_hidden_until

EXPORT_REFUSED = {
    UNTIL_VOTE: "You can export this poll's results once you have voted in it.",
    UNTIL_CLOSE: "You can export this poll's results once it has closed.",
    NEVER: "Only the poll's author can export its results.",
}


def utc_text(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second (2030-01-02T03:04:05+00:00)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def poll_export(*, poll: Poll, viewer, voted: bool, now: datetime | None = None) -> dict:
    """What an export of `poll`'s results holds, as JSON-ready values, for `viewer` (a user,
    maybe anonymous), `voted` saying whether they have a ballot in it. Raises NotAllowed, with
    what they wait for, when the results are hidden from them. Reads the poll's options
    (prefetched when present) and its author (select_related when present).

    `winner` marks the winner or every tied option of a closed poll; an open poll has none."""
    now = now or timezone.now()
    hidden = results_hidden_until(poll=poll, viewer=viewer, voted=voted, now=now)
    if hidden is not None:
        raise NotAllowed(EXPORT_REFUSED[hidden])
    results = poll_results(poll=poll)
    is_open = poll.is_open(now=now)
    outcome = None if is_open else poll_outcome(poll=poll, results=results)
    winners = set(outcome.option_ids) if outcome else set()
    return {
        "poll": {
            "id": poll.public_id,
            "url": f"{settings.SITE_URL or ''}{poll.get_absolute_url()}",
            "question": poll.title,
            "description": poll.description,
            "author": poll.author.username,
            "status": "open" if is_open else "closed",
            "created_at": utc_text(poll.created_at),
            "closes_at": utc_text(poll.closes_at),
            "closed_at": None if is_open else utc_text(poll.ended_at),
            "results_visibility": poll.results_visibility,
            "min_choices": poll.min_choices,
            "max_choices": poll.max_choices,
        },
        "options": [
            {
                "id": option.id,
                "label": option.label,
                "votes": option.votes,
                "percent": option.percent,
                "winner": option.id in winners,
            }
            for option in results.options
        ],
        "total_voters": results.total_votes,
        "total_choices": sum(option.votes for option in results.options),
        "outcome": {"kind": str(outcome.kind), "options": outcome.option_ids} if outcome else None,
        "exported_at": utc_text(now),
    }
