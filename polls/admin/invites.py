"""Invite codes, read-only: which of a poll's codes are used, unused or revoked (never when, and
the code itself only for those who may change the poll). Codes are made and revoked by the
poll's author through the pages and the API (services.invite_codes_create, …)."""

from django.contrib import admin

from .. import services
from ..models import InviteCode, VoterMode
from .view_only import ViewOnlyMixin


class InviteStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("unused", "Unused"), ("used", "Used"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "unused":
            return queryset.filter(used=False, revoked=False)
        if self.value() == "used":
            return queryset.filter(used=True)
        if self.value() == "revoked":
            return queryset.filter(revoked=True, used=False)
        return queryset


@admin.register(InviteCode)
class InviteCodeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Read-only for holders of polls.view_invitecode. The code text is what casts a ballot:
    it shows only to those who may change the poll (polls.change_poll)."""

    list_display = ["poll", "number", "status"]
    list_select_related = ["poll"]
    list_filter = [InviteStatusFilter]
    search_fields = ["poll__title", "poll__public_id"]
    ordering = ["poll", "number"]
    sortable_by = []
    show_full_result_count = False
    readonly_fields = ["poll", "number", "status"]

    def get_fields(self, request, obj=None):
        if request.user.has_perm(services.CHANGE_POLL):
            return ["poll", "number", "status", "code"]
        return ["poll", "number", "status"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="status")
    def status(self, invite):
        return invite.status


class ShowsInviteCodes(admin.ModelAdmin):
    """The poll change page's count of its invite codes, for polls in code mode."""

    @admin.display(description="invite codes")
    def invite_codes(self, poll):
        if poll is None or poll.pk is None or poll.voter_mode != VoterMode.CODE:
            return "-"
        counts = services.invite_code_counts(poll=poll)
        return f"{counts['unused']} unused, {counts['used']} used, {counts['revoked']} revoked"
