"""What the ballot list offers against ballot stuffing: filters by mode and by shared address,
and the action that removes a burst (services.ballots_remove_burst) after a confirmation page
that says how many ballots go."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count
from django.template.response import TemplateResponse

from .. import services
from ..models import BallotMode
from .site import plural


class ModeFilter(admin.SimpleListFilter):
    """How each ballot's voter was told apart: the kind its identity starts with."""

    title = "mode"
    parameter_name = "mode"

    def lookups(self, request, model_admin):
        return BallotMode.choices

    def queryset(self, request, queryset):
        if self.value() in BallotMode.values:
            return queryset.filter(identity__startswith=f"{self.value()}:")
        return queryset


class SharedAddressFilter(admin.SimpleListFilter):
    """Ballots without an account whose hashed address cast other ballots in the same poll."""

    title = "address"
    parameter_name = "address"

    def lookups(self, request, model_admin):
        return [("shared", "Shared with other ballots of the poll")]

    def queryset(self, request, queryset):
        if self.value() == "shared":
            return queryset.filter(address_count__gt=1)
        return queryset


class RemovesBursts(admin.ModelAdmin):
    actions = ["remove_burst"]

    @admin.action(
        description="Remove the burst around the selected ballots (same hashed address within "
        "10 minutes)",
        permissions=["delete"],
    )
    def remove_burst(self, request, queryset):
        ballot_ids = list(queryset.values_list("pk", flat=True))
        if request.POST.get("post") == "yes":
            try:
                removed = services.ballots_remove_burst(ballots=queryset, by=request.user)
            except services.NotAllowed as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
                return None
            self.message_user(
                request,
                f"Removed {plural(removed, 'ballot')} and took their votes off the counts.",
                messages.SUCCESS,
            )
            return None
        burst = services.burst_ballots(ballots=queryset)
        per_poll = list(burst.order_by().values("poll_id", "poll__title").annotate(n=Count("id")))
        return TemplateResponse(
            request,
            "admin/polls/ballot/remove_burst.html",
            {
                **self.admin_site.each_context(request),
                "title": "Remove a burst of ballots",
                "opts": self.opts,
                "selected": len(ballot_ids),
                "total": sum(row["n"] for row in per_poll),
                "per_poll": sorted(per_poll, key=lambda row: row["poll__title"]),
                "minutes": int(services.BURST_WINDOW.total_seconds() // 60),
                "ballot_ids": ballot_ids,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "media": self.media,
            },
        )
