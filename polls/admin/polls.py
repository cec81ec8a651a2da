"""Polls and their options: add and change (settings included) through the services, close,
reopen, extend and export as actions."""

import csv

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal

from .. import services
from ..models import Option, Poll, User, VoterMode
from .audit import AuditedAdmin
from .invites import ShowsInviteCodes
from .listing import IndexedChangeList
from .poll_forms import SETTINGS, OptionFormSet, PollAddForm, PollChangeForm, RescheduleForm
from .site import SaveRefused, SavesThroughServices, adopt, plural, refusal_on_save
from .visibility import HIDDEN, ShowsResultsByRule, results_shown, without_choices


class StatusFilter(admin.SimpleListFilter):
    """Open or closed by the one rule (Poll.is_open), not by whether the close was recorded."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "closed":
            return queryset.closed()
        return queryset


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ["position", "label", "votes"]
    extra = 0

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if results_shown(obj) else [f for f in fields if f != "votes"]

    def get_readonly_fields(self, request, obj=None):
        # Counts follow the ballots; labels are what people voted for once anyone has.
        if obj is not None and getattr(obj, "total_votes", 0):
            return ["position", "label", "votes"]
        return ["position", "votes"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def csv_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ would otherwise run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def current(poll: Poll) -> Poll:
    """The poll as stored: the admin's copy already holds the form's new values."""
    stored = Poll.objects.filter(pk=poll.pk).first()
    if stored is None:
        raise SaveRefused("This poll was deleted meanwhile.")
    return stored


@admin.register(Poll)
class PollAdmin(ShowsResultsByRule, ShowsInviteCodes, SavesThroughServices, AuditedAdmin):
    list_display = [
        "title",
        "author",
        "created_at",
        "closes_at",
        "is_open",
        "total_votes",
    ]
    list_select_related = ["author"]
    # The orders that have an index (Poll.Meta.indexes); title and author have none.
    sortable_by = ["created_at", "closes_at", "total_votes"]
    # The voting method is a filter rather than a column: the list keeps its votes in view.
    list_filter = [StatusFilter, "voting_method", "created_at", "closes_at"]
    search_fields = ["title", "author__username"]  # searched by get_search_results
    # No date_hierarchy: its links come from a DISTINCT over every poll's date, a read of the
    # whole table; the created and closing date filters select the same periods through indexes.
    readonly_fields = [
        "public_id",
        "author",
        "created_at",
        "closed_at",
        "is_open",
        "total_votes",
        "invite_codes",
    ]
    actions = ["close_now", "reopen", "extend", "export_results_csv"]
    form = PollChangeForm
    add_form = PollAddForm

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def get_changelist(self, request, **kwargs):
        return IndexedChangeList

    def get_sortable_by(self, request):
        # An order by votes tells what hidden counts would: only for those who see them all.
        sortable = super().get_sortable_by(request)
        if request.user.has_perm(services.VIEW_RESULTS):
            return sortable
        return [column for column in sortable if column != "total_votes"]

    def get_search_results(self, request, queryset, search_term):
        """Django's search (each word in the title or the author's username), with the matching
        authors read first (one query a word), so that PostgreSQL answers the OR from two
        indexes (title trigrams, author) instead of joining every poll to its author."""
        for word in smart_split(search_term):
            if word[:1] in ('"', "'") and word[0] == word[-1]:
                word = unescape_string_literal(word)
            authors = list(
                User.objects.filter(username__icontains=word).values_list("pk", flat=True)
            )
            queryset = queryset.filter(Q(title__icontains=word) | Q(author__in=authors))
        return queryset, False

    @admin.display(description="votes", ordering="ballot_count")
    def total_votes(self, poll):
        return poll.total_votes if results_shown(poll) else HIDDEN

    def get_fieldsets(self, request, obj=None):
        settings = ("Settings", {"fields": SETTINGS})
        if obj is None:
            return [(None, {"fields": ["title", "options", "closes_at"]}), settings]
        return [
            (None, {"fields": ["title", "closes_at"]}),
            settings,
            ("Record", {"fields": self._record_fields(obj)}),
        ]

    def _record_fields(self, poll):
        if poll.voter_mode == VoterMode.CODE:
            return self.readonly_fields
        return [field for field in self.readonly_fields if field != "invite_codes"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = self.add_form if obj is None else self.form
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return [OptionInline] if obj is not None else []

    def save_model(self, request, obj, form, change):
        """poll_create for a new poll; poll_edit, which records each change in the audit log,
        for a changed one."""
        data = form.cleaned_data
        with refusal_on_save():
            if not change:
                poll = services.poll_create(
                    author=request.user,
                    title=data["title"],
                    option_labels=form.option_labels(),
                    closes_at=data["closes_at"],
                    **form.settings(),
                )
                adopt(obj, poll)
                return
            if changes := form.changes():
                services.poll_edit(poll=current(obj), by=request.user, **changes)

    def save_formset(self, request, form, formset, change):
        labels = formset.changed_labels()
        formset.save(commit=False)  # only lists what changed, for the admin's history message
        if labels:
            with refusal_on_save():
                services.poll_edit(poll=current(form.instance), labels=labels, by=request.user)

    def log_change(self, request, obj, message):
        # Every change to a poll goes through a service, which records it: Django's history only.
        return super(AuditedAdmin, self).log_change(request, obj, message)

    def delete_model(self, request, obj):
        services.poll_delete(poll=obj, by=request.user)  # which records the deletion

    def get_deleted_objects(self, objs, request):
        # Who may delete a poll is services.poll_delete's to say (polls.delete_poll, or the
        # author while nobody has voted); its ballots and options go with it, whatever the
        # Ballot admin's own delete permission says. Ballots are listed without their choices
        # (each under its voter): secret ballots are secret from staff too.
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return without_choices(deleted), counts, set(), protected

    @admin.action(description="Close selected polls now", permissions=["change"])
    def close_now(self, request, queryset):
        closed, refused = 0, 0
        for poll in queryset:
            try:
                closed += services.poll_close(poll=poll, by=request.user)
            except services.NotAllowed as refusal:
                refused += 1
                self.message_user(request, f"“{poll}”: {refusal.message}", messages.ERROR)
        if closed:
            self.message_user(request, f"Closed {plural(closed, 'poll')}.", messages.SUCCESS)
        if skipped := len(queryset) - closed - refused:
            self.message_user(
                request, f"{plural(skipped, 'poll')} had already closed.", messages.WARNING
            )

    @admin.action(description="Reopen selected closed polls…", permissions=["change"])
    def reopen(self, request, queryset):
        return self._reschedule(request, queryset, action="reopen")

    @admin.action(description="Extend selected open polls…", permissions=["change"])
    def extend(self, request, queryset):
        return self._reschedule(request, queryset, action="extend")

    def _reschedule(self, request, queryset, *, action: str):
        """Ask for the new closing time on an intermediate page, then call poll_reschedule."""
        now = timezone.now()
        # Which polls can be extended is the service's rule (later_only), said per poll.
        polls = [poll for poll in queryset if action == "extend" or not poll.is_open(now=now)]
        if not polls:
            self.message_user(
                request,
                f"None of the selected polls can be {action}ed: they are all open.",
                messages.ERROR,
            )
            return None
        form = RescheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply_reschedule(request, polls, form.cleaned_data["closes_at"], action)
            return None
        return TemplateResponse(
            request,
            "admin/polls/poll/reschedule.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{action.capitalize()} polls",
                "opts": self.opts,
                "action": action,
                "polls": polls,
                "skipped": len(queryset) - len(polls),
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "media": self.media,
            },
        )

    def _apply_reschedule(self, request, polls, closes_at, action):
        done, refused = 0, []
        for poll in polls:
            try:
                services.poll_reschedule(
                    poll=poll, closes_at=closes_at, by=request.user, later_only=action == "extend"
                )
                done += 1
            except ValidationError as error:
                refused.append(f"“{poll}”: {' '.join(error.messages)}")
            except services.NotAllowed as refusal:
                refused.append(f"“{poll}”: {refusal.message}")
        if done:
            self.message_user(
                request, f"{action.capitalize()}ed {plural(done, 'poll')}.", messages.SUCCESS
            )
        for message in refused:
            self.message_user(request, f"Not {action}ed: {message}", messages.ERROR)

    def has_view_results_permission(self, request):
        return request.user.has_perm(services.VIEW_RESULTS)

    @admin.action(
        description="Export results of selected polls as CSV", permissions=["view_results"]
    )
    def export_results_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="votr-results.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["poll", "question", "closes at", "closed at", "option", "votes", "percent", "total"]
        )
        for poll in queryset.prefetch_related("options"):
            results = services.poll_results(poll=poll)
            for option in results.options:
                writer.writerow(
                    [
                        poll.public_id,
                        csv_cell(poll.title),
                        poll.closes_at.isoformat(),
                        poll.closed_at.isoformat() if poll.closed_at else "",
                        csv_cell(option.label),
                        option.votes,
                        option.percent,
                        results.total_votes,
                    ]
                )
        return response
