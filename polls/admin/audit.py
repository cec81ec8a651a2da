"""The audit log, read-only, and the audited admin every other admin builds on; deleting a
login lockout (an access attempt) is audited too."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.db import transaction

from .. import services
from ..models import AuditEntry
from .view_only import ViewOnlyMixin


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


# Deleting an access attempt lifts a login lockout: a change worth a line in the audit log.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AuditedAdmin, AccessAttemptAdmin):
    pass


def object_type_name(object_type: str) -> str:
    """The model's verbose name ("poll") for an entry's `app_label.model_name`, or the raw
    value for a model that no longer exists."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
        return sorted(((value, object_type_name(value)) for value in types), key=lambda x: x[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(object_type=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Holders of polls.view_auditentry read the log; nobody, not even a superuser, can alter it."""

    list_display = [
        "at",
        "actor_username",
        "action",
        "object_type_display",
        "object_repr",
        "details",
    ]
    list_filter = ["action", ObjectTypeFilter, "at"]
    search_fields = ["actor_username", "object_repr", "object_id", "details"]
    date_hierarchy = "at"

    @admin.display(description="object type", ordering="object_type")
    def object_type_display(self, entry):
        return object_type_name(entry.object_type)
