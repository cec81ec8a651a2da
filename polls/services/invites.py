"""Invite codes: a poll in code mode takes one ballot per code its author generated. The
author (or a holder of polls.change_poll) generates and revokes them and sees which are used,
never when."""

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q

from ..models import InviteCode, Poll, VoterMode
from .errors import InviteCodeRefused, InviteCodeRevoked, InviteCodeUsed, NotAllowed
from .permissions import _may_change_poll

MAX_CODES_AT_ONCE = 500
MAX_CODES_PER_POLL = 5000
NOT_CODE_POLL = "This poll does not take votes by invite code."
NOT_YOURS = "Only the poll's author or staff can manage its invite codes."
HOW_MANY = f"Generate from 1 to {MAX_CODES_AT_ONCE} codes at a time."
TOO_MANY = f"A poll can have at most {MAX_CODES_PER_POLL} invite codes."

# An invite code's one ballot: marks it used, in the vote's transaction, after the ballot's
# insert (the one lock order: options, the ballot, the code, the poll); a retracted ballot
# frees it again.
USE_INVITE_CODE = """
    UPDATE polls_invitecode SET used = %s
    WHERE poll_id = %s AND code = %s AND used = %s AND NOT revoked
"""


class InviteCodesRefused(Exception):
    """Codes that cannot be generated or revoked; `message` is fit to show to the author."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check(*, poll: Poll, by) -> None:
    if not (by.is_authenticated and _may_change_poll(by, poll)):
        raise NotAllowed(NOT_YOURS)
    if poll.voter_mode != VoterMode.CODE:
        raise InviteCodesRefused(NOT_CODE_POLL)


def invite_codes_create(*, poll: Poll, by, count) -> list[InviteCode]:
    """Generate `count` new codes for `poll`, numbered after its last one. Each is 72 random
    bits; a collision with an existing code (never seen in practice) is retried once. Returns
    the new codes in order."""
    _check(poll=poll, by=by)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 < count <= MAX_CODES_AT_ONCE:
        raise InviteCodesRefused(HOW_MANY)
    for attempt in range(2):
        try:
            with transaction.atomic():
                # The poll's row lock numbers two concurrent batches one after the other.
                Poll.objects.select_for_update(no_key=True).filter(pk=poll.pk).first()
                existing = InviteCode.objects.filter(poll=poll).aggregate(
                    last=Max("number"), total=Count("id")
                )
                if existing["total"] + count > MAX_CODES_PER_POLL:
                    raise InviteCodesRefused(TOO_MANY)
                first = (existing["last"] or 0) + 1
                return InviteCode.objects.bulk_create(
                    InviteCode(poll=poll, number=number) for number in range(first, first + count)
                )
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def invite_codes_revoke(*, poll: Poll, by, numbers) -> int:
    """Withdraw the unused codes of `poll` with these numbers: they no longer cast a ballot.
    A used code keeps its ballot and is left as it is (a code being used at this moment
    either casts its ballot first or finds itself withdrawn). Returns how many were
    withdrawn."""
    _check(poll=poll, by=by)
    wanted = {number for number in numbers if isinstance(number, int) and 0 < number < 2**31}
    return InviteCode.objects.filter(
        poll=poll, number__in=wanted, used=False, revoked=False
    ).update(revoked=True)


def invite_codes_of(*, poll: Poll, by) -> list[InviteCode]:
    """Every code of `poll`, by number, for its author or staff."""
    _check(poll=poll, by=by)
    return list(InviteCode.objects.filter(poll=poll).order_by("number"))


def invite_code_counts(*, poll: Poll) -> dict[str, int]:
    """How many codes of `poll` are unused, used and revoked."""
    # Aggregates named apart from the fields: Django refuses an aggregate named as a field
    # that another aggregate's filter reads.
    counts = InviteCode.objects.filter(poll=poll).aggregate(
        n_unused=Count("id", filter=Q(used=False, revoked=False)),
        n_used=Count("id", filter=Q(used=True)),
        n_revoked=Count("id", filter=Q(revoked=True, used=False)),
    )
    return {name.removeprefix("n_"): count for name, count in counts.items()}


def invite_code_valid(*, poll: Poll, code: str) -> InviteCode | None:
    """The code of `poll` that `code` names, None for any other text (no query for text that
    cannot be a code)."""
    if not isinstance(code, str) or not 0 < len(code) <= 16 or not code.isascii():
        return None
    return InviteCode.objects.filter(poll=poll, code=code).first()


def invite_code_use(*, poll_id: int, code: str, used: bool = True) -> None:
    """In the caller's transaction: mark `code` of the poll used (its one ballot is being
    cast), or unused again (`used=False`, its ballot retracted). The refusal that says why
    when the code is unknown, revoked or (to use it) used already."""
    with connection.cursor() as cursor:
        cursor.execute(USE_INVITE_CODE, [used, poll_id, code, not used])
        if cursor.rowcount == 1:
            return
    invite = InviteCode.objects.filter(poll_id=poll_id, code=code).first()
    if invite is None:
        raise InviteCodeRefused
    if invite.revoked:
        raise InviteCodeRevoked
    if used and invite.used:
        raise InviteCodeUsed
    raise InviteCodeRefused
