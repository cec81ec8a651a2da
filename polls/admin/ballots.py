"""Ballots, read-only: removing one (or a burst) takes its votes off the counts, through the
services. A ballot's choices show only where the poll's ballots are public: secret ballots are
secret from staff too."""

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR
from django.db.models import Prefetch, Sum
from django.db.models.functions import Coalesce

from .. import services
from ..models import Ballot, Choice, Poll
from .bursts import ModeFilter, RemovesBursts, SharedAddressFilter
from .listing import IndexedChangeList
from .polls import StatusFilter
from .visibility import HIDDEN, ShowsResultsByRule, results_shown, without_choices

CHOICES_HIDDEN = "secret ballot"
ADDRESS_SHOWN = 8  # hex digits of the address hash: enough to tell places apart on a page


class BallotPollStatusFilter(StatusFilter):
    title = "poll status"

    def queryset(self, request, queryset):
        if self.value() in ("open", "closed"):
            polls = getattr(Poll.objects, self.value())()
            return queryset.filter(poll__in=polls.values("pk"))
        return queryset


@admin.register(Ballot)
class BallotAdmin(ShowsResultsByRule, RemovesBursts, admin.ModelAdmin):
    """Read-only. Deleting a ballot removes it with services.ballot_remove, which takes its vote
    off the count and records the removal, in one transaction; a burst goes with
    services.ballots_remove_burst. Its choices are shown only where the poll's ballots are
    public and its results are shown to the staff member; the ballots of a poll whose results
    are hidden from them are not listed at all, since their number is the poll's count."""

    list_display = [
        "cast_at",
        "poll",
        "mode",
        "voter_or_name",
        "address",
        "address_count",
        "chosen",
    ]
    list_select_related = ["poll", "voter"]
    list_filter = [BallotPollStatusFilter, ModeFilter, SharedAddressFilter, "cast_at"]
    search_fields = ["voter__username", "voter__email", "poll__title"]
    # Newest first by id, which follows the order ballots are cast in, so the page reads the
    # primary key's index; an index on cast_at would cost every vote a write. No date_hierarchy:
    # its links come from a DISTINCT over every ballot's date.
    ordering = ["-id"]
    sortable_by = []
    show_full_result_count = False
    fields = ["poll", "mode", "voter_or_name", "address", "address_count", "chosen", "cast_at"]
    readonly_fields = fields
    delete_confirmation_template = "admin/polls/ballot/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/polls/ballot/delete_selected_confirmation.html"

    def get_queryset(self, request):
        # Every choice of a ballot, in the author's option order (chosen() puts a ranked
        # ballot's in its voter's).
        choices = Choice.objects.select_related("option").order_by("option__position", "id")
        ballots = (
            super()
            .get_queryset(request)
            .with_address_count()
            .prefetch_related(Prefetch("choices", choices))
        )
        if request.user.has_perm(services.VIEW_RESULTS):
            return ballots
        shown = services.polls_with_results_shown(polls=Poll.objects.all(), viewer=request.user)
        return ballots.filter(poll__in=shown.values("pk"))

    def get_changelist(self, request, **kwargs):
        return IndexedChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        polls = self._polls_listed(request, queryset)
        if polls is not None:
            # Exactly the list's count: each vote keeps its poll's ballot_count in its own
            # transaction. Adding up the polls' counts reads a tenth of what counting ballots does.
            paginator.count = polls.aggregate(ballots=Coalesce(Sum("ballot_count"), 0))["ballots"]
        return paginator

    @staticmethod
    def _polls_listed(request, queryset):
        """The polls whose ballots are exactly the listed ones, when nothing but the poll status
        filter narrows the list; else None."""
        narrowed = set(request.GET) - {PAGE_VAR, ORDER_VAR}
        if not narrowed and not queryset.query.where:
            return Poll.objects.all()
        status = request.GET.get("status")
        if narrowed == {"status"} and status in ("open", "closed"):
            return getattr(Poll.objects, status)()
        return None

    def results_poll(self, ballot):
        return ballot.poll

    @admin.display(description="mode")
    def mode(self, ballot):
        return ballot.get_mode_display()

    @admin.display(description="voter or name")
    def voter_or_name(self, ballot):
        return ballot.voter or ballot.voter_name or "-"

    @admin.display(description="address (hashed)")
    def address(self, ballot):
        return ballot.address_hash[:ADDRESS_SHOWN] or "-"

    @admin.display(description="from this address")
    def address_count(self, ballot):
        """Ballots of the poll from the same hashed address: a burst stands out."""
        return ballot.address_count or "-"

    @admin.display(description="choices")
    def chosen(self, ballot):
        if not results_shown(ballot):
            return HIDDEN
        if not ballot.poll.public_ballots:
            return CHOICES_HIDDEN
        choices = ballot.choices.all()
        if ballot.poll.is_ranked:
            ranked = sorted(choices, key=lambda choice: choice.rank or 0)
            return ", ".join(f"{choice.rank}. {choice.option.label}" for choice in ranked)
        return ", ".join(choice.option.label for choice in choices)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _ = actions["delete_selected"]
            actions[name] = (function, name, "Remove selected ballots and take their votes off")
        return actions

    def get_deleted_objects(self, objs, request):
        # The confirmation lists each ballot's choices under it: only where every poll's
        # ballots are public and its counts shown.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        polls = Poll.objects.filter(pk__in={ballot.poll_id for ballot in objs})
        if all(
            poll.public_ballots
            and services.results_visible(poll=poll, viewer=request.user, voted=False)
            for poll in polls
        ):
            return deleted, counts, perms_needed, protected
        return without_choices(deleted), counts, perms_needed, protected

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.ballot_remove(ballot=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for ballot in queryset:
            services.ballot_remove(ballot=ballot, by=request.user)
