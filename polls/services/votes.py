"""Casting a ballot, with the counters kept in step. Changing and retracting one are
votes_change.py; removing one, removal.py; what a ballot sent may hold, ballot_input.py."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from ..models import (
    MAX_OPTIONS,
    USER_IDENTITY_PREFIX,
    Ballot,
    Choice,
    Option,
    Poll,
    VoterMode,
)
from .ballot_input import chosen_ids, ranking_clean
from .challenges import challenge_verify
from .errors import (
    AlreadyVoted,
    ChoicesExpected,
    OptionNotInPoll,
    PollClosed,
    PollNotFound,
    RankAllRequired,
    RankingExpected,
    RankingNotExpected,
    TooFewChoices,
    TooManyChoices,
    VoteRefused,
)
from .invites import invite_code_use
from .rankings import ranked_choices, ranking_count_add
from .voters import (
    Voter,
    address_hash,
    as_voter,
    ballot_identity,
    ballot_name,
    needs_challenge,
)

User = get_user_model()

# Counts the vote on the option if it belongs to the open poll with that public id, and locks the
# option's row until the transaction ends (so poll_reword never relabels under a vote in flight).
# The poll's row is only read here: votes on other options run side by side until COUNT_BALLOT.
COUNT_CHOICE = """
    UPDATE polls_option SET votes = votes + 1
    WHERE id = %s AND poll_id = (
        SELECT id FROM polls_poll
        WHERE public_id = %s AND closed_at IS NULL AND closes_at > %s
    )
    RETURNING poll_id, {settings}
"""
# The same for several options, locking their rows in ascending id order first (the one lock
# order, docs/architecture.md), so that ballots sharing options never wait on each other in a
# cycle. {lock} is FOR UPDATE where the database has row locks (SQLite's writing transaction
# holds the whole database).
COUNT_CHOICES = """
    UPDATE polls_option SET votes = votes + {increment}
    WHERE id IN (
        SELECT id FROM polls_option
        WHERE id IN ({ids}) AND poll_id = (
            SELECT id FROM polls_poll
            WHERE public_id = %s AND closed_at IS NULL AND closes_at > %s
        )
        ORDER BY id{lock}
    )
    RETURNING poll_id, {settings}
"""
# A chosen ballot counts on each option it chose; a ranked one on its first preference only
# (its other options are locked all the same).
EVERY_CHOICE = "1"
FIRST_PREFERENCE = "CASE WHEN id = %s THEN 1 ELSE 0 END"
# What the vote needs to know of the poll to tell its voter apart, returned by the statement
# that counts the choices rather than read by another round trip.
POLL_VOTER_SETTINGS = """
    (SELECT voter_mode FROM polls_poll WHERE polls_poll.id = polls_option.poll_id),
    (SELECT voter_names FROM polls_poll WHERE polls_poll.id = polls_option.poll_id)
"""
# The poll's ballot count and revision, last in the transaction: the poll's row is locked from
# here to the commit. The open check and the choice limits are checked on that row: a close or
# an edit of the limits that committed while this vote waited for it (PostgreSQL re-reads the
# row after the wait) refuses the vote. The voting method and, for a chosen ballot, the choice
# limits: at least min_choices, at most max_choices, and a single choice sent as such
# (option_id) only to a poll that takes one; for a ranked ballot, every option where the poll
# asks for all. It returns the poll, every column, as the answer to the vote shows it.
COUNT_BALLOT = """
    UPDATE polls_poll SET ballot_count = ballot_count + 1, revision = revision + 1
    WHERE id = %s AND closed_at IS NULL AND closes_at > %s AND {takes_it}
    RETURNING *, (SELECT username FROM polls_user WHERE polls_user.id = author_id)
        AS author_username
"""
TAKES_CHOICES = (
    "voting_method = 'choice' AND min_choices <= %s AND max_choices >= %s AND max_choices <= %s"
)
TAKES_RANKING = (
    "voting_method = 'ranked' AND (NOT rank_all OR %s = "
    "(SELECT COUNT(*) FROM polls_option WHERE polls_option.poll_id = polls_poll.id))"
)


def vote_cast(
    *,
    poll: Poll | str,
    voter: User | Voter,
    option_id: int | None = None,
    option_ids: Iterable[int] | None = None,
    ranking: Iterable[int] | None = None,
    challenge: str | None = None,
) -> Ballot:
    """Record `voter`'s ballot in `poll` (a Poll or its public id) and count it: one option,
    `option_id`, the single-choice form (refused by a poll that takes several), or
    `option_ids`, between the poll's min_choices and max_choices distinct options of it; or,
    in a ranked poll, `ranking`: distinct options of it best first (every one where it asks).
    `voter` is a signed-in user or a Voter (polls.services.voters): the poll's voter mode says
    who may vote and under which identity; a vote without an account in a browser or open
    poll carries `challenge`, a solved proof-of-work challenge. Returns the ballot, whose
    `poll` is the poll as this vote left it: its counts, options and the voter's choices,
    ready to show without another read.

    One short transaction, each statement one round trip: count the choices on the options only
    if they are options of this poll and the poll is open at this instant (several options are
    locked in ascending id order), which also returns the poll's voter mode; insert the ballot
    (the one-ballot-per-identity constraint settles races between two requests of one voter:
    the second rolls everything back); insert its choices; count a ranking among the poll's
    rankings (polls.services.rankings); mark an invite code used; count the ballot on the poll,
    checking there that the poll is still open and takes this ballot. A ranked ballot counts
    on its first preference's option only.
    Counters are raised in the database, so concurrent votes are never lost.
    """
    voter = as_voter(voter)
    public_id = poll if isinstance(poll, str) else poll.public_id
    ranked = ranking is not None
    if ranked:
        if option_id is not None or option_ids is not None:
            raise TypeError("Give a ranking, or option_id or option_ids, not both.")
        chosen, single = ranking_clean(ranking), False
    else:
        chosen, single = chosen_ids(option_id=option_id, option_ids=option_ids)
    now = timezone.now()
    refused = {"public_id": public_id, "chosen": chosen, "single": single, "ranked": ranked}
    if not 0 < len(chosen) <= MAX_OPTIONS:
        raise _refusal(**refused, now=now)
    identity = None
    try:
        with transaction.atomic():
            counted = _count_choices(public_id=public_id, chosen=chosen, ranked=ranked, now=now)
            if counted is None:
                raise _refusal(**refused, now=now)
            poll_id, mode, names = counted
            identity = ballot_identity(mode=mode, voter=voter)
            if needs_challenge(mode=mode, voter=voter):
                challenge_verify(payload=challenge)
            settings = Poll(pk=poll_id, voter_mode=mode, voter_names=names)
            by_account = identity.startswith(USER_IDENTITY_PREFIX)
            ballot = Ballot.objects.create(
                poll_id=poll_id,
                voter=voter.user if by_account else None,
                identity=identity,
                cast_at=now,
                voter_name=ballot_name(poll=settings, voter=voter),
                address_hash="" if by_account else address_hash(voter.address),
            )
            if ranked:
                Choice.objects.bulk_create(
                    ranked_choices(ballot=ballot, poll_id=poll_id, ranking=chosen)
                )
                ranking_count_add(poll_id=poll_id, ranking=chosen)
            else:
                Choice.objects.bulk_create(
                    [Choice(ballot=ballot, poll_id=poll_id, option_id=option) for option in chosen]
                )
            if mode == VoterMode.CODE:
                invite_code_use(poll_id=poll_id, code=voter.code)
            ballot.poll = _count_ballot(
                ballot=ballot, chosen=chosen, single=single, ranked=ranked, now=now
            )
    except IntegrityError:
        if identity and Ballot.objects.filter(poll__public_id=public_id, identity=identity):
            raise AlreadyVoted from None
        if not Poll.objects.filter(public_id=public_id).exists():
            raise PollClosed("This poll has been deleted.") from None
        raise
    return ballot


def choice_count_refusal(
    *, poll: Poll, count: int, single: bool, ranked: bool = False, option_count: int = 0
) -> VoteRefused | None:
    """Why `poll` cannot take a ballot of `count` choices (`single`: sent as one option_id;
    `ranked`: sent as a ranking; `option_count`: the poll's options, for a ranking), or None
    when it can."""
    if ranked != poll.is_ranked:
        return RankingExpected() if poll.is_ranked else RankingNotExpected()
    if ranked:
        return RankAllRequired(option_count) if poll.rank_all and count < option_count else None
    if single and poll.max_choices > 1:
        return ChoicesExpected()
    if count < poll.min_choices:
        return TooFewChoices(poll.min_choices)
    if count > poll.max_choices:
        return TooManyChoices(poll.max_choices)
    return None


def _count_choices(
    *, public_id: str, chosen: list[int], ranked: bool, now: datetime
) -> tuple[int, str, str] | None:
    """COUNT_CHOICE or COUNT_CHOICES (a ranking's first preference only): the poll's id,
    voter mode and voter names setting, or None when any option was not counted (the
    transaction is then rolled back by the refusal)."""
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if len(chosen) == 1:
            cursor.execute(
                COUNT_CHOICE.format(settings=POLL_VOTER_SETTINGS), [chosen[0], public_id, when]
            )
        else:
            lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
            sql = COUNT_CHOICES.format(
                increment=FIRST_PREFERENCE if ranked else EVERY_CHOICE,
                ids=", ".join(["%s"] * len(chosen)),
                lock=lock,
                settings=POLL_VOTER_SETTINGS,
            )
            first = [chosen[0]] if ranked else []
            cursor.execute(sql, [*first, *chosen, public_id, when])
        counted = cursor.fetchall()
    if len(counted) != len(chosen):
        return None
    return tuple(counted[0])


def _refusal(
    *, public_id: str, chosen: list[int], single: bool, ranked: bool, now: datetime
) -> Exception:
    """Why a vote was refused (read only when it is)."""
    poll = (
        Poll.objects.filter(public_id=public_id)
        .only(
            "id",
            "closes_at",
            "closed_at",
            "min_choices",
            "max_choices",
            "voting_method",
            "rank_all",
        )
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
    return _ballot_refusal(poll, chosen=chosen, single=single, ranked=ranked) or PollClosed()


def _ballot_refusal(poll: Poll, *, chosen: list[int], single: bool, ranked: bool):
    option_count = poll.options.count() if ranked and poll.rank_all else 0
    return choice_count_refusal(
        poll=poll, count=len(chosen), single=single, ranked=ranked, option_count=option_count
    )


def _count_ballot(
    *, ballot: Ballot, chosen: list[int], single: bool, ranked: bool, now: datetime
) -> Poll:
    """COUNT_BALLOT, as a Poll with its author's username, its options (read in the vote's
    transaction: exactly the counts this vote left) and the voter's ballot. The refusal (which
    rolls the vote back) when the poll closed meanwhile or does not take this ballot."""
    size = len(chosen)
    if ranked:
        takes_it, limits = TAKES_RANKING, [size]
    else:
        takes_it, limits = TAKES_CHOICES, [size, size, 1 if single else MAX_OPTIONS]
    when = connection.ops.adapt_datetimefield_value(now)
    counted = list(
        Poll.objects.raw(COUNT_BALLOT.format(takes_it=takes_it), [ballot.poll_id, when, *limits])
    )
    if not counted:
        poll = Poll.objects.filter(pk=ballot.poll_id).first()
        if poll is None or not poll.is_open(now=now):
            raise PollClosed
        raise _ballot_refusal(poll, chosen=chosen, single=single, ranked=ranked) or PollClosed()
    (poll,) = counted
    poll.author = User.from_db(
        connection.alias, ["id", "username"], [poll.author_id, poll.author_username]
    )
    prefetch_related_objects([poll], "options")
    order = [option.pk for option in poll.options.all()]
    poll.set_choice_of_user(
        sorted(chosen, key=order.index), ballot=ballot, ranking=chosen if ranked else None
    )
    return poll
