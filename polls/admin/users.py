"""Users and groups: accounts made by the sign-up's rules, and nobody grants a permission they do
not hold. DRF's token admin is switched off."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from rest_framework.authtoken import admin as authtoken_admin

from accounts import services as accounts

from .. import services
from ..models import Ballot, Poll, User
from .audit import AuditedAdmin
from .site import SavesThroughServices, add_service_errors, adopt, plural, refusal_on_save
from .visibility import without_choices


def count_of(model, field: str):
    """How many `model` rows point at each user, as a subquery: no join, no N+1."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


class UserAddForm(forms.ModelForm):
    """Checked by accounts.user_create_errors, the same rules as the sign-up page;
    UserAdmin.save_model creates the account with accounts.user_create."""

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
        errors = accounts.user_create_errors(
            username=cleaned_data["username"],
            email=cleaned_data["email"],
            password=cleaned_data["password1"],
        )
        if "password" in errors:
            errors["password1"] = errors.pop("password")
        add_service_errors(self, errors)
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
class UserAdmin(SavesThroughServices, AuditedAdmin, DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "is_active",
        "is_staff",
        "joined",
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

    def get_deleted_objects(self, objs, request):
        # A user's ballots are listed without their choices: secret ballots are secret from
        # staff too.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return without_choices(deleted), counts, perms_needed, protected

    def delete_object(self, request, obj) -> None:
        # Their ballots come off the counts first: the cascade alone would leave them counted.
        services.voter_ballots_remove(voter_id=obj.pk)
        obj.delete()

    @admin.display(description="joined", ordering="date_joined")
    def joined(self, user):
        return user.date_joined.date()  # the day is enough, and keeps the list narrow

    @admin.display(description="polls", ordering="poll_count")
    def poll_count(self, user):
        return user.poll_count

    @admin.display(description="ballots", ordering="ballot_count")
    def ballot_count(self, user):
        return user.ballot_count

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        with refusal_on_save():
            user = accounts.user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        adopt(obj, user)

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
