"""Casting a ballot and removing one (a fraudulent vote), with the counters kept in step."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from ..models import AuditEntry, Ballot, Choice, Option, Poll
from .audit import audit_record
from .errors import AlreadyVoted, NotAllowed, OptionNotInPoll, PollClosed
from .permissions import DELETE_BALLOT

User = get_user_model()


def vote_cast(*, poll: Poll, voter: User, option_id: int) -> Ballot:
    """Record `voter`'s single-choice ballot for `option_id` and count it.

    One transaction: re-read the poll and check it is open at this instant, insert the ballot
    (the one-ballot-per-voter constraint settles races between two requests of one voter), then
    raise the option's counter in the database, so concurrent votes are never lost. The option's
    row is locked from the first read (the poll's is not: votes on other options run side by
    side), so poll_reword, which locks the options too, never relabels under a vote in flight.
    """
    try:
        option_id = int(option_id)
    except (TypeError, ValueError):
        raise OptionNotInPoll from None
    try:
        with transaction.atomic():
            option = (
                Option.objects.select_related("poll")
                .only("id", "poll__id", "poll__closes_at", "poll__closed_at")
                .select_for_update(of=("self",))
                .filter(pk=option_id, poll_id=poll.pk)
                .first()
            )
            if option is None:
                raise OptionNotInPoll
            if not option.poll.is_open():
                raise PollClosed
            ballot = Ballot.objects.create(poll_id=poll.pk, voter=voter)
            Choice.objects.create(ballot=ballot, poll_id=poll.pk, option_id=option_id)
            Option.objects.filter(pk=option_id).update(votes=F("votes") + 1)
    except IntegrityError:
        if Ballot.objects.filter(poll_id=poll.pk, voter=voter).exists():
            raise AlreadyVoted from None
        if not Poll.objects.filter(pk=poll.pk).exists():
            raise PollClosed("This poll has been deleted.") from None
        raise
    return ballot


def ballot_remove(*, ballot: Ballot, by: User | None = None) -> bool:
    """Remove a ballot (a fraudulent vote) and take its choices off the counters, in one
    transaction that also records the removal in the audit log. It takes polls.delete_ballot
    (`by=None` is the system). Idempotent: returns True only for the call that removed it."""
    if by is not None and not by.has_perm(DELETE_BALLOT):
        raise NotAllowed("Only staff can remove a ballot.")
    with transaction.atomic():
        choices = list(ballot.choices.select_related("option").order_by("rank", "id"))
        _, per_model = Ballot.objects.filter(pk=ballot.pk).delete()
        if not per_model.get(Ballot._meta.label):
            return False
        Option.objects.filter(pk__in=[choice.option_id for choice in choices]).update(
            votes=F("votes") - 1
        )
        audit_record(
            actor=by,
            action=AuditEntry.Action.REMOVE_BALLOT,
            obj=ballot,
            details="Took off the count: "
            + (", ".join(f'"{choice.option.label}"' for choice in choices) or "nothing")
            + f" (voter {ballot.voter_id}, poll {ballot.poll_id}).",
        )
    return True
