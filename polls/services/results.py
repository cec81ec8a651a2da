"""Tallies: counts and percentages from the options' counters, and the version (ETag) of a
poll's live answers, so that a client polling them is told "not modified" for one query."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.crypto import salted_hmac

from ..models import Poll

ETAG_SALT = "polls.services.results.poll_etag"
# Raise it when what the answers show changes shape, so that no client keeps an old body.
ETAG_FORMAT = "1"


@dataclass(frozen=True)
class OptionResult:
    id: int
    label: str
    votes: int
    percent: float


@dataclass(frozen=True)
class PollResults:
    total_votes: int
    options: list[OptionResult]


def poll_results(*, poll: Poll) -> PollResults:
    """Counts from the options' counters and the poll's ballot count: no ballot is read, so the
    cost does not grow with the number of votes. A share is of the voters (the ballots), which
    stays right when a ballot may choose several options. Uses prefetched options when present."""
    options = list(poll.options.all())
    total = poll.ballot_count
    return PollResults(
        total_votes=total,
        options=[
            OptionResult(
                id=option.id,
                label=option.label,
                votes=option.votes,
                percent=round(100 * option.votes / total, 1) if total else 0.0,
            )
            for option in options
        ],
    )


@dataclass(frozen=True)
class PollVersion:
    """What a poll's live answers (results.json, the API's poll) show that can change: the
    revision (raised by every service change: a ballot cast or removed, a close, a new closing
    time, a new wording), the closing times that decide `is_open`, and the author's username,
    which lives on the user's row and so is outside the revision."""

    public_id: str
    revision: int
    closes_at: datetime
    closed_at: datetime | None
    author_username: str

    @classmethod
    def of(cls, poll: Poll) -> "PollVersion":
        """The version of a poll already read with its author (with_results)."""
        return cls(
            poll.public_id, poll.revision, poll.closes_at, poll.closed_at, poll.author.username
        )


def poll_version(*, public_id: str) -> PollVersion | None:
    """The poll's version in one query (its row and its author's username), None for no poll."""
    row = (
        Poll.objects.filter(public_id=public_id)
        .values_list("revision", "closes_at", "closed_at", "author__username")
        .first()
    )
    return None if row is None else PollVersion(public_id, *row)


def poll_etag(*, version: PollVersion, viewer, now: datetime) -> str:
    """The ETag of a poll's live answer for `viewer` (a user, maybe anonymous) at `now`: equal
    exactly when the answer would be. It covers the viewer (`my_vote`, and who may see what)
    and `is_open` at `now`, since a poll closes by time without any write.

    `now` must be taken before the answer is read and built: an ETag may then be older than its
    body (the next request gets a 200), never newer (a stale body kept by a 304)."""
    is_open = version.closed_at is None and now < version.closes_at
    viewer_key = f"user:{viewer.pk}" if viewer.is_authenticated else "anonymous"
    closed_at = version.closed_at.isoformat() if version.closed_at else ""
    value = "|".join(
        [
            ETAG_FORMAT,
            version.public_id,
            str(version.revision),
            version.closes_at.isoformat(),
            closed_at,
            version.author_username,
            str(is_open),
            viewer_key,
        ]
    )
    # Keyed with the secret key, so an ETag says nothing about who asked.
    return f'"{salted_hmac(ETAG_SALT, value, algorithm="sha256").hexdigest()[:32]}"'
