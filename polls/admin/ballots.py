"""Ballots, read-only: removing one takes its vote off the counts, through the service."""

from django.contrib import admin
from django.db.models import Prefetch

from .. import services
from ..models import Ballot, Choice, Poll
from .polls import StatusFilter


class BallotPollStatusFilter(StatusFilter):
    title = "poll status"

    def queryset(self, request, queryset):
        if self.value() in ("open", "closed"):
            polls = getattr(Poll.objects, self.value())()
            return queryset.filter(poll__in=polls.values("pk"))
        return queryset


@admin.register(Ballot)
class BallotAdmin(admin.ModelAdmin):
    """Read-only. Deleting a ballot removes it with services.ballot_remove, which takes its vote
    off the count and records the removal, in one transaction."""

    list_display = ["cast_at", "poll", "chosen", "voter"]
    list_select_related = ["poll", "voter"]
    list_filter = [BallotPollStatusFilter, "cast_at"]
    search_fields = ["voter__username", "voter__email", "poll__title"]
    date_hierarchy = "cast_at"
    fields = ["poll", "chosen", "voter", "cast_at"]
    readonly_fields = fields
    delete_confirmation_template = "admin/polls/ballot/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/polls/ballot/delete_selected_confirmation.html"

    def get_queryset(self, request):
        choices = Choice.objects.select_related("option")
        return super().get_queryset(request).prefetch_related(Prefetch("choices", choices))

    @admin.display(description="option")
    def chosen(self, ballot):
        return ", ".join(choice.option.label for choice in ballot.choices.all())

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            function, name, _ = actions["delete_selected"]
            actions[name] = (function, name, "Remove selected ballots and take their votes off")
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.ballot_remove(ballot=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for ballot in queryset:
            services.ballot_remove(ballot=ballot, by=request.user)
