"""Bursts: ballots of one poll cast without an account from one place (the same keyed hash of
the address, Ballot.address_hash) within a few minutes of each other, removed in one go by
staff, the counters following exactly."""

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, QuerySet

from ..models import AuditEntry, Ballot, Choice, Option, Poll
from .audit import audit_record
from .errors import NotAllowed
from .permissions import DELETE_BALLOT
from .rankings import ranking_counts_take_off, rankings_in
from .removal import counted, removal_details
from .tallies import tallies_store

User = get_user_model()

BURST_WINDOW = timedelta(minutes=10)
NOT_STAFF = "Only staff can remove a ballot."


def _ids(ballots: Iterable[Ballot] | QuerySet) -> list[int]:
    if isinstance(ballots, QuerySet):
        return list(ballots.values_list("pk", flat=True))
    return [ballot.pk for ballot in ballots]


def burst_ballots(*, ballots, window: timedelta = BURST_WINDOW) -> QuerySet:
    """The ballots `ballots` (Ballots or a queryset of them) stand for: each of them, and every
    ballot of the same poll with the same non-empty address hash cast within `window` of one
    of them (a ballot without an address hash, an account's, stands for itself alone). Two
    queries: the selected ballots' places and times, then this queryset (read from
    ballot_address_burst_idx)."""
    return _burst(_ids(ballots), window)


def _burst(ids: list[int], window: timedelta) -> QuerySet:
    seeds = Ballot.objects.filter(pk__in=ids).exclude(address_hash="")
    near = Q(pk__in=ids)
    for poll_id, address, cast_at in seeds.values_list("poll_id", "address_hash", "cast_at"):
        near |= Q(
            poll_id=poll_id,
            address_hash=address,
            cast_at__gte=cast_at - window,
            cast_at__lte=cast_at + window,
        )
    return Ballot.objects.filter(near)


def ballots_remove_burst(*, ballots, by: User | None, window: timedelta = BURST_WINDOW) -> int:
    """Remove the ballots of burst_ballots(ballots, window) and take their choices off the
    counters (each option's votes, each poll's ballot count; each poll's revision rises), in
    one transaction that records each removal in the audit log (a secret ballot's choices are
    not written down). It takes polls.delete_ballot (`by=None` is the system). Returns how many
    ballots were removed.

    Locks in the one order: every option of the polls concerned by id (a vote in flight on
    them finishes first, one arriving later waits), then the burst's ballots, found under those
    locks, then the polls. Ballots removed meanwhile by someone else are not counted twice."""
    if by is not None and not by.has_perm(DELETE_BALLOT):
        raise NotAllowed(NOT_STAFF)
    ids = _ids(ballots)
    if not ids:
        return 0
    with transaction.atomic():
        poll_ids = set(Ballot.objects.filter(pk__in=ids).values_list("poll_id", flat=True))
        list(Option.objects.select_for_update().filter(poll_id__in=poll_ids).order_by("id"))
        burst = list(
            _burst(ids, window)
            .select_related("poll", "voter")  # for the audit entries' descriptions
            .select_for_update(of=("self",))
            .order_by("id")
        )
        if not burst:
            return 0
        choices = Choice.objects.filter(ballot__in=[ballot.pk for ballot in burst])
        chosen: dict[int, list[Choice]] = {ballot.pk: [] for ballot in burst}
        for choice in choices.select_related("option").order_by("rank", "id"):
            chosen[choice.ballot_id].append(choice)
        public = dict(
            Poll.objects.filter(pk__in={ballot.poll_id for ballot in burst}).values_list(
                "pk", "public_ballots"
            )
        )
        rankings = rankings_in(choice for held in chosen.values() for choice in held)
        ranking_counts_take_off(rankings)
        Ballot.objects.filter(pk__in=list(chosen)).delete()
        per_option = Counter(
            choice.option_id for held in chosen.values() for choice in counted(held)
        )
        for option_id, votes in sorted(per_option.items()):
            Option.objects.filter(pk=option_id).update(votes=F("votes") - votes)
        per_poll = Counter(ballot.poll_id for ballot in burst)
        for poll_id, removed in sorted(per_poll.items()):
            Poll.objects.filter(pk=poll_id).update(
                ballot_count=F("ballot_count") - removed, revision=F("revision") + 1
            )
        tallies_store(poll_ids={poll_id for poll_id, _ in rankings})
        for ballot in burst:
            audit_record(
                actor=by,
                action=AuditEntry.Action.REMOVE_BALLOT,
                obj=ballot,
                details=removal_details(
                    ballot, chosen[ballot.pk], public=public.get(ballot.poll_id, False)
                )
                + " Removed with its burst.",
            )
    return len(burst)
