"""Changing a cast ballot and retracting it: while the poll is open, if its author allows it."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import Ballot, Choice, Option, Poll, VoterMode, ranking_key
from .ballot_input import chosen_ids, ranking_clean
from .errors import NotVoted, OptionNotInPoll, PollClosed, PollNotFound, VoteChangeNotAllowed
from .invites import invite_code_use
from .rankings import (
    COUNTED_CHOICES,
    ranked_choices,
    ranking_count_add,
    ranking_counts_take_off,
    rankings_of,
)
from .voters import Voter, as_voter, ballot_identity
from .votes import choice_count_refusal

User = get_user_model()


def vote_change(
    *,
    poll: Poll | str,
    voter: User | Voter,
    option_ids: Iterable[int] | None = None,
    option_id: int | None = None,
    ranking: Iterable[int] | None = None,
) -> Ballot:
    """Replace the choices of `voter`'s ballot in `poll` (a Poll or its public id) with
    `option_ids` (or `option_id`, the single-choice form), or a ranked poll's ballot with
    `ranking`, by the rules of vote_cast, while the poll is open and allows vote changes.
    `voter` is found as vote_cast tells voters apart (the same account, browser or invite
    code). Returns the ballot, cast at this instant.

    One transaction, its locks in the one order: every option of the poll by id (whatever the
    ballot held and will hold is among them, and a concurrent change of the same ballot waits
    here), the ballot, then the poll, whose row is read under its lock for every rule (a close
    or an edit committed meanwhile is seen). The options taken off lose a vote, those added
    gain one, the ballot count stays; the poll's revision rises. A ranked ballot's choices are
    written again with their new ranks; its first preference's counter and the count of its
    old and new rankings follow.
    """
    ranked = ranking is not None
    if ranked:
        chosen, single = ranking_clean(ranking), False
    else:
        chosen, single = chosen_ids(option_id=option_id, option_ids=option_ids)
    now = timezone.now()
    with transaction.atomic():
        ballot, locked, options = _lock_ballot(poll=poll, voter=voter, now=now)
        if not set(chosen) <= set(options):
            raise OptionNotInPoll
        refusal = choice_count_refusal(
            poll=locked,
            count=len(chosen),
            single=single,
            ranked=ranked,
            option_count=len(options),
        )
        if refusal:
            raise refusal
        if ranked:
            _rerank(ballot, poll_id=locked.pk, ranking=chosen)
        else:
            _rechoose(ballot, poll_id=locked.pk, chosen=chosen)
        Ballot.objects.filter(pk=ballot.pk).update(cast_at=now)
        Poll.objects.filter(pk=locked.pk).update(revision=F("revision") + 1)
    ballot.cast_at = now
    return ballot


def _rechoose(ballot: Ballot, *, poll_id: int, chosen: list[int]) -> None:
    """A chosen ballot's new choices: those taken off lose a vote, those added gain one."""
    held = set(ballot.choices.values_list("option_id", flat=True))
    taken_off = held - set(chosen)
    added = [option for option in chosen if option not in held]
    if taken_off:
        ballot.choices.filter(option_id__in=taken_off).delete()
        Option.objects.filter(pk__in=taken_off).update(votes=F("votes") - 1)
    if added:
        Choice.objects.bulk_create(
            [Choice(ballot=ballot, poll_id=poll_id, option_id=option) for option in added]
        )
        Option.objects.filter(pk__in=added).update(votes=F("votes") + 1)


def _rerank(ballot: Ballot, *, poll_id: int, ranking: list[int]) -> None:
    """A ranked ballot's new ranking: its choices rewritten, the first preference's counter
    and the ranking counts moved (the options are locked, so are the counts' rows)."""
    held = list(ballot.choices.order_by("rank").values_list("option_id", flat=True))
    if held == ranking:
        return
    ranking_counts_take_off(Counter({(poll_id, ranking_key(held)): 1}))
    ballot.choices.all().delete()
    Choice.objects.bulk_create(ranked_choices(ballot=ballot, poll_id=poll_id, ranking=ranking))
    ranking_count_add(poll_id=poll_id, ranking=ranking)
    if held[:1] != ranking[:1]:
        Option.objects.filter(pk__in=held[:1]).update(votes=F("votes") - 1)
        Option.objects.filter(pk=ranking[0]).update(votes=F("votes") + 1)


def vote_retract(*, poll: Poll | str, voter: User | Voter) -> None:
    """Delete `voter`'s ballot in `poll` and take it off every count (the poll's ballot count,
    the votes of each option it counts on, its ranking's count), while the poll is open and
    allows vote changes. One transaction, with the locks of vote_change and ballot_remove:
    options by id, the ballot, the poll. Afterwards the voter may vote again (an invite code
    is unused again)."""
    now = timezone.now()
    with transaction.atomic():
        ballot, locked, _ = _lock_ballot(poll=poll, voter=voter, now=now)
        held = list(ballot.choices.filter(COUNTED_CHOICES).values_list("option_id", flat=True))
        ranking_counts_take_off(rankings_of([ballot.pk]))
        Ballot.objects.filter(pk=ballot.pk).delete()
        Option.objects.filter(pk__in=held).update(votes=F("votes") - 1)
        if locked.voter_mode == VoterMode.CODE:
            invite_code_use(poll_id=locked.pk, code=as_voter(voter).code, used=False)
        Poll.objects.filter(pk=locked.pk).update(
            ballot_count=F("ballot_count") - 1, revision=F("revision") + 1
        )


def _lock_ballot(
    *, poll: Poll | str, voter: User | Voter, now: datetime
) -> tuple[Ballot, Poll, list]:
    """In the caller's transaction: lock every option of the poll (by id), the voter's ballot,
    then the poll; refuse unless the poll is open, allows changes and holds a ballot of theirs.
    Returns the ballot, the poll as locked and its option ids."""
    if isinstance(poll, Poll):
        poll_id, mode = poll.pk, poll.voter_mode
    else:
        found = Poll.objects.filter(public_id=poll).values_list("pk", "voter_mode").first()
        if found is None:
            raise PollNotFound
        poll_id, mode = found
    identity = ballot_identity(mode=mode, voter=as_voter(voter), new=False)
    options = list(
        Option.objects.select_for_update()
        .filter(poll_id=poll_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    ballot = Ballot.objects.select_for_update().filter(poll_id=poll_id, identity=identity).first()
    locked = Poll.objects.select_for_update(no_key=True).filter(pk=poll_id).first()
    if locked is None:
        raise PollNotFound
    if not locked.is_open(now=now):
        raise PollClosed
    if not locked.allow_vote_change:
        raise VoteChangeNotAllowed
    if ballot is None:
        raise NotVoted
    return ballot, locked, options
