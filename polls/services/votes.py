"""Casting a ballot and removing one (a fraudulent vote), with the counters kept in step.
Changing and retracting a ballot are votes_change.py."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, prefetch_related_objects
from django.utils import timezone

from ..models import MAX_OPTIONS, AuditEntry, Ballot, Choice, Option, Poll, user_identity
from .audit import audit_record
from .errors import (
    AlreadyVoted,
    ChoicesExpected,
    DuplicateChoice,
    NotAllowed,
    OptionNotInPoll,
    PollClosed,
    PollNotFound,
    TooFewChoices,
    TooManyChoices,
    VoteRefused,
)
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
# The same for several options, locking their rows in ascending id order first (the one lock
# order, docs/architecture.md), so that ballots sharing options never wait on each other in a
# cycle. {lock} is FOR UPDATE where the database has row locks (SQLite's writing transaction
# holds the whole database).
COUNT_CHOICES = """
    UPDATE polls_option SET votes = votes + 1
    WHERE id IN (
        SELECT id FROM polls_option
        WHERE id IN ({ids}) AND poll_id = (
            SELECT id FROM polls_poll
            WHERE public_id = %s AND closed_at IS NULL AND closes_at > %s
        )
        ORDER BY id{lock}
    )
    RETURNING poll_id
"""
# The poll's ballot count and revision, last in the transaction: the poll's row is locked from
# here to the commit. The open check and the choice limits are checked on that row: a close or
# an edit of the limits that committed while this vote waited for it (PostgreSQL re-reads the
# row after the wait) refuses the vote. The choice limits: at least min_choices, at most
# max_choices, and a single choice sent as such (option_id) only to a poll that takes one. It
# returns the poll, every column, as the answer to the vote shows it.
COUNT_BALLOT = """
    UPDATE polls_poll SET ballot_count = ballot_count + 1, revision = revision + 1
    WHERE id = %s AND closed_at IS NULL AND closes_at > %s
        AND min_choices <= %s AND max_choices >= %s AND max_choices <= %s
    RETURNING *, (SELECT username FROM polls_user WHERE polls_user.id = author_id)
        AS author_username
"""


def vote_cast(
    *,
    poll: Poll | str,
    voter: User,
    option_id: int | None = None,
    option_ids: Iterable[int] | None = None,
) -> Ballot:
    """Record `voter`'s ballot in `poll` (a Poll or its public id) and count it: one option,
    `option_id`, the single-choice form (refused by a poll that takes several), or
    `option_ids`, between the poll's min_choices and max_choices distinct options of it. Returns
    the ballot, whose `poll` is the poll as this vote left it: its counts, options and the
    voter's choices, ready to show without another read.

    One short transaction, each statement one round trip: count the choices on the options only
    if they are options of this poll and the poll is open at this instant (several options are
    locked in ascending id order); insert the ballot (the one-ballot-per-identity constraint
    settles races between two requests of one voter: the second rolls everything back); insert
    its choices; count the ballot on the poll, checking there that the poll is still open and
    takes this many choices. Counters are raised in the database, so concurrent votes are never
    lost.
    """
    public_id = poll if isinstance(poll, str) else poll.public_id
    chosen, single = chosen_ids(option_id=option_id, option_ids=option_ids)
    now = timezone.now()
    if not 0 < len(chosen) <= MAX_OPTIONS:
        raise _refusal(public_id=public_id, chosen=chosen, single=single, now=now)
    try:
        with transaction.atomic():
            poll_id = _count_choices(public_id=public_id, chosen=chosen, now=now)
            if poll_id is None:
                raise _refusal(public_id=public_id, chosen=chosen, single=single, now=now)
            ballot = Ballot.objects.create(
                poll_id=poll_id, voter=voter, identity=user_identity(voter.pk), cast_at=now
            )
            Choice.objects.bulk_create(
                [Choice(ballot=ballot, poll_id=poll_id, option_id=option) for option in chosen]
            )
            ballot.poll = _count_ballot(ballot=ballot, chosen=chosen, single=single, now=now)
    except IntegrityError:
        if Ballot.objects.filter(poll__public_id=public_id, identity=user_identity(voter.pk)):
            raise AlreadyVoted from None
        if not Poll.objects.filter(public_id=public_id).exists():
            raise PollClosed("This poll has been deleted.") from None
        raise
    return ballot


def chosen_ids(
    *, option_id: int | None, option_ids: Iterable[int] | None
) -> tuple[list[int], bool]:
    """The option ids a ballot holds, and whether they came as the single-choice `option_id`.
    OptionNotInPoll for anything that is no id, DuplicateChoice for an option given twice."""
    if option_ids is None:
        return [_as_id(option_id)], True
    if option_id is not None or isinstance(option_ids, str | bytes):
        raise TypeError("Give option_id or option_ids (a list of ids), not both.")
    chosen = list(option_ids)
    if len(chosen) > MAX_OPTIONS:  # more than any poll takes: not worth reading
        return chosen, False
    chosen = [_as_id(option) for option in chosen]
    if len(set(chosen)) != len(chosen):
        raise DuplicateChoice
    return chosen, False


def choice_count_refusal(*, poll: Poll, count: int, single: bool) -> VoteRefused | None:
    """Why `poll` cannot take a ballot of `count` choices (`single`: sent as one option_id),
    or None when it can."""
    if single and poll.max_choices > 1:
        return ChoicesExpected()
    if count < poll.min_choices:
        return TooFewChoices(poll.min_choices)
    if count > poll.max_choices:
        return TooManyChoices(poll.max_choices)
    return None


def _as_id(option_id) -> int:
    if isinstance(option_id, bool):
        raise OptionNotInPoll
    try:
        number = int(option_id)
    except (TypeError, ValueError):
        raise OptionNotInPoll from None
    if not 0 < number <= MAX_ID:
        raise OptionNotInPoll
    return number


def _count_choices(*, public_id: str, chosen: list[int], now: datetime) -> int | None:
    """COUNT_CHOICE or COUNT_CHOICES: the poll's id, or None when any option was not counted
    (the transaction is then rolled back by the refusal)."""
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if len(chosen) == 1:
            cursor.execute(COUNT_CHOICE, [chosen[0], public_id, when])
        else:
            lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
            sql = COUNT_CHOICES.format(ids=", ".join(["%s"] * len(chosen)), lock=lock)
            cursor.execute(sql, [*chosen, public_id, when])
        counted = cursor.fetchall()
    if len(counted) != len(chosen):
        return None
    return counted[0][0]


def _refusal(*, public_id: str, chosen: list[int], single: bool, now: datetime) -> Exception:
    """Why a vote was refused (read only when it is)."""
    poll = (
        Poll.objects.filter(public_id=public_id)
        .only("id", "closes_at", "closed_at", "min_choices", "max_choices")
        .first()
    )
    if poll is None:
        return PollNotFound()
    if len(chosen) <= MAX_OPTIONS:
        found = Option.objects.filter(pk__in=chosen, poll_id=poll.pk).count()
        if found != len(chosen):
            return OptionNotInPoll()
    if not poll.is_open(now=now):
        return PollClosed()
    return choice_count_refusal(poll=poll, count=len(chosen), single=single) or PollClosed()


def _count_ballot(*, ballot: Ballot, chosen: list[int], single: bool, now: datetime) -> Poll:
    """COUNT_BALLOT, as a Poll with its author's username, its options (read in the vote's
    transaction: exactly the counts this vote left) and the voter's ballot. The refusal (which
    rolls the vote back) when the poll closed meanwhile or does not take this many choices."""
    size = len(chosen)
    counted = list(
        Poll.objects.raw(
            COUNT_BALLOT,
            [
                ballot.poll_id,
                connection.ops.adapt_datetimefield_value(now),
                size,
                size,
                1 if single else MAX_OPTIONS,
            ],
        )
    )
    if not counted:
        poll = Poll.objects.filter(pk=ballot.poll_id).first()
        if poll is None or not poll.is_open(now=now):
            raise PollClosed
        raise choice_count_refusal(poll=poll, count=size, single=single) or PollClosed()
    (poll,) = counted
    poll.author = User.from_db(
        connection.alias, ["id", "username"], [poll.author_id, poll.author_username]
    )
    prefetch_related_objects([poll], "options")
    order = [option.pk for option in poll.options.all()]
    poll.set_choice_of_user(sorted(chosen, key=order.index), ballot=ballot)
    return poll


def ballot_remove(*, ballot: Ballot, by: User | None = None) -> bool:
    """Remove a ballot (a fraudulent vote) and take its choices off the counters, in one
    transaction that also records the removal in the audit log. It takes polls.delete_ballot
    (`by=None` is the system). Idempotent: returns True only for the call that removed it."""
    if by is not None and not by.has_perm(DELETE_BALLOT):
        raise NotAllowed("Only staff can remove a ballot.")
    with transaction.atomic():
        # Options first, then the ballot, then the poll: the order a vote and poll_delete take
        # their locks in, so none of them can wait on another in a cycle. Every option of the
        # poll, as vote_change takes them: the ballot's choices may change until then.
        list(Option.objects.select_for_update().filter(poll_id=ballot.poll_id).order_by("id"))
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
    the counters above the ballots). Options are locked first (every option of those polls, as
    vote_change takes them), then the polls, as a vote takes them. Returns how many ballots were
    removed."""
    with transaction.atomic():
        choices = Choice.objects.filter(ballot__voter_id=voter_id)
        list(
            Option.objects.select_for_update()
            .filter(poll_id__in=choices.values("poll_id"))
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
