"""What ranked-choice polls keep beside their ballots: a count per distinct ranking, kept in
each vote's transaction so that a tally reads one row per ranking, never every ballot; and the
tally of a closed poll, stored once."""

from django.db import models
from django.db.models import Q

from .polls import MAX_OPTIONS

# Option ids best first, joined by commas: at most MAX_OPTIONS ids of at most 19 digits.
RANKING_MAX_LENGTH = MAX_OPTIONS * 20


def ranking_key(option_ids) -> str:
    """The text a ranking is counted under: "12,7,9"."""
    return ",".join(str(option_id) for option_id in option_ids)


def ranking_of_key(key: str) -> tuple[int, ...]:
    return tuple(int(option_id) for option_id in key.split(",")) if key else ()


class RankingCount(models.Model):
    """How many ballots of a ranked poll hold exactly this ranking (option ids best first).
    Raised and lowered by the services in the transaction of each ballot; a row may be left at
    0 after its last ballot is changed or removed."""

    poll = models.ForeignKey("Poll", on_delete=models.CASCADE, related_name="ranking_counts")
    ranking = models.CharField(max_length=RANKING_MAX_LENGTH)
    ballots = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "ranking"], name="ranking_count_unique"),
            models.CheckConstraint(condition=~Q(ranking=""), name="ranking_count_not_blank"),
        ]

    def __str__(self):
        return f"{self.ballots} × {self.ranking} in poll {self.poll_id}"

    @property
    def option_ids(self) -> tuple[int, ...]:
        return ranking_of_key(self.ranking)


class StoredTally(models.Model):
    """A ranked poll's tally (rounds, pairwise matrix, winners) as of `revision`, stored when
    the poll closes and again when a ballot of the closed poll is removed: a closed poll's
    results page reads this row instead of tallying. Stale (and so recomputed) whenever the
    poll's revision has moved past it, as a reopen moves it."""

    poll = models.OneToOneField(
        "Poll", on_delete=models.CASCADE, primary_key=True, related_name="stored_tally"
    )
    revision = models.PositiveBigIntegerField()
    tally = models.JSONField()

    def __str__(self):
        return f"Tally of poll {self.poll_id} at revision {self.revision}"
