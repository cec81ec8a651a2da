"""Ballots and the options they mark. Polls and options are named by model name: they import
this module (a poll reads its voters' ballots).
"""

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

IDENTITY_MAX_LENGTH = 100
VOTER_NAME_MAX_LENGTH = 50
ADDRESS_HASH_LENGTH = 32
USER_IDENTITY_PREFIX = "user:"
MAX_RANK = 20  # polls.MAX_OPTIONS: a ballot ranks each option at most once


def user_identity(user_id: int) -> str:
    """The identity key of a signed-in voter's ballots (the other kinds are made by
    polls.services.voters)."""
    return f"{USER_IDENTITY_PREFIX}{user_id}"


class BallotMode(models.TextChoices):
    """How a ballot's voter was told apart: the kind of its identity, before the colon."""

    ACCOUNT = "user", "Account"
    BROWSER = "browser", "Browser"
    CODE = "code", "Invite code"
    OPEN = "open", "Open"


class BallotQuerySet(models.QuerySet):
    def cast_by(self, voter):
        """`voter`'s ballots, latest first (read from ballot_voter_cast_idx), each with its poll
        and the options it chose in the poll's order (a ranked ballot's in its order), in two
        queries however many there are: "Polls I voted in". Unlisted polls are in it: the voter
        had their link."""
        chosen = Choice.objects.select_related("option").order_by("rank", "option__position", "id")
        return (
            self.filter(voter=voter)
            .select_related("poll")
            .prefetch_related(Prefetch("choices", queryset=chosen))
            .order_by("-cast_at", "-id")
        )

    def with_address_count(self):
        """Each ballot with `address_count`: how many ballots of its poll came from the same
        hashed address (itself included; 0 for a ballot without one, an account's), one
        subquery per listed row read from ballot_address_burst_idx: what shows a burst."""
        same_address = (
            Ballot.objects.filter(
                poll_id=OuterRef("poll_id"), address_hash=OuterRef("address_hash")
            )
            .exclude(address_hash="")
            .order_by()
            .values("poll_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(address_count=Coalesce(Subquery(same_address), 0))


class Ballot(models.Model):
    """One voter's ballot in one poll. What it chose lives in its choices.

    Single choice stores one choice, multiple choice several; ranked choice several, each with
    its rank. `identity` says who cast it, as "<kind>:<value>" (user_identity for a
    signed-in voter): the database keeps one ballot per identity in a poll, whatever the kind.
    """

    poll = models.ForeignKey("Poll", on_delete=models.CASCADE, related_name="ballots")
    # The account that cast it: exactly the ballots whose identity is a user's. Others have
    # none, whoever was signed in (an invite code or an open poll's ballot is nobody's).
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ballots",
        null=True,
        blank=True,
    )
    identity = models.CharField(max_length=IDENTITY_MAX_LENGTH, editable=False)
    cast_at = models.DateTimeField(default=timezone.now, editable=False)
    # The name the voter gave (or their username), where the poll asks for one.
    voter_name = models.CharField(
        max_length=VOTER_NAME_MAX_LENGTH, blank=True, default="", db_default="", editable=False
    )
    # A keyed hash of the address a ballot without an account came from (an IPv6 address by its
    # /64), never the address itself: what finds a burst of ballots from one place.
    address_hash = models.CharField(
        max_length=ADDRESS_HASH_LENGTH, blank=True, default="", db_default="", editable=False
    )

    objects = BallotQuerySet.as_manager()

    class Meta:
        ordering = ["-cast_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "identity"], name="one_ballot_per_identity_per_poll"
            ),
            models.CheckConstraint(condition=~Q(identity=""), name="ballot_identity_not_blank"),
            models.UniqueConstraint(fields=["id", "poll"], name="ballot_id_poll_unique"),
            models.CheckConstraint(
                condition=Q(voter__isnull=False, identity__startswith=USER_IDENTITY_PREFIX)
                | (Q(voter__isnull=True) & ~Q(identity__startswith=USER_IDENTITY_PREFIX)),
                name="ballot_voter_is_user_identity",
            ),
        ]
        indexes = [
            # "Polls I voted in": a voter's ballots, latest first.
            models.Index(fields=["voter", "cast_at", "id"], name="ballot_voter_cast_idx"),
            # Bursts: the ballots of one poll from one hashed address, by time.
            models.Index(
                fields=["poll", "address_hash", "cast_at"],
                condition=~Q(address_hash=""),
                name="ballot_address_burst_idx",
            ),
        ]

    def __str__(self):
        return f"{self.voter or self.get_mode_display()} in {self.poll}"

    @property
    def mode(self) -> str:
        """The BallotMode of its identity."""
        return self.identity.partition(":")[0]

    def get_mode_display(self) -> str:
        return BallotMode(self.mode).label if self.mode in BallotMode.values else self.mode


class Choice(models.Model):
    """An option marked on a ballot.

    `poll` repeats the ballot's poll so that the database can check, with composite foreign keys
    (PostgreSQL) or triggers (SQLite), that the option belongs to the poll of its ballot.
    """

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    poll = models.ForeignKey("Poll", on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey("Option", on_delete=models.CASCADE, related_name="choices")
    # A ranked ballot's place for the option, 1 for its first preference; None on a chosen
    # ballot. A ballot's ranks are distinct, and gapless (1 to its number of choices) by the
    # triggers of migration 0013, which a constraint cannot say.
    rank = models.PositiveSmallIntegerField(null=True, blank=True, default=None)

    class Meta:
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "option"], name="choice_option_once_per_ballot"
            ),
            models.UniqueConstraint(fields=["ballot", "rank"], name="choice_rank_once_per_ballot"),
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(rank__gte=1, rank__lte=MAX_RANK),
                name="choice_rank_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.option} on ballot {self.ballot_id}"
