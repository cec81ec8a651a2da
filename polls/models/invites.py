"""Invite codes: the one-time codes that let the holder of each cast one ballot in a poll."""

import secrets

from django.db import models
from django.db.models import Q

from .polls import Poll

INVITE_CODE_BYTES = 9  # 72 random bits, 12 URL-safe characters
INVITE_CODE_MAX_LENGTH = 16
# What a code in a URL or a form may look like; anything else is refused before any query.
INVITE_CODE_PATTERN = r"[A-Za-z0-9_-]{1,16}"


def new_invite_code() -> str:
    return secrets.token_urlsafe(INVITE_CODE_BYTES)


class InviteCode(models.Model):
    """One code of a poll in code mode. Whether it was used is kept, and never when: the author
    must not be able to match a code to a change in the live results. Its ballot's identity is
    a keyed hash of the code (polls.services.voters.code_identity), not a link to this row."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="invite_codes")
    code = models.CharField(
        max_length=INVITE_CODE_MAX_LENGTH, unique=True, default=new_invite_code, editable=False
    )
    # Its place in the poll's list (1, 2, …), so printed sheets and the CSV keep one numbering.
    number = models.PositiveIntegerField(editable=False)
    used = models.BooleanField(default=False, editable=False)
    revoked = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["poll", "number"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "number"], name="invite_code_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="invite_code_number_positive"),
            models.CheckConstraint(condition=~Q(code=""), name="invite_code_not_blank"),
        ]

    def __str__(self):
        return f"Invite {self.number} of {self.poll}"

    @property
    def status(self) -> str:
        if self.revoked:
            return "revoked"
        return "used" if self.used else "unused"
