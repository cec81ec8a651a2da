"""Polls."""

import copy
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from .ballots import Ballot
from .poll_queries import PollQuerySet
from .poll_settings import (
    ENDED_AT,
    PUBLIC_BALLOT_COUNT,
    NamesShownTo,
    ResultsVisibility,
    VoterMode,
    VoterNames,
    VotingMethod,
)

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


def new_public_id() -> str:
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def default_closes_at():
    return timezone.now() + DEFAULT_POLL_DURATION


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
    # Choosing options or ranking them. A ranked ballot ranks at least one option, or every
    # option where `rank_all`; the choice limits below apply to chosen ballots only (a ranked
    # poll keeps them at 1 and 1).
    voting_method = models.CharField(
        max_length=8,
        choices=VotingMethod,
        default=VotingMethod.CHOICE,
        db_default=VotingMethod.CHOICE,
    )
    rank_all = models.BooleanField(default=False, db_default=False)
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
            models.CheckConstraint(
                condition=Q(voting_method__in=VotingMethod.values)
                & (
                    Q(voting_method=VotingMethod.CHOICE, rank_all=False)
                    | Q(voting_method=VotingMethod.RANKED, min_choices=1, max_choices=1)
                ),
                name="poll_voting_method_valid",
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

    def ranking_of_user(self) -> list[int]:
        """The option ids that user's ranked ballot ranks, best first ([] for none)."""
        rows = [row for row in self._own_ballot_rows() if row.chosen_option_id is not None]
        rows.sort(key=lambda row: getattr(row, "chosen_rank", None) or 0)
        return [row.chosen_option_id for row in rows]

    def choice_of_user(self) -> int | None:
        """That user's first choice (their only one in a single-choice poll), or None."""
        choices = self.choices_of_user()
        return choices[0] if choices else None

    def voted_by_user(self) -> bool:
        """Whether the user given to PollQuerySet.with_choice_of has a ballot in this poll."""
        return bool(getattr(self, "user_ballot_choices", None))

    def set_choice_of_user(
        self, option_ids: int | list[int], *, ballot=None, ranking: list[int] | None = None
    ) -> None:
        """What ballot_of_user, choices_of_user and ranking_of_user answer, for a poll read with
        the `ballot` the user just cast: `option_ids` in the author's option order (one id for
        one), and a ranked ballot's `ranking` (the same ids, best first)."""
        chosen = [option_ids] if isinstance(option_ids, int) else list(option_ids)
        self.user_ballot_choices = [copy.copy(ballot or Ballot(poll=self)) for _ in chosen]
        for row, option_id in zip(self.user_ballot_choices, chosen, strict=True):
            row.chosen_option_id = option_id
            row.chosen_rank = ranking.index(option_id) + 1 if ranking else None

    @property
    def ended_at(self):
        """When voting stopped (or will stop): the recorded close, else the closing time."""
        return self.closed_at or self.closes_at

    @property
    def takes_anonymous_votes(self) -> bool:
        """Whether someone without an account may vote (maybe with a code)."""
        return self.voter_mode != VoterMode.ACCOUNT

    @property
    def is_ranked(self) -> bool:
        return self.voting_method == VotingMethod.RANKED

    @property
    def is_multiple_choice(self) -> bool:
        """Whether a ballot chooses several options (a ranked ballot ranks them instead)."""
        return self.max_choices > 1

    @property
    def total_votes(self) -> int:
        """The voters who cast a ballot (what pages and the API call total votes)."""
        return self.ballot_count
