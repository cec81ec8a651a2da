"""Casting a ballot and removing one (a fraudulent vote), with the counters kept in step."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, prefetch_related_objects
from django.utils import timezone

from ..models import AuditEntry, Ballot, Choice, Option, Poll, user_identity
from .audit import audit_record
from .errors import AlreadyVoted, NotAllowed, OptionNotInPoll, PollClosed, PollNotFound
from .permissions import DELETE_BALLOT

User = get_user_model()

MAX_ID = 2**63 - 1  # the largest id either database stores; a bigger number names no option

# Counts the vote on the option if it belongs to the open poll with that public id, and locks the
# option's row until the transaction ends (so poll_reword never relabels under a vote in flight).
# The poll's row is only read here: votes on other options run side by side until COUNT_BALLOT.
COUNT_CHOICE = """
    UPDATE polls_option SET votes = votes + 1
    WHERE id = %s AND poll_id = (
        SELECT id FROM polls_poll
        WHERE public_id = %s AND closed_at IS NULL AND closes_at > %s
    )
    RETURNING poll_id
"""
# The poll's ballot count and revision, last in the transaction: the poll's row is locked from
# here to the commit. The open check is made again: a close that committed while this vote
# waited for the row (PostgreSQL re-reads the row after the wait) refuses the vote. It returns
# the poll as the answer to the vote shows it.
COUNT_BALLOT = """
    UPDATE polls_poll SET ballot_count = ballot_count + 1, revision = revision + 1
    WHERE id = %s AND closed_at IS NULL AND closes_at > %s
    RETURNING id, public_id, title, author_id, created_at, closes_at, closed_at, ballot_count,
        revision, shuffle_options, (SELECT username FROM polls_user WHERE polls_user.id = author_id)
        AS author_username
"""


def vote_cast(*, poll: Poll | str, voter: User, option_id: int) -> Ballot:
    """Record `voter`'s single-choice ballot for `option_id` in `poll` (a Poll or its public
    id) and count it. Returns the ballot, whose `poll` is the poll as this vote left it: its
    counts, options and the voter's choice, ready to show without another read.

    One short transaction, each statement one round trip: count the choice on the option only if
    it is an option of this poll and the poll is open at this instant; insert the ballot (the
    one-ballot-per-identity constraint settles races between two requests of one voter: the
    second rolls everything back); insert its choice; count the ballot on the poll. Counters are
    raised in the database, so concurrent votes are never lost.
    """
    public_id = poll if isinstance(poll, str) else poll.public_id
    option_id = _as_id(option_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    COUNT_CHOICE,
                    [option_id, public_id, connection.ops.adapt_datetimefield_value(now)],
                )
                counted = cursor.fetchone()
            if counted is None:
                raise _refusal(public_id=public_id, option_id=option_id, now=now)
            (poll_id,) = counted
            ballot = Ballot.objects.create(
                poll_id=poll_id, voter=voter, identity=user_identity(voter.pk), cast_at=now
            )
            Choice.objects.bulk_create(
                [Choice(ballot=ballot, poll_id=poll_id, option_id=option_id)]
            )
            ballot.poll = _count_ballot(poll_id=poll_id, option_id=option_id, now=now)
    except IntegrityError:
        if Ballot.objects.filter(poll__public_id=public_id, identity=user_identity(voter.pk)):
            raise AlreadyVoted from None
        if not Poll.objects.filter(public_id=public_id).exists():
            raise PollClosed("This poll has been deleted.") from None
        raise
    return ballot


def _as_id(option_id) -> int:
    try:
        number = int(option_id)
    except (TypeError, ValueError):
        raise OptionNotInPoll from None
    if not 0 < number <= MAX_ID:
        raise OptionNotInPoll
    return number


def _refusal(*, public_id: str, option_id: int, now: datetime) -> Exception:
    """Why COUNT_CHOICE counted nothing (read only when a vote is refused)."""
    poll = Poll.objects.filter(public_id=public_id).only("id", "closes_at", "closed_at").first()
    if poll is None:
        return PollNotFound()
    if not Option.objects.filter(pk=option_id, poll_id=poll.pk).exists():
        return OptionNotInPoll()
    return PollClosed()


def _count_ballot(*, poll_id: int, option_id: int, now: datetime) -> Poll:
    """COUNT_BALLOT, as a Poll with its author's username, its options (read in the vote's
    transaction: exactly the counts this vote left) and the voter's choice. PollClosed (which
    rolls the vote back) when the poll closed meanwhile."""
    counted = list(
        Poll.objects.raw(COUNT_BALLOT, [poll_id, connection.ops.adapt_datetimefield_value(now)])
    )
    if not counted:
        raise PollClosed
    (poll,) = counted
    poll.author = User.from_db(
        connection.alias, ["id", "username"], [poll.author_id, poll.author_username]
    )
    prefetch_related_objects([poll], "options")
    poll.set_choice_of_user(option_id)
    return poll


def ballot_remove(*, ballot: Ballot, by: User | None = None) -> bool:
    """Remove a ballot (a fraudulent vote) and take its choices off the counters, in one
    transaction that also records the removal in the audit log. It takes polls.delete_ballot
    (`by=None` is the system). Idempotent: returns True only for the call that removed it."""
    if by is not None and not by.has_perm(DELETE_BALLOT):
        raise NotAllowed("Only staff can remove a ballot.")
    with transaction.atomic():
        # Options first, then the ballot, then the poll: the order a vote and poll_delete take
        # their locks in, so none of them can wait on another in a cycle.
        list(
            Option.objects.select_for_update(of=("self",))
            .filter(choices__ballot=ballot)
            .order_by("id")
        )
        choices = list(ballot.choices.select_related("option").order_by("rank", "id"))
        _, per_model = Ballot.objects.filter(pk=ballot.pk).delete()
        if not per_model.get(Ballot._meta.label):
            return False
        Option.objects.filter(pk__in=[choice.option_id for choice in choices]).update(
            votes=F("votes") - 1
        )
        Poll.objects.filter(pk=ballot.poll_id).update(
            ballot_count=F("ballot_count") - 1, revision=F("revision") + 1
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


def voter_ballots_remove(*, voter_id: int) -> int:
    """Take every ballot of one voter off the counts and delete them, in one transaction: what
    deleting an account must do first (the database's cascade would delete the rows and leave
    the counters above the ballots). Options are locked first, then the polls, as a vote takes
    them. Returns how many ballots were removed."""
    with transaction.atomic():
        choices = Choice.objects.filter(ballot__voter_id=voter_id)
        list(
            Option.objects.select_for_update()
            .filter(pk__in=choices.values("option_id"))
            .order_by("id")
        )
        per_option = choices.values("option_id").annotate(n=Count("id")).order_by()
        for row in per_option:
            Option.objects.filter(pk=row["option_id"]).update(votes=F("votes") - row["n"])
        ballots = Ballot.objects.filter(voter_id=voter_id)
        per_poll = ballots.values("poll_id").annotate(n=Count("id")).order_by("poll_id")
        for row in per_poll:
            Poll.objects.filter(pk=row["poll_id"]).update(
                ballot_count=F("ballot_count") - row["n"], revision=F("revision") + 1
            )
        _, removed = ballots.delete()
    return removed.get(Ballot._meta.label, 0)
