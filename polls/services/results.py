"""Tallies: counts and percentages from the options' counters, and the version (ETag) of a
poll's live answers, so that a client polling them is told "not modified" for one query."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, Value
from django.utils.crypto import salted_hmac

from ..models import Ballot, Poll
from .visibility import results_hidden_until

ETAG_SALT = "polls.services.results.poll_etag"
# Raise it when what the answers show changes shape, so that no client keeps an old body.
# 2: results visibility (counts may be null; results_visibility, results_hidden_until).
# 3: ranked choice (voting_method, rank_all, my_ranking, ranked).
ETAG_FORMAT = "3"


@dataclass(frozen=True)
class OptionResult:
    id: int
    label: str
    votes: int | None  # None: hidden from this viewer (polls.services.visibility)
    percent: float | None


@dataclass(frozen=True)
class PollResults:
    total_votes: int | None  # None: hidden from this viewer
    options: list[OptionResult]


def poll_results(*, poll: Poll, hidden: bool = False) -> PollResults:
    """Counts from the options' counters and the poll's ballot count: no ballot is read, so the
    cost does not grow with the number of votes. A share is of the voters (the ballots), which
    stays right when a ballot may choose several options. Uses prefetched options when present.

    `hidden` (what results_visible denies the viewer): every count and share is None, and only
    the options' ids and labels are left, so that no page or answer built from it can leak one."""
    options = list(poll.options.all())
    total = poll.ballot_count
    if hidden:
        return PollResults(
            total_votes=None,
            options=[OptionResult(option.id, option.label, None, None) for option in options],
        )
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
    time, a new wording), the closing times that decide `is_open`, the author's username,
    which lives on the user's row and so is outside the revision, and what the visibility rule
    needs: the setting, the author, and whether the viewer the version was read for voted."""

    public_id: str
    revision: int
    closes_at: datetime
    closed_at: datetime | None
    author_username: str
    author_id: int
    results_visibility: str
    voted: bool

    @classmethod
    def of(cls, poll: Poll) -> "PollVersion":
        """The version of a poll already read with its author (with_results), and with the
        viewer's ballot (with_choice_of) for a signed-in viewer."""
        return cls(
            poll.public_id,
            poll.revision,
            poll.closes_at,
            poll.closed_at,
            poll.author.username,
            poll.author_id,
            poll.results_visibility,
            poll.voted_by_user(),
        )

    def results_hidden_until(self, *, viewer, now: datetime) -> str | None:
        """The visibility rule's answer for `viewer` (the one the version was read for)."""
        poll = Poll(
            author_id=self.author_id,
            results_visibility=self.results_visibility,
            closes_at=self.closes_at,
            closed_at=self.closed_at,
        )
        return results_hidden_until(poll=poll, viewer=viewer, voted=self.voted, now=now)


def poll_version(*, public_id: str, viewer, identities: tuple[str, ...] = ()) -> PollVersion | None:
    """The poll's version for `viewer` in one query (its row, its author's username, and
    whether the viewer has a ballot in it: by account when signed in, or under one of the
    ballot `identities` they hold without one), None for no poll."""
    own = Q(identity__in=identities) if identities else Q()
    if viewer.is_authenticated:
        own = Q(voter=viewer.pk) | own if identities else Q(voter=viewer.pk)
    voted = (
        Exists(Ballot.objects.filter(own, poll=OuterRef("pk")))
        if viewer.is_authenticated or identities
        else Value(False)
    )
    row = (
        Poll.objects.filter(public_id=public_id)
        .values_list(
            "revision",
            "closes_at",
            "closed_at",
            "author__username",
            "author_id",
            "results_visibility",
            voted,
        )
        .first()
    )
    return None if row is None else PollVersion(public_id, *row)


def poll_etag(
    *, version: PollVersion, viewer, now: datetime, identities: tuple[str, ...] = ()
) -> str:
    """The ETag of a poll's live answer for `viewer` (a user, maybe anonymous) at `now`: equal
    exactly when the answer would be. It covers the viewer (`my_vote`, and who may see what:
    the visibility setting and the rule's answer for this viewer, which changes without any
    write to the poll when the viewer is given or loses polls.view_results) and `is_open` at
    `now`, since a poll closes by time without any write. The permission is read only when the
    rule needs it (never for an anonymous viewer, the author, or results shown to everyone).

    `now` must be taken before the answer is read and built: an ETag may then be older than its
    body (the next request gets a 200), never newer (a stale body kept by a 304)."""
    is_open = version.closed_at is None and now < version.closes_at
    viewer_key = f"user:{viewer.pk}" if viewer.is_authenticated else "anonymous"
    viewer_key = "|".join([viewer_key, *identities])  # a browser's or a code's own vote
    closed_at = version.closed_at.isoformat() if version.closed_at else ""
    hidden_until = version.results_hidden_until(viewer=viewer, now=now) or ""
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
            version.results_visibility,
            hidden_until,
        ]
    )
    # Keyed with the secret key, so an ETag says nothing about who asked.
    return f'"{salted_hmac(ETAG_SALT, value, algorithm="sha256").hexdigest()[:32]}"'
