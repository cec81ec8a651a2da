"""Output serializers describe what the API returns; input serializers check JSON types only.
Every rule about the values (lengths, counts, closing times, who may do what) is in
polls/services.py."""

from datetime import UTC

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from polls import services
from polls.models import Poll, User

MAX_ID = 2**63 - 1  # the largest database id; bigger numbers find nothing, as unknown ids


class StrictCharField(serializers.CharField):
    """Text that must be a JSON string (DRF's CharField would turn 42 into "42"). Blank and
    untrimmed values pass through, for the services to judge with their own messages."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction; "3" and true are not numbers."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with an explicit offset (2030-01-02T03:04:05+00:00). Input without an
    offset is passed on naive, and poll rules refuse it: a time zone must never be guessed."""

    def enforce_timezone(self, value):
        return value.astimezone(UTC) if timezone.is_aware(value) else value

    def to_representation(self, value):
        return value.astimezone(UTC).isoformat() if value else None


# --- Output -----------------------------------------------------------------------------------


class OptionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    votes = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Share of the votes, 0 to 100, one decimal.")


class PollSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="The public id.")
    url = serializers.HyperlinkedIdentityField(
        view_name="api:poll-detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    author = serializers.CharField(source="author.username", read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    closes_at = UTCDateTimeField(read_only=True)
    closed_at = UTCDateTimeField(read_only=True, allow_null=True)
    is_open = serializers.SerializerMethodField()
    total_votes = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    my_vote = serializers.SerializerMethodField()

    class Meta:
        model = Poll
        fields = [
            "id",
            "url",
            "title",
            "author",
            "created_at",
            "closes_at",
            "closed_at",
            "is_open",
            "total_votes",
            "options",
            "my_vote",
        ]
        read_only_fields = fields

    @staticmethod
    def _results(poll: Poll) -> services.PollResults:
        if not hasattr(poll, "_api_results"):
            poll._api_results = services.poll_results(poll=poll)
        return poll._api_results

    def get_is_open(self, poll: Poll) -> bool:
        return poll.is_open()

    def get_total_votes(self, poll: Poll) -> int:
        return self._results(poll).total_votes

    @extend_schema_field(OptionResultSerializer(many=True))
    def get_options(self, poll: Poll):
        return OptionResultSerializer(self._results(poll).options, many=True).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_my_vote(self, poll: Poll) -> int | None:
        """The option the caller chose (prefetched by with_choice_of), or None."""
        return poll.choice_of_user()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "email"]
        read_only_fields = fields


SIGN_UP_ACCEPTED = "Check your email: it holds the link that activates your account."


class SignUpAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happens next, in a sentence for people.")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class OptionLabelsSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField())


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    code = serializers.CharField(help_text="What went wrong, as a stable word for programs.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field at fault (`non_field_errors` for the body as a whole).",
    )


# --- Input ------------------------------------------------------------------------------------


class PollCreateInput(serializers.Serializer):
    title = StrictCharField()
    options = serializers.ListField(child=StrictCharField(), help_text="2 to 20 labels.")
    closes_at = UTCDateTimeField(
        required=False, allow_null=True, help_text="ISO 8601 with offset; default: in 24 hours."
    )


class PollRescheduleInput(serializers.Serializer):
    closes_at = UTCDateTimeField(help_text="ISO 8601 with offset, 1 minute to 30 days ahead.")


class VoteInput(serializers.Serializer):
    option = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="An option id.")


class SignUpInput(serializers.Serializer):
    username = StrictCharField()
    email = StrictCharField()
    password = StrictCharField(write_only=True, style={"input_type": "password"})


class TokenInput(serializers.Serializer):
    username = StrictCharField()
    password = StrictCharField(write_only=True, style={"input_type": "password"})
