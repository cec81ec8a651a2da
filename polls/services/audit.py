"""The audit log: one entry per staff action, written in the action's own transaction."""

from django.contrib.auth import get_user_model

from ..models import AuditEntry

User = get_user_model()


def audit_record(
    *, actor: User | None, action: str, obj, details: str = "", object_repr: str | None = None
) -> AuditEntry:
    """Append one entry to the audit log (AuditEntry). Call it inside the transaction of the
    change it records, so the change and its record commit or roll back together. Entries are
    never updated or deleted."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        details=details,
    )
