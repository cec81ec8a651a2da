"""Polls with given counts, for the tests of what reads them (outcome, exports, previews):
the counters are set as the services would leave them, without casting every ballot."""

from django.db.models import Count
from django.utils import timezone

from polls.models import Ballot, Choice, Option, Poll

from .factories import PollFactory


def poll_with_votes(counts: dict[str, int], *, closed: bool = True, voters=None, **fields) -> Poll:
    """A poll whose options are `counts`' labels with those votes; `voters` (default: the sum,
    as single-choice ballots) is its ballot count. Closed now unless `closed` is False."""
    if closed:
        fields.setdefault("closed_at", timezone.now())
    poll = PollFactory(labels=list(counts), **fields)
    for label, votes in counts.items():
        Option.objects.filter(poll=poll, label=label).update(votes=votes)
    ballots = sum(counts.values()) if voters is None else voters
    Poll.objects.filter(pk=poll.pk).update(ballot_count=ballots)
    return Poll.objects.with_results().get(pk=poll.pk)


def assert_counters_equal_choices(poll) -> None:
    """Each option's counter equals the choices that name it, and the poll's ballot count its
    ballots: what every write to the ballots must leave."""
    poll.refresh_from_db()
    chosen = dict(Choice.objects.filter(poll=poll).values_list("option").annotate(n=Count("id")))
    assert dict(poll.options.values_list("pk", "votes")) == {
        option.pk: chosen.get(option.pk, 0) for option in poll.options.all()
    }
    assert poll.ballot_count == Ballot.objects.filter(poll=poll).count()
