"""Output serializers describe what the API returns; input serializers check JSON types, and
the sizes the schema publishes (from the models' constants), so that an oversized value is
refused before any work is done on it. Every other rule about the values (blank or duplicate
labels, closing times, who may do what) is in the domain layer (polls/services/)."""

from datetime import UTC

from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from polls import services
from polls.models import LABEL_MAX_LENGTH, MAX_OPTIONS, MIN_OPTIONS, TITLE_MAX_LENGTH, Poll, User

from .errors import ERROR_CODES

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
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
        if timezone.is_naive(value):
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-23:59 is past the last datetime in UTC
            self.fail("overflow")

    def to_representation(self, value):
        return value.astimezone(UTC).isoformat() if value else None


class OptionLabelsField(serializers.ListField):
    """MIN_OPTIONS to MAX_OPTIONS labels. The count is checked before any label is, so a list
    of a million labels costs one len() and answers one message."""

    def __init__(self, **kwargs):
        super().__init__(
            child=StrictCharField(allow_blank=False, max_length=LABEL_MAX_LENGTH),
            min_length=MIN_OPTIONS,
            max_length=MAX_OPTIONS,
            error_messages={"min_length": services.TOO_FEW_OPTIONS},
            **kwargs,
        )

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > self.max_length:
            raise serializers.ValidationError(services.too_many_options(len(data)))
        return super().to_internal_value(data)


class PasswordField(StrictCharField):
    """A new password. user_create judges it with AUTH_PASSWORD_VALIDATORS, reporting every
    problem at once with the other fields'; the schema publishes their minimum length."""

    @property
    def schema_min_length(self) -> int:
        lengths = [
            validator.min_length
            for validator in get_default_password_validators()
            if isinstance(validator, MinimumLengthValidator)
        ]
        return max(lengths, default=1)


# --- Output -----------------------------------------------------------------------------------


class OptionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    votes = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Share of the votes, 0 to 100, one decimal.")


class PollResultsSerializer(serializers.ModelSerializer):
    """Whether a poll is open and its results: part of every Poll in the API, and on its own
    what the poll page's script polls for live results (polls:results)."""

    closes_at = UTCDateTimeField(read_only=True)
    closed_at = UTCDateTimeField(read_only=True, allow_null=True)
    is_open = serializers.SerializerMethodField()
    total_votes = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()

    class Meta:
        model = Poll
        fields = ["is_open", "closes_at", "closed_at", "total_votes", "options"]
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
        # What OptionResultSerializer describes, built directly: a nested serializer per poll
        # was a third of the list's time.
        return [
            {"id": o.id, "label": o.label, "votes": o.votes, "percent": o.percent}
            for o in self._results(poll).options
        ]


class PollSerializer(PollResultsSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="The public id.")
    url = serializers.HyperlinkedIdentityField(
        view_name="api:poll-detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    author = serializers.CharField(source="author.username", read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    my_vote = serializers.SerializerMethodField()
    ballot_order = serializers.SerializerMethodField(
        help_text="The option ids in the order to show this caller's ballot. `options` keep "
        "the author's order, also in a poll that shuffles its options; there each signed-in "
        "caller has an order of their own (the one the site shows them), the same on every "
        "read, and callers not signed in share one."
    )

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
            "ballot_order",
            "my_vote",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_ballot_order(self, poll: Poll) -> list[int]:
        request = self.context.get("request")
        key = services.viewer_order_key(user=getattr(request, "user", None))
        options = services.ballot_order(poll=poll, options=poll.options.all(), viewer_key=key)
        return [option.id for option in options]

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


class ApiIndexSerializer(serializers.Serializer):
    schema = serializers.URLField(help_text="The OpenAPI schema (YAML; JSON with ?format=json).")
    docs = serializers.URLField(help_text="The schema as a page to read and try.")
    polls = serializers.URLField()
    options = serializers.URLField(help_text="Option labels used before, for autocomplete.")
    token = serializers.URLField(help_text="Log in for a token, or revoke it.")
    users = serializers.URLField(help_text="Sign up.")


class OptionLabelsSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField())


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    code = serializers.ChoiceField(
        choices=ERROR_CODES, help_text="What went wrong, as a stable word for programs."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field at fault (`non_field_errors` for the body as a whole).",
    )


# --- Input ------------------------------------------------------------------------------------


class PollCreateInput(serializers.Serializer):
    title = StrictCharField(
        allow_blank=False,
        max_length=TITLE_MAX_LENGTH,
        error_messages={"blank": "The question cannot be blank."},
    )
    options = OptionLabelsField(
        help_text="2 to 20 labels, different ignoring case and look-alikes."
    )
    closes_at = UTCDateTimeField(
        required=False, allow_null=True, help_text="ISO 8601 with offset; default: in 24 hours."
    )


class PollRescheduleInput(serializers.Serializer):
    closes_at = UTCDateTimeField(
        required=False,
        help_text="ISO 8601 with offset, 1 minute to 30 days ahead. Without it, nothing changes.",
    )


class VoteInput(serializers.Serializer):
    option = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="An option id.")


class SignUpInput(serializers.Serializer):
    # The User model's column sizes, which user_create's checks keep to.
    username = StrictCharField(allow_blank=False, max_length=USERNAME_MAX_LENGTH)
    email = StrictCharField(allow_blank=False, max_length=User._meta.get_field("email").max_length)
    password = PasswordField(allow_blank=False, write_only=True, style={"input_type": "password"})


class TokenInput(serializers.Serializer):
    # No longer than a username can be: a failed login stores it (django-axes, 255 characters).
    username = StrictCharField(allow_blank=False, max_length=USERNAME_MAX_LENGTH)
    password = StrictCharField(write_only=True, style={"input_type": "password"})
