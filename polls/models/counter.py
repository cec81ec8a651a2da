"""The one-row count of polls that the database keeps, and what it can count. Polls read it
(polls.PollQuerySet.count); it knows nothing of them but the polls due for closing it is given.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import F, Func, Q, Subquery


@dataclass(frozen=True)
class CounterScope:
    """What PollCounter can count: every poll, or only the listed ones (`listed`), or of those
    only the open or closed ones at `now` (`status`)."""

    status: str | None = None
    listed: bool = False
    now: datetime | None = None

    def narrowed(self, *, status: str | None, listed: bool, now) -> "CounterScope | None":
        """This scope narrowed by one more of listed(), open() or closed(); None when the
        counter cannot count the result (open and closed, or the same filter twice)."""
        if (status and self.status) or (listed and self.listed):
            return None
        if status:
            return CounterScope(status=status, listed=self.listed, now=now)
        return CounterScope(status=self.status, listed=True, now=self.now)


class PollCounterQuerySet(models.QuerySet):
    def counted(self, scope: CounterScope, *, due=None) -> int | None:
        """The polls of `scope` in one statement (one snapshot). Open polls are the unclosed
        ones less `due`, the scope's polls due for closing (a queryset), which the close sweep
        keeps to a minute's worth. None when the row is missing."""
        row = self.filter(pk=PollCounter.ONLY_ROW)
        every, unclosed = ("listed", "listed_unclosed") if scope.listed else ("polls", "unclosed")
        if scope.status is None:
            return row.values_list(every, flat=True).first()
        due = due.order_by().annotate(polls=Func("id", function="COUNT")).values("polls")
        open_polls = F(unclosed) - Subquery(due)
        counted = open_polls if scope.status == "open" else F(every) - open_polls
        return row.values_list(counted, flat=True).first()


class PollCounter(models.Model):
    """How many polls exist, how many have no recorded close, and the same two counts of the
    listed polls, in one row kept by triggers on polls_poll (migration 0011, on PostgreSQL and
    SQLite), so inserts, deletes, closes, reopenings, polls listed or unlisted, cascades and raw
    SQL are all counted, in the writing transaction: the counts are exact. A missing row (after
    a flush) means "count the table"; the next insert makes it again from the table."""

    ONLY_ROW = 1

    polls = models.BigIntegerField()
    unclosed = models.BigIntegerField()
    listed = models.BigIntegerField()
    listed_unclosed = models.BigIntegerField()

    objects = PollCounterQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="poll_counter_one_row"),
            models.CheckConstraint(
                condition=Q(
                    listed_unclosed__gte=0,
                    listed__gte=F("listed_unclosed"),
                    unclosed__gte=F("listed_unclosed"),
                    polls__gte=F("unclosed"),
                )
                & Q(polls__gte=F("listed")),
                name="poll_counter_in_range",
            ),
        ]

    def __str__(self):
        return (
            f"{self.polls} polls, {self.unclosed} not closed; "
            f"{self.listed} listed, {self.listed_unclosed} of them not closed"
        )
