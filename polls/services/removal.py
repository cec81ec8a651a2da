"""Removing ballots from the counts: a fraudulent one (staff), and every ballot of an account
being deleted. The counters follow in the same transaction, and so does a closed ranked poll's
stored tally."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F

from ..models import AuditEntry, Ballot, Choice, Option, Poll
from .audit import audit_record
from .errors import NotAllowed
from .permissions import DELETE_BALLOT
from .rankings import COUNTED_CHOICES, ranking_counts_take_off, rankings_in, rankings_of
from .tallies import tallies_store

User = get_user_model()


def ballot_remove(*, ballot: Ballot, by: User | None = None) -> bool:
    """Remove a ballot (a fraudulent vote) and take its choices off the counters, in one
    transaction that also records the removal in the audit log. It takes polls.delete_ballot
    (`by=None` is the system). Idempotent: returns True only for the call that removed it."""
    if by is not None and not by.has_perm(DELETE_BALLOT):
        raise NotAllowed("Only staff can remove a ballot.")
    with transaction.atomic():
        # Options first, then the ballot, then the poll: the order a vote and poll_delete take
        # their locks in, so none of them can wait on another in a cycle. Every option of the
        # poll, as vote_change takes them: the ballot's choices may change until then.
        list(Option.objects.select_for_update().filter(poll_id=ballot.poll_id).order_by("id"))
        choices = list(ballot.choices.select_related("option").order_by("rank", "id"))
        rankings = rankings_in(choices)
        _, per_model = Ballot.objects.filter(pk=ballot.pk).delete()
        if not per_model.get(Ballot._meta.label):
            return False
        Option.objects.filter(pk__in=[choice.option_id for choice in counted(choices)]).update(
            votes=F("votes") - 1
        )
        ranking_counts_take_off(rankings)
        Poll.objects.filter(pk=ballot.poll_id).update(
            ballot_count=F("ballot_count") - 1, revision=F("revision") + 1
        )
        if rankings:
            tallies_store(poll_ids=[ballot.poll_id])
        audit_record(
            actor=by,
            action=AuditEntry.Action.REMOVE_BALLOT,
            obj=ballot,
            details=removal_details(ballot, choices),
        )
    return True


def counted(choices: list[Choice]) -> list[Choice]:
    """The choices of one ballot that its options' counters hold: all of a chosen ballot's,
    a ranked ballot's first preference (rankings.COUNTED_CHOICES, in Python)."""
    return [choice for choice in choices if choice.rank in (None, 1)]


def removal_details(ballot: Ballot, choices: list[Choice], *, public: bool | None = None) -> str:
    """What the audit log says of a removed ballot: its choices only where the poll's ballots
    are public (a secret ballot's choices are written down nowhere next to its voter).
    `public`: the poll's public_ballots, read here when not given."""
    if public is None:
        public = (
            Poll.objects.filter(pk=ballot.poll_id).values_list("public_ballots", flat=True).first()
        )
    if public:
        chosen = ", ".join(f'"{choice.option.label}"' for choice in choices) or "nothing"
    else:
        chosen = "a secret ballot"
    who = f"voter {ballot.voter_id}" if ballot.voter_id else f"{ballot.get_mode_display()} ballot"
    return f"Took off the count: {chosen} ({who}, poll {ballot.poll_id})."


def voter_ballots_remove(*, voter_id: int) -> int:
    """Take every ballot of one voter off the counts and delete them, in one transaction: what
    deleting an account must do first (the database's cascade would delete the rows and leave
    the counters above the ballots). Options are locked first (every option of those polls, as
    vote_change takes them), then the polls, as a vote takes them. Returns how many ballots were
    removed."""
    with transaction.atomic():
        choices = Choice.objects.filter(ballot__voter_id=voter_id)
        list(
            Option.objects.select_for_update()
            .filter(poll_id__in=choices.values("poll_id"))
            .order_by("id")
        )
        ballots = Ballot.objects.filter(voter_id=voter_id)
        rankings = rankings_of(ballots.values_list("pk", flat=True))
        ranking_counts_take_off(rankings)
        per_option = (
            choices.filter(COUNTED_CHOICES).values("option_id").annotate(n=Count("id")).order_by()
        )
        for row in per_option:
            Option.objects.filter(pk=row["option_id"]).update(votes=F("votes") - row["n"])
        per_poll = list(ballots.values("poll_id").annotate(n=Count("id")).order_by("poll_id"))
        for row in per_poll:
            Poll.objects.filter(pk=row["poll_id"]).update(
                ballot_count=F("ballot_count") - row["n"], revision=F("revision") + 1
            )
        _, removed = ballots.delete()
        tallies_store(poll_ids={poll_id for poll_id, _ in rankings})
    return removed.get(Ballot._meta.label, 0)
