from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One staff action, written in the transaction of the change it records. Append-only:
    nothing in Votr updates or deletes an entry, and the admin shows them read-only.

    The actor's username and the object's description are copied, so an entry still says who
    did what to which object after the user or the object is deleted.
    """

    class Action(models.TextChoices):
        ADD = "add", "added"
        CHANGE = "change", "changed"
        DELETE = "delete", "deleted"
        CLOSE = "close", "closed"
        RESCHEDULE = "reschedule", "rescheduled"
        REMOVE_BALLOT = "remove_ballot", "removed ballot"
        DEACTIVATE = "deactivate", "deactivated"

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    details = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["-at"], name="audit_newest_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        who = self.actor_username or "the system"
        return f"{who} {self.get_action_display()} {self.object_type} {self.object_repr}"
