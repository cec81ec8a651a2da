"""Staff run Votr from here. Every write goes through polls/services.py, so the admin can never
break a count or a rule, and every change lands in the audit log (AuditEntry) in the transaction
that makes it.

Forms validate by calling the service, so its messages appear on the fields; a page that comes
back with errors rolls back whatever a service already wrote while validating it.
"""

import csv

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from rest_framework.authtoken import admin as authtoken_admin

from accounts import services as accounts

from . import services
from .models import AuditEntry, Ballot, Choice, Option, Poll, User

admin.site.site_header = "Votr administration"
admin.site.site_title = "Votr admin"
admin.site.index_title = "Run Votr"


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's per-field messages on the form's fields, the rest at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else NON_FIELD_ERRORS, messages_)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class AuditedAdmin(admin.ModelAdmin):
    """Records every add, change and delete made through this admin in the audit log.

    Additions and changes are logged by Django inside the form's transaction; deletions are
    recorded here, in the transaction that deletes, one object at a time."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        services.audit_record(
            actor=request.user,
            action=AuditEntry.Action.ADD,
            obj=obj,
            details=entry.get_change_message(),
        )
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        services.audit_record(
            actor=request.user,
            action=AuditEntry.Action.CHANGE,
            obj=obj,
            details=entry.get_change_message() or "No fields changed.",
        )
        return entry

    def delete_object(self, request, obj) -> None:
        obj.delete()

    def delete_model(self, request, obj):
        with transaction.atomic():
            services.audit_record(actor=request.user, action=AuditEntry.Action.DELETE, obj=obj)
            self.delete_object(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


# --- Polls ------------------------------------------------------------------------------------


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


class PollAddForm(forms.ModelForm):
    """Creates the poll with services.poll_create, as its validation: the service's messages land
    on the fields. `author` is set per request by PollAdmin.get_form."""

    author = None
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="One option per line, 2 to 20, in the order voters will see them.",
    )

    class Meta:
        model = Poll
        fields = ["title", "options", "closes_at"]
        help_texts = {"closes_at": "1 minute to 30 days from now (UTC)."}

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        labels = [line.strip() for line in cleaned_data["options"].splitlines() if line.strip()]
        try:
            self.instance = services.poll_create(
                author=self.author,
                title=cleaned_data["title"],
                option_labels=labels,
                closes_at=cleaned_data["closes_at"],
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned_data


class PollChangeForm(forms.ModelForm):
    """The question changes through services.poll_reword (only before the first vote), the
    closing time through services.poll_reschedule (which reopens a closed poll); each decides
    whether `by` (set per request by PollAdmin.get_form) may, and records the change."""

    by = None

    class Meta:
        model = Poll
        fields = ["title", "closes_at"]
        help_texts = {
            "title": "Can change only while nobody has voted.",
            "closes_at": "1 minute to 30 days from now (UTC). A closed poll opens again.",
        }

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        try:
            if "title" in self.changed_data:
                services.poll_reword(poll=self.instance, title=cleaned_data["title"], by=self.by)
            if "closes_at" in self.changed_data:
                services.poll_reschedule(
                    poll=self.instance, closes_at=cleaned_data["closes_at"], by=self.by
                )
        except ValidationError as error:
            add_service_errors(self, error)
        except services.NotAllowed as refusal:
            self.add_error(None, refusal.message)
        return cleaned_data


class OptionFormSet(forms.BaseInlineFormSet):
    """New labels go through services.poll_reword, which refuses them once anyone has voted.
    `by` is set per request by OptionInline.get_formset."""

    by = None

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        labels = {
            form.instance.pk: form.cleaned_data["label"]
            for form in self.forms
            if form.instance.pk and "label" in form.changed_data
        }
        if labels:
            try:
                services.poll_reword(poll=self.instance, labels=labels, by=self.by)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
            except services.NotAllowed as refusal:
                raise ValidationError(refusal.message) from None


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ["position", "label", "votes"]
    extra = 0

    def get_readonly_fields(self, request, obj=None):
        # Counts follow the ballots; labels are what people voted for once anyone has.
        if obj is not None and getattr(obj, "total_votes", 0):
            return ["position", "label", "votes"]
        return ["position", "votes"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"by": request.user})


class RescheduleForm(forms.Form):
    closes_at = forms.DateTimeField(
        label="New closing time (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )


def csv_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ would otherwise run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(Poll)
class PollAdmin(AuditedAdmin):
    list_display = ["title", "author", "created_at", "closes_at", "is_open", "total_votes"]
    list_select_related = ["author"]
    list_filter = [StatusFilter, "created_at", "closes_at"]
    search_fields = ["title", "author__username"]
    date_hierarchy = "created_at"
    readonly_fields = ["public_id", "author", "created_at", "closed_at", "is_open", "total_votes"]
    actions = ["close_now", "reopen", "extend", "export_results_csv"]
    form = PollChangeForm
    add_form = PollAddForm

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").with_total_votes()

    @admin.display(description="votes", ordering="total_votes")
    def total_votes(self, poll):
        return poll.total_votes

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["title", "options", "closes_at"]})]
        return [
            (None, {"fields": ["title", "closes_at"]}),
            ("Record", {"fields": self.readonly_fields}),
        ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type("PollAddForm", (self.add_form,), {"author": request.user})
        else:
            kwargs["form"] = type("PollChangeForm", (self.form,), {"by": request.user})
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return [OptionInline] if obj is not None else []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and response.status_code == 200:
                # The form came back with errors: undo what a service wrote while validating.
                transaction.set_rollback(True)
        return response

    def save_model(self, request, obj, form, change):
        """Nothing left to write: the form's services did it while validating."""

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)  # only lists what changed, for the admin's history message

    def log_change(self, request, obj, message):
        # Every change to a poll goes through a service, which records it: Django's history only.
        return super(AuditedAdmin, self).log_change(request, obj, message)

    def delete_model(self, request, obj):
        services.poll_delete(poll=obj, by=request.user)  # which records the deletion

    def get_deleted_objects(self, objs, request):
        # Who may delete a poll is services.poll_delete's to say (polls.delete_poll, or the
        # author while nobody has voted); its ballots and options go with it, whatever the
        # Ballot admin's own delete permission says.
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

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

    @admin.action(description="Export results of selected polls as CSV", permissions=["view"])
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


# --- Ballots ----------------------------------------------------------------------------------


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


# --- Users ------------------------------------------------------------------------------------


def count_of(model, field: str):
    """How many `model` rows point at each user, as a subquery: no join, no N+1."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


class UserAddForm(forms.ModelForm):
    """Signs the user up with accounts.user_create, the same rules as the sign-up page."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField()
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label="Password confirmation", strip=False, widget=forms.PasswordInput
    )

    class Meta:
        model = User
        fields = ["username", "email"]

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        if cleaned_data["password1"] != cleaned_data["password2"]:
            self.add_error("password2", "The two passwords are different.")
            return cleaned_data
        try:
            self.instance = accounts.user_create(
                username=cleaned_data["username"],
                email=cleaned_data["email"],
                password=cleaned_data["password1"],
            )
        except ValidationError as error:
            if "password" in error.message_dict:
                error.error_dict["password1"] = error.error_dict.pop("password")
            add_service_errors(self, error)
        return cleaned_data


def refuse_permissions_not_held(form: forms.BaseForm, field: str, permissions) -> None:
    """A form error on `field` naming each permission `form.by` would grant without holding."""
    not_held = services.permissions_not_held(by=form.by, permissions=permissions)
    if not_held:
        names = "; ".join(str(permission) for permission in not_held)
        form.add_error(field, f"You cannot grant a permission you do not hold: {names}.")


class UserChangeForm(DjangoUserChangeForm):
    """Nobody gives a user a permission they do not hold themselves, directly or by putting
    them in a group that carries it. `by` is set per request by UserAdmin.get_form."""

    by = None

    def clean(self):
        cleaned_data = super().clean()
        if "user_permissions" in cleaned_data:
            held = Permission.objects.filter(user=self.instance)
            added = cleaned_data["user_permissions"].exclude(pk__in=held)
            refuse_permissions_not_held(self, "user_permissions", added)
        if "groups" in cleaned_data:
            added = cleaned_data["groups"].exclude(user=self.instance)
            carried = Permission.objects.filter(group__in=added).distinct()
            refuse_permissions_not_held(self, "groups", carried)
        return cleaned_data


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password form: a new (or no) password revokes the user's API tokens too."""

    def save(self, commit=True):
        with transaction.atomic():
            user = super().save(commit=commit)
            if commit:
                accounts.user_password_changed(user=user)
        return user


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "is_active",
        "is_staff",
        "date_joined",
        "poll_count",
        "ballot_count",
    ]
    actions = ["deactivate"]
    form = UserChangeForm
    add_form = UserAddForm
    change_password_form = AuditedPasswordChangeForm

    def user_change_password(self, request, id, form_url=""):
        # The new password, the revoked tokens and the audit entry commit together.
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    add_form_template = None
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]})
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(poll_count=count_of(Poll, "author"), ballot_count=count_of(Ballot, "voter"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Deactivating goes through the action (accounts.user_deactivate and its rules), and only
        # a superuser hands out staff or superuser status; permissions and groups are checked
        # by UserChangeForm.
        readonly = [*super().get_readonly_fields(request, obj), "is_active"]
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser"]
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            kwargs.setdefault("form", type("UserChangeForm", (self.form,), {"by": request.user}))
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Also guards Django's admin password view for this user.
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return services.user_may_manage(by=request.user, user=obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return services.user_may_manage(by=request.user, user=obj)

    @admin.display(description="polls", ordering="poll_count")
    def poll_count(self, user):
        return user.poll_count

    @admin.display(description="ballots", ordering="ballot_count")
    def ballot_count(self, user):
        return user.ballot_count

    def add_view(self, request, form_url="", extra_context=None):
        with transaction.atomic():
            response = super().add_view(request, form_url, extra_context)
            if request.method == "POST" and response.status_code == 200:
                # The form came back with errors: undo a sign-up made while validating it.
                transaction.set_rollback(True)
        return response

    def save_model(self, request, obj, form, change):
        if change:  # a new user was already created by UserAddForm, through the service
            super().save_model(request, obj, form, change)

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                done += accounts.user_deactivate(user=user, by=request.user)
            except services.NotAllowed as refusal:
                self.message_user(request, f"{user}: {refusal.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Deactivated {plural(done, 'user')}.", messages.SUCCESS)


admin.site.unregister(Group)


class GroupForm(forms.ModelForm):
    """Nobody adds to a group a permission they do not hold: its members would all get it.
    `by` is set per request by GroupAdmin.get_form."""

    by = None

    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def clean(self):
        cleaned_data = super().clean()
        if "permissions" in cleaned_data:
            added = cleaned_data["permissions"]
            if self.instance.pk:
                added = added.exclude(group=self.instance)
            refuse_permissions_not_held(self, "permissions", added)
        return cleaned_data


@admin.register(Group)
class GroupAdmin(AuditedAdmin, DjangoGroupAdmin):
    form = GroupForm

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = type("GroupForm", (self.form,), {"by": request.user})
        return super().get_form(request, obj, **kwargs)


# An API token is a password: DRF's token admin shows every user's key and mints one for anyone,
# a superuser included. Tokens come only from POST /api/auth/token/ with the user's password.
admin.site.unregister(authtoken_admin.TokenProxy)

# Deleting an access attempt lifts a login lockout: a change worth a line in the audit log.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AuditedAdmin, AccessAttemptAdmin):
    pass


# --- Audit log --------------------------------------------------------------------------------


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Holders of polls.view_auditentry read the log; nobody, not even a superuser, can alter it."""

    list_display = ["at", "actor_username", "action", "object_type", "object_repr", "details"]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["actor_username", "object_repr", "object_id", "details"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
