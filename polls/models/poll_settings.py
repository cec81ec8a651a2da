"""The choices a poll's settings take, and the expressions that read them in queries (what a
poll's listing orders and filters by)."""

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce

# When voting stopped or will stop: the recorded close, else the closing time.
ENDED_AT = Coalesce("closed_at", "closes_at")


class ResultsVisibility(models.TextChoices):
    """Who sees a poll's counts, and when (polls.services.visibility is the one rule). The
    author and holders of polls.view_results always do."""

    ALWAYS = "always", "Always"
    AFTER_VOTE = "after_vote", "After voting (everyone once the poll closes)"
    AFTER_CLOSE = "after_close", "Once the poll closes"
    AUTHOR_ONLY = "author_only", "Only the author"


class VotingMethod(models.TextChoices):
    """How a ballot marks the options: chosen (one, or between min_choices and max_choices of
    them), or ranked in order of preference and tallied by instant-runoff."""

    CHOICE = "choice", "Choose options"
    RANKED = "ranked", "Ranked choice"


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
