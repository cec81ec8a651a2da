from django.db import models
from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, Value, When

from ..labels import LABEL_KEY_MAX_LENGTH
from .polls import Poll

LABEL_MAX_LENGTH = 100
LABEL_SUGGESTIONS = 10


class OptionQuerySet(models.QuerySet):
    def of_listed_polls(self):
        """Options of listed polls only: an anti-join with the unlisted polls, which their
        partial index poll_unlisted_idx lists, rather than a join with every listed poll."""
        unlisted = Poll.objects.filter(pk=OuterRef("poll_id"), unlisted=True)
        return self.filter(~Exists(unlisted))

    def label_suggestions(self, *, search: str = "", limit: int = LABEL_SUGGESTIONS) -> list[str]:
        """Labels used before in listed polls (an unlisted poll's labels are as private as its
        link), one spelling per label (by its key: case and look-alikes folded, as labels are
        unique in a poll), for autocomplete: those starting with `search` first, then the most
        used, then alphabetical. One query."""
        options = self.of_listed_polls().annotate(key=F("label_key"), starts=Value(1))
        if search:
            options = options.filter(label__icontains=search).annotate(
                starts=Case(When(label__istartswith=search, then=Value(0)), default=Value(1))
            )
        rows = (
            options.values("key")
            .annotate(uses=Count("id"), first=Min("starts"), spelling=Min("label"))
            .order_by("first", "-uses", "key")
            .values_list("spelling", flat=True)
        )
        return list(rows[:limit])


class Option(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=LABEL_MAX_LENGTH)
    # polls.labels.label_key(label), set by the services: labels are unique in a poll by it.
    label_key = models.CharField(max_length=LABEL_KEY_MAX_LENGTH, editable=False)
    position = models.PositiveSmallIntegerField()
    # Equal to the ballots that chose this option: raised with the ballot, in one transaction.
    votes = models.IntegerField(default=0, editable=False)

    objects = OptionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "label_key"], name="option_label_key_unique_in_poll"
            ),
            models.UniqueConstraint(
                fields=["poll", "position"], name="option_position_unique_in_poll"
            ),
            # Target of the composite foreign keys that tie a choice to its ballot's poll.
            models.UniqueConstraint(fields=["id", "poll"], name="option_id_poll_unique"),
            models.CheckConstraint(condition=Q(votes__gte=0), name="option_votes_not_negative"),
            models.CheckConstraint(condition=~Q(label=""), name="option_label_not_blank"),
            models.CheckConstraint(condition=~Q(label_key=""), name="option_label_key_not_blank"),
        ]

    def __str__(self):
        return self.label
