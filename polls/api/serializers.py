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
from polls.models import (
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MIN_OPTIONS,
    TITLE_MAX_LENGTH,
    Poll,
    ResultsVisibility,
    User,
)

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


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false; DRF's BooleanField would also take "yes", "on", 1 and "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# Either shape PATCH takes for `options` (OptionsEditField), as the schema publishes it.
LABEL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": LABEL_MAX_LENGTH}
OPTIONS_EDIT_SCHEMA = {
    "oneOf": [
        {
            "type": "array",
            "items": LABEL_SCHEMA,
            "minItems": MIN_OPTIONS,
            "maxItems": MAX_OPTIONS,
            "description": "The whole new list of labels, in order: options added, removed or "
            "moved (an option whose label stays keeps its id).",
        },
        {
            "type": "object",
            "additionalProperties": LABEL_SCHEMA,
            "maxProperties": MAX_OPTIONS,
            "description": 'New labels by option id: {"<option id>": "<label>"}.',
        },
    ],
    "description": "Only before the first vote.",
}
ID_DIGITS = len(str(MAX_ID))


@extend_schema_field(OPTIONS_EDIT_SCHEMA)
class OptionsEditField(serializers.Field):
    """The options of a PATCH: a list of labels (the new list) or {option id: label}. Returns
    (name, value) as services.poll_edit takes it: ("option_labels", [...]) or ("labels",
    {id: label})."""

    default_error_messages = {
        "invalid": "Give the options as a list of labels, or as {{option id: label}}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, list):
            return "option_labels", OptionLabelsField().run_validation(data)
        if not isinstance(data, dict):
            self.fail("invalid")
        if len(data) > MAX_OPTIONS:
            raise serializers.ValidationError(services.too_many_options(len(data)))
        labels, errors = {}, []
        label_field = StrictCharField(allow_blank=False, max_length=LABEL_MAX_LENGTH)
        for key, label in data.items():
            if not (key.isascii() and key.isdecimal() and 0 < len(key) <= ID_DIGITS):
                errors.append(f"{key[:20]!r} is not an option id.")
                continue
            try:
                labels[int(key)] = label_field.run_validation(label)
            except serializers.ValidationError as error:
                errors += [f"Option {key}: {message}" for message in error.detail]
        if errors:
            raise serializers.ValidationError(services.capped_messages(errors))
        return "labels", labels

    def to_representation(self, value):
        return value


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

    class Meta:
        model = Poll
        fields = [
            "id",
            "url",
            "title",
            "description",
            "author",
            "created_at",
            "closes_at",
            "closed_at",
            "is_open",
            "results_visibility",
            "unlisted",
            "shuffle_options",
            "total_votes",
            "options",
            "my_vote",
        ]
        read_only_fields = fields

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


def _title_field(**kwargs) -> StrictCharField:
    return StrictCharField(
        allow_blank=False,
        max_length=TITLE_MAX_LENGTH,
        error_messages={"blank": "The question cannot be blank."},
        **kwargs,
    )


class PollSettingsInput(serializers.Serializer):
    """The settings of a poll (docs/poll-settings.md), every one optional."""

    description = StrictCharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="Plain text under the question; line breaks are kept, control characters "
        "refused. Default: none.",
    )
    results_visibility = serializers.ChoiceField(
        choices=ResultsVisibility.choices,
        required=False,
        help_text="Who sees the counts: `always`; `after_vote` (each voter once they voted, "
        "everyone once the poll closes; the default); `after_close`; `author_only`. The "
        "author and holders of `polls.view_results` always do.",
    )
    min_choices = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_OPTIONS,
        help_text="The fewest options a ballot holds (default 1).",
    )
    max_choices = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_OPTIONS,
        help_text="The most options a ballot holds, up to the number of options (the number "
        "of options: approval voting).",
    )
    allow_vote_change = StrictBooleanField(
        required=False, help_text="Voters may change or take back their vote while it is open."
    )
    unlisted = StrictBooleanField(
        required=False, help_text="Reachable by its link only: in no list, search or suggestion."
    )
    shuffle_options = StrictBooleanField(
        required=False, help_text="Each voter sees the options in their own random order."
    )

    def get_fields(self):
        # A subclass's own fields (the poll's words) first, then the settings.
        fields = super().get_fields()
        settings = {name: fields.pop(name) for name in PollSettingsInput._declared_fields}
        return fields | settings


class PollCreateInput(PollSettingsInput):
    title = _title_field()
    options = OptionLabelsField(
        help_text="2 to 20 labels, different ignoring case and look-alikes."
    )
    closes_at = UTCDateTimeField(
        required=False, allow_null=True, help_text="ISO 8601 with offset; default: in 24 hours."
    )

    def validate(self, attrs):
        # Without max_choices a ballot holds exactly min_choices options (1 by default).
        attrs.setdefault("max_choices", attrs.get("min_choices", 1))
        return attrs


class PollEditInput(PollSettingsInput):
    """What a PATCH may change, each by services.poll_edit's rule: the question, options and
    choice limits only before the first vote."""

    title = _title_field(required=False, help_text="Only before the first vote.")
    options = OptionsEditField(required=False)
    closes_at = UTCDateTimeField(
        required=False,
        help_text="ISO 8601 with offset, 1 minute to 30 days ahead; a closed poll opens again.",
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
