"""The reads of polls, named once (PollQuerySet): the lists, the open and closed polls, their
counts from PollCounter, and the viewer's own ballot in each."""

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from .ballots import Ballot, user_identity
from .counter import CounterScope, PollCounter
from .poll_settings import ENDED_AT


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
        """Author, options in display order and, for a closed ranked poll, its stored tally,
        in a fixed number of queries."""
        return self.select_related("author", "stored_tally").prefetch_related("options")

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
                chosen_rank=F("choices__rank"),
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
