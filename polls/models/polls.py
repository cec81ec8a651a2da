"""Polls."""

import copy
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from .ballots import Ballot, user_identity
from .counter import CounterScope, PollCounter

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
MIN_OPTIONS = 2
MAX_OPTIONS = 20
DEFAULT_POLL_DURATION = timedelta(hours=24)
MIN_POLL_DURATION = timedelta(minutes=1)
MAX_POLL_DURATION = timedelta(days=30)
PUBLIC_ID_BYTES = 8  # 64 random bits, 11 URL-safe characters
# What a public id in a URL may look like; anything else is a 404 before any query is made.
PUBLIC_ID_PATTERN = r"[A-Za-z0-9_-]{1,16}"

# When voting stopped or will stop: the recorded close, else the closing time.
ENDED_AT = Coalesce("closed_at", "closes_at")


class ResultsVisibility(models.TextChoices):
    """Who sees a poll's counts, and when (polls.services.visibility is the one rule). The
    author and holders of polls.view_results always do."""

    ALWAYS = "always", "Always"
    AFTER_VOTE = "after_vote", "After voting (everyone once the poll closes)"
    AFTER_CLOSE = "after_close", "Once the poll closes"
    AUTHOR_ONLY = "author_only", "Only the author"


class VoterMode(models.TextChoices):
    """How a poll tells one voter from another, so that each votes once
    (polls.services.voters is the one rule)."""

    ACCOUNT = "account", "Signed-in users"
    BROWSER = "browser", "One vote per browser"
    CODE = "code", "Invite codes"
    OPEN = "open", "Open: no check"


class VoterNames(models.TextChoices):
    """Whether voters are asked for a name."""

    OFF = "off", "Not asked"
    OPTIONAL = "optional", "Optional"
    REQUIRED = "required", "Required"


class NamesShownTo(models.TextChoices):
    """Who sees the names voters give (and so who voted)."""

    AUTHOR = "author", "The author"
    EVERYONE = "everyone", "Everyone who sees the results"
    NOBODY = "nobody", "Nobody"


# The ballot count everyone may see, for ordering lists by votes, -1 where it is hidden from
# someone: counts of polls whose results are public, or public since their recorded close.
PUBLIC_BALLOT_COUNT = Case(
    When(
        Q(results_visibility=ResultsVisibility.ALWAYS)
        | (Q(closed_at__isnull=False) & ~Q(results_visibility=ResultsVisibility.AUTHOR_ONLY)),
        then=F("ballot_count"),
    ),
    default=Value(-1),
    output_field=models.BigIntegerField(),
)


def new_public_id() -> str:
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def default_closes_at():
    return timezone.now() + DEFAULT_POLL_DURATION


class PollQuerySet(models.QuerySet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # (CounterScope, filter) when listed(), open() or closed(), alone or together, made
        # every filter: count() then reads PollCounter, as long as the filter is still that one.
        self._counted_as = None

    def _clone(self):
        clone = super()._clone()
        clone._counted_as = self._counted_as
        return clone

    def count(self):
        """Exact, as QuerySet.count(). Every poll, or every listed one, and of those every open
        or closed one, is counted from PollCounter, which the database's own triggers keep,
        instead of rows that grow with the site (PollCounterQuerySet.counted)."""
        query = self.query
        whole = not (query.is_sliced or query.distinct or query.combinator or query.annotations)
        if whole and self._result_cache is None and not query.extra:
            scope = self._counter_scope()
            if scope is not None:
                total = PollCounter.objects.using(self.db).counted(scope, due=self._due(scope))
                if total is not None:
                    return total
        return super().count()

    def _due(self, scope: CounterScope):
        """The polls of `scope` due for closing, which an open count takes off the unclosed."""
        if scope.status is None:
            return None
        due = self.model._default_manager.using(self.db).due_for_closing(now=scope.now)
        return due.filter(unlisted=False) if scope.listed else due

    def _counter_scope(self) -> CounterScope | None:
        """What the counter would count for this filter, None if it cannot."""
        if not self.query.where:
            return CounterScope()
        if self._counted_as and self._counted_as[1] == self.query.where:
            return self._counted_as[0]
        return None

    def _marked(self, filtered, *, status: str | None = None, listed: bool = False, now=None):
        scope = self._counter_scope()
        if scope is not None:
            scope = scope.narrowed(status=status, listed=listed, now=now)
        filtered._counted_as = None if scope is None else (scope, filtered.query.where.clone())
        return filtered

    def listed(self):
        """Polls on the public lists (home, search, the API's list, suggestions): all but the
        unlisted ones, which only their link, their author's lists and their voters' reach."""
        return self._marked(self.filter(unlisted=False), listed=True)

    def open(self, *, now=None):
        now = now or timezone.now()
        filtered = self.filter(closed_at__isnull=True, closes_at__gt=now)
        return self._marked(filtered, status="open", now=now)

    def closed(self, *, now=None):
        now = now or timezone.now()
        filtered = self.exclude(closed_at__isnull=True, closes_at__gt=now)
        return self._marked(filtered, status="closed", now=now)

    def due_for_closing(self, *, now=None):
        """Polls past their closing time whose close has not been recorded yet."""
        return self.filter(closed_at__isnull=True, closes_at__lte=now or timezone.now())

    def due_for_closing_or_notice(self, *, now=None):
        """Polls due for closing, and closed polls whose author has not been emailed yet."""
        return self.filter(
            Q(closed_at__isnull=True, closes_at__lte=now or timezone.now())
            | Q(closed_at__isnull=False, close_notified_at__isnull=True)
        )

    def with_results(self):
        """Author and options in display order, in a fixed number of queries."""
        return self.select_related("author").prefetch_related("options")

    def with_choice_of(self, user, *, identities: tuple[str, ...] = ()):
        """The viewer's ballot in each poll and all its choices (read with Poll.ballot_of_user
        and Poll.choices_of_user), in one more query whatever the number of polls: a row per
        choice, in the author's option order. The viewer is the signed-in `user` and the
        ballot `identities` they hold without an account (a browser's, an invite code's),
        preferred in that order where they hold several ballots in one poll. No query for a
        viewer with neither."""
        wanted = [user_identity(user.pk)] if user.is_authenticated else []
        wanted += [identity for identity in identities if identity not in wanted]
        if not wanted:
            return self
        preference = Case(
            *[When(identity=identity, then=Value(rank)) for rank, identity in enumerate(wanted)],
            output_field=models.IntegerField(),
        )
        own_choices = (
            Ballot.objects.filter(identity__in=wanted)
            .annotate(
                preference=preference,
                chosen_option_id=F("choices__option_id"),
                chosen_position=F("choices__option__position"),
            )
            .order_by("preference", "chosen_position", "chosen_option_id")
        )
        return self.prefetch_related(
            models.Prefetch("ballots", queryset=own_choices, to_attr="user_ballot_choices")
        )

    def for_listing(self):
        """Author, newest first: what a list of polls shows (the vote count is on the poll)."""
        return self.select_related("author").order_by("-created_at", "-id")

    def search(self, text: str):
        """Polls whose title contains `text`, ignoring case; all polls for empty text."""
        return self.filter(title__icontains=text) if text else self

    def recently_closed(self, *, now=None):
        """Closed polls, the latest to stop voting first. A poll has ended exactly when its
        ended_at (the recorded close, else the closing time) is past, so this reads the
        poll_ended_idx index backwards from now."""
        return (
            self.annotate(ended=ENDED_AT)
            .filter(ended__lte=now or timezone.now())
            .order_by("-ended", "-id")
        )


class Poll(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="polls"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closes_at = models.DateTimeField(default=default_closes_at)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the author was emailed the outcome of this close (None: not yet). Reset by a reopen,
    # so each close is mailed once; the close sweep mails any closed poll still at None.
    close_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The ballots cast (voters, not choices), kept by the services in the transaction of each
    # ballot, so that lists show and order by it without reading any ballot or option.
    ballot_count = models.PositiveIntegerField(default=0, editable=False)
    # Raised by every change to what the poll shows (a ballot, a close, a new closing time, a
    # new wording): the version that ETags of its results and API answer are made from.
    revision = models.PositiveBigIntegerField(default=0, editable=False)

    # The settings an author chooses (docs/poll-settings.md says which stay editable after the
    # first vote). db_default too, so that rows inserted by SQL (the benchmark) get them.
    description = models.TextField(blank=True, default="", db_default="")
    results_visibility = models.CharField(
        max_length=12,
        choices=ResultsVisibility,
        default=ResultsVisibility.AFTER_VOTE,
        db_default=ResultsVisibility.AFTER_VOTE,
    )
    # How many options a ballot marks: 1 and 1 is single choice; 1 and all is approval voting.
    min_choices = models.PositiveSmallIntegerField(default=1, db_default=1)
    max_choices = models.PositiveSmallIntegerField(default=1, db_default=1)
    allow_vote_change = models.BooleanField(default=False, db_default=False)
    # Reachable by its link only: out of every list, search and suggestion but its author's.
    unlisted = models.BooleanField(default=False, db_default=False)
    # Each viewer sees the options in their own (stable) order; results keep the author's.
    shuffle_options = models.BooleanField(default=False, db_default=False)
    # Who may vote and how duplicates are stopped; whether everyone sees who chose what; and
    # whether voters give a name, seen by whom.
    voter_mode = models.CharField(
        max_length=8, choices=VoterMode, default=VoterMode.ACCOUNT, db_default=VoterMode.ACCOUNT
    )
    public_ballots = models.BooleanField(default=False, db_default=False)
    voter_names = models.CharField(
        max_length=8, choices=VoterNames, default=VoterNames.OFF, db_default=VoterNames.OFF
    )
    names_shown_to = models.CharField(
        max_length=8,
        choices=NamesShownTo,
        default=NamesShownTo.AUTHOR,
        db_default=NamesShownTo.AUTHOR,
    )

    objects = PollQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # One index per listing order (a descending order reads its index backwards). The
        # trigram index for title search is PostgreSQL's own: migration 0008 makes it there.
        indexes = [
            models.Index(fields=["closed_at", "closes_at"], name="poll_open_idx"),
            models.Index(fields=["created_at", "id"], name="poll_created_idx"),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(closed_at__isnull=True),
                name="poll_unclosed_created_idx",
            ),
            models.Index(fields=["closes_at", "id"], name="poll_closes_idx"),
            models.Index(fields=["ballot_count", "id"], name="poll_ballot_count_idx"),
            models.Index(PUBLIC_BALLOT_COUNT, "id", name="poll_public_ballot_count_idx"),
            models.Index(ENDED_AT, "id", name="poll_ended_idx"),
            models.Index(fields=["author", "created_at", "id"], name="poll_author_created_idx"),
            models.Index(
                fields=["closes_at"],
                condition=Q(closed_at__isnull=False, close_notified_at__isnull=True),
                name="poll_unnotified_idx",
            ),
            # Polls due for closing, counted with PollCounter's open polls: an index-only scan of
            # the few past their closing time, which the planner prefers to reading every poll
            # even when it guesses that many are due (closed_at and closes_at correlate).
            models.Index(
                fields=["closes_at", "unlisted", "id"],
                condition=Q(closed_at__isnull=True),
                name="poll_unclosed_closes_idx",
            ),
            # The unlisted polls, few next to the listed ones: what the option-label
            # suggestions leave out (OptionQuerySet.of_listed_polls).
            models.Index(fields=["id"], condition=Q(unlisted=True), name="poll_unlisted_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="poll_title_not_blank"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("created_at")),
                name="poll_closes_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(min_choices__gte=1, max_choices__gte=F("min_choices"))
                & Q(max_choices__lte=MAX_OPTIONS),
                name="poll_choice_limits_in_range",
            ),
            models.CheckConstraint(
                condition=Q(results_visibility__in=ResultsVisibility.values),
                name="poll_results_visibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(voter_mode__in=VoterMode.values)
                & Q(voter_names__in=VoterNames.values)
                & Q(names_shown_to__in=NamesShownTo.values),
                name="poll_voter_settings_valid",
            ),
            # Nothing ties an open poll's ballot to its voter, so nothing could change it.
            models.CheckConstraint(
                condition=~Q(voter_mode=VoterMode.OPEN, allow_vote_change=True),
                name="poll_open_votes_final",
            ),
        ]
        permissions = [("view_results", "Can see every poll's results at any time")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("polls:detail", kwargs={"public_id": self.public_id})

    @admin.display(boolean=True, description="open")
    def is_open(self, *, now=None) -> bool:
        """The one rule for open polls: not closed yet and before the closing time."""
        return self.closed_at is None and (now or timezone.now()) < self.closes_at

    def _own_ballot_rows(self) -> list:
        """The rows of one ballot of the viewer given to PollQuerySet.with_choice_of (the one
        of the identity they prefer), one per choice."""
        rows = getattr(self, "user_ballot_choices", None) or []
        return [row for row in rows if row.pk == rows[0].pk] if rows else []

    def ballot_of_user(self) -> Ballot | None:
        """The ballot (with its `cast_at`) of the user given to PollQuerySet.with_choice_of (or
        recorded by set_choice_of_user), or None."""
        rows = self._own_ballot_rows()
        return rows[0] if rows else None

    def choices_of_user(self) -> list[int]:
        """The option ids that user's ballot chose, in the author's option order ([] for none)."""
        rows = self._own_ballot_rows()
        return [row.chosen_option_id for row in rows if row.chosen_option_id is not None]

    def choice_of_user(self) -> int | None:
        """That user's first choice (their only one in a single-choice poll), or None."""
        choices = self.choices_of_user()
        return choices[0] if choices else None

    def voted_by_user(self) -> bool:
        """Whether the user given to PollQuerySet.with_choice_of has a ballot in this poll."""
        return bool(getattr(self, "user_ballot_choices", None))

    def set_choice_of_user(self, option_ids: int | list[int], *, ballot=None) -> None:
        """What ballot_of_user and choices_of_user answer, for a poll read with the `ballot`
        the user just cast: `option_ids` in the author's option order (one id for one)."""
        chosen = [option_ids] if isinstance(option_ids, int) else list(option_ids)
        self.user_ballot_choices = [copy.copy(ballot or Ballot(poll=self)) for _ in chosen]
        for row, option_id in zip(self.user_ballot_choices, chosen, strict=True):
            row.chosen_option_id = option_id

    @property
    def ended_at(self):
        """When voting stopped (or will stop): the recorded close, else the closing time."""
        return self.closed_at or self.closes_at

    @property
    def takes_anonymous_votes(self) -> bool:
        """Whether someone without an account may vote (maybe with a code)."""
        return self.voter_mode != VoterMode.ACCOUNT

    @property
    def is_multiple_choice(self) -> bool:
        return self.max_choices > 1

    @property
    def total_votes(self) -> int:
        """The voters who cast a ballot (what pages and the API call total votes)."""
        return self.ballot_count
