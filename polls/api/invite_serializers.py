"""What the invite code calls take and answer (GET/POST /api/polls/{id}/invites/, POST
/api/polls/{id}/invites/revoke/). How many codes, and who may, is services.invites' rule."""

from django.utils.http import urlencode
from rest_framework import serializers

from polls.services.invites import HOW_MANY, MAX_CODES_AT_ONCE, MAX_CODES_PER_POLL

from .fields import StrictIntegerField

MAX_NUMBER = 2**31 - 1  # the largest code number the database holds
NONE_CHOSEN = "Send the numbers of the unused codes to withdraw."
INVITE_STATUSES = [
    ("unused", "unused: it casts one ballot"),
    ("used", "used: its ballot is cast"),
    ("revoked", "revoked: withdrawn by the author, it casts none"),
]


class InviteCodeSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="Its place in the poll's list: 1, 2, …")
    code = serializers.CharField(help_text="The code, for `code` in a vote's body.")
    link = serializers.SerializerMethodField(
        help_text="The poll's address with the code: the link to hand out."
    )
    status = serializers.ChoiceField(
        choices=INVITE_STATUSES,
        help_text="`unused`, `used` or `revoked`; never when it was used.",
    )

    def get_link(self, invite) -> str:
        return f"{self.context['poll_link']}?{urlencode({'code': invite.code})}"


class InviteCodeCountsSerializer(serializers.Serializer):
    unused = serializers.IntegerField()
    used = serializers.IntegerField()
    revoked = serializers.IntegerField()


class InviteCodeListSerializer(serializers.Serializer):
    counts = InviteCodeCountsSerializer(help_text="How many codes are in each state.")
    codes = InviteCodeSerializer(
        many=True, help_text=f"Every code of the poll, by number ({MAX_CODES_PER_POLL} at most)."
    )


class InviteCodesCreateInput(serializers.Serializer):
    count = StrictIntegerField(
        min_value=1,
        max_value=MAX_CODES_AT_ONCE,
        error_messages={"min_value": HOW_MANY, "max_value": HOW_MANY},
        help_text=f"How many new codes: 1 to {MAX_CODES_AT_ONCE}, numbered after the last.",
    )


class InviteCodesRevokeInput(serializers.Serializer):
    numbers = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_NUMBER),
        allow_empty=False,
        max_length=MAX_CODES_PER_POLL,
        error_messages={"empty": NONE_CHOSEN},
        help_text="The numbers of the codes to withdraw; used codes keep their ballot and are "
        "left as they are.",
    )


class InviteCodesRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many unused codes were withdrawn.")
