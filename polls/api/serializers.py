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
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MIN_OPTIONS,
    NamesShownTo,
    Poll,
    ResultsVisibility,
    User,
    VoterMode,
    VoterNames,
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


HIDDEN = "Null while the results are hidden from the caller (see `results_hidden_until`)."
RESULTS_HIDDEN_UNTIL = [
    (services.UNTIL_VOTE, "the caller's vote (or the close)"),
    (services.UNTIL_CLOSE, "the close"),
    (services.NEVER, "never: only the author and holders of polls.view_results see them"),
]


class OptionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    votes = serializers.IntegerField(allow_null=True, help_text=HIDDEN)
    percent = serializers.FloatField(
        allow_null=True,
        help_text="Share of the voters who chose this option, 0 to 100, one decimal (where a "
        f"ballot may choose several, the shares add up to more than 100). {HIDDEN}",
    )


class PollResultsSerializer(serializers.ModelSerializer):
    """Whether a poll is open and its results, as the caller (the request's user) may see them
    by the one visibility rule (polls.services.visibility): part of every Poll in the API, and
    on its own what the poll page's script polls for live results (polls:results)."""

    closes_at = UTCDateTimeField(read_only=True)
    closed_at = UTCDateTimeField(read_only=True, allow_null=True)
    is_open = serializers.SerializerMethodField()
    results_visibility = serializers.ChoiceField(
        choices=ResultsVisibility.choices,
        read_only=True,
        help_text="Who sees the counts, and when. The author and holders of the "
        "polls.view_results permission always do.",
    )
    results_hidden_until = serializers.SerializerMethodField()
    total_votes = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()

    class Meta:
        model = Poll
        fields = [
            "is_open",
            "closes_at",
            "closed_at",
            "results_visibility",
            "results_hidden_until",
            "total_votes",
            "options",
        ]
        read_only_fields = fields

    def _hidden_until(self, poll: Poll) -> str | None:
        if not hasattr(poll, "_api_hidden_until"):
            viewer = getattr(self.context.get("request"), "user", None)
            poll._api_hidden_until = services.results_hidden_until(
                poll=poll, viewer=viewer, voted=poll.voted_by_user()
            )
        return poll._api_hidden_until

    def _results(self, poll: Poll) -> services.PollResults:
        if not hasattr(poll, "_api_results"):
            hidden = self._hidden_until(poll) is not None
            poll._api_results = services.poll_results(poll=poll, hidden=hidden)
        return poll._api_results

    def get_is_open(self, poll: Poll) -> bool:
        return poll.is_open()

    @extend_schema_field(
        serializers.ChoiceField(
            choices=RESULTS_HIDDEN_UNTIL,
            allow_null=True,
            help_text="Null when the caller sees the results; otherwise what they wait for: "
            '"vote" (their vote, or the close), "close", or "never".',
        )
    )
    def get_results_hidden_until(self, poll: Poll) -> str | None:
        return self._hidden_until(poll)

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text=HIDDEN))
    def get_total_votes(self, poll: Poll) -> int | None:
        return self._results(poll).total_votes

    @extend_schema_field(OptionResultSerializer(many=True))
    def get_options(self, poll: Poll):
        # What OptionResultSerializer describes, built directly: a nested serializer per poll
        # was a third of the list's time.
        return [
            {"id": o.id, "label": o.label, "votes": o.votes, "percent": o.percent}
            for o in self._results(poll).options
        ]


# The Outcome schema's `kind` enum (named in SPECTACULAR_SETTINGS).
OUTCOME_KINDS = [kind.value for kind in services.OutcomeKind]


class OutcomeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=OUTCOME_KINDS,
        help_text="`winner`, `tie` or `no_votes` (nobody voted).",
    )
    options = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The winner's option id, or every tied option's; empty when nobody voted. "
        "In a multiple-choice poll, the most chosen.",
    )


class PollSerializer(PollResultsSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="The public id.")
    url = serializers.HyperlinkedIdentityField(
        view_name="api:poll-detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    author = serializers.CharField(source="author.username", read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    my_vote = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    my_choices = serializers.SerializerMethodField()
    # What a client needs to build a ballot.
    min_choices = serializers.IntegerField(
        read_only=True, help_text="The fewest options a ballot chooses."
    )
    max_choices = serializers.IntegerField(
        read_only=True, help_text="The most options a ballot chooses (1: single choice)."
    )
    allow_vote_change = serializers.BooleanField(
        read_only=True,
        help_text="Whether voters may change (PUT) or retract (DELETE) their vote while the "
        "poll is open.",
    )
    voter_mode = serializers.ChoiceField(
        choices=VoterMode.choices,
        read_only=True,
        help_text="Who may vote: `account` (signed-in users), `browser` (one vote per browser, "
        "no account), `code` (invite codes), `open` (no check).",
    )
    public_ballots = serializers.BooleanField(
        read_only=True, help_text="Whether everyone who sees the results sees each ballot."
    )
    voter_names = serializers.ChoiceField(
        choices=VoterNames.choices,
        read_only=True,
        help_text="Whether a vote gives a `name`: `off`, `optional`, `required`.",
    )
    names_shown_to = serializers.ChoiceField(
        choices=NamesShownTo.choices,
        read_only=True,
        help_text="Who sees the names: `author`, `everyone`, `nobody`.",
    )
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
            "description",
            "author",
            "created_at",
            "closes_at",
            "closed_at",
            "is_open",
            "results_visibility",
            "results_hidden_until",
            "unlisted",
            "shuffle_options",
            "total_votes",
            "options",
            "min_choices",
            "max_choices",
            "allow_vote_change",
            "voter_mode",
            "public_ballots",
            "voter_names",
            "names_shown_to",
            "ballot_order",
            "my_vote",
            "outcome",
            "my_choices",
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
        """The option the caller chose (prefetched by with_choice_of; their first choice where
        they chose several), or None."""
        return poll.choice_of_user()

    @extend_schema_field(
        OutcomeSerializer(
            allow_null=True,
            help_text="A closed poll's winner, tie or lack of votes; null while it is open or "
            "while its results are hidden from the caller.",
        )
    )
    def get_outcome(self, poll: Poll) -> dict | None:
        request = self.context.get("request")
        viewer = request.user if request else None
        if poll.is_open() or not services.results_visible(
            poll=poll, viewer=viewer, voted=poll.voted_by_user()
        ):
            return None
        outcome = services.poll_outcome(poll=poll, results=self._results(poll))
        return {"kind": outcome.kind.value, "options": outcome.option_ids}

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_my_choices(self, poll: Poll) -> list[int]:
        """Every option the caller chose, in the poll's option order ([] when none)."""
        return poll.choices_of_user()


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


# --- Input (a poll's words and settings: poll_inputs.py) ---------------------------------------


class OptionIdsField(serializers.ListField):
    """Option ids, at most MAX_OPTIONS (no poll takes more). The count is checked before any
    id is; how many a poll takes, and duplicates, the domain judges."""

    def __init__(self, **kwargs):
        super().__init__(
            child=StrictIntegerField(min_value=1, max_value=MAX_ID),
            max_length=MAX_OPTIONS,
            **kwargs,
        )

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > self.max_length:
            raise serializers.ValidationError(services.TooManyChoices(MAX_OPTIONS).message)
        return super().to_internal_value(data)


VOTE_ONE_OF = 'Send "option" (an option id) or "options" (a list of option ids).'
VOTE_NOT_BOTH = 'Send "option" or "options", not both.'
CHOICES_EXPECTED = 'This poll takes several choices: send "options", a list of option ids.'


class SignUpInput(serializers.Serializer):
    # The User model's column sizes, which user_create's checks keep to.
    username = StrictCharField(allow_blank=False, max_length=USERNAME_MAX_LENGTH)
    email = StrictCharField(allow_blank=False, max_length=User._meta.get_field("email").max_length)
    password = PasswordField(allow_blank=False, write_only=True, style={"input_type": "password"})


class TokenInput(serializers.Serializer):
    # No longer than a username can be: a failed login stores it (django-axes, 255 characters).
    username = StrictCharField(allow_blank=False, max_length=USERNAME_MAX_LENGTH)
    password = StrictCharField(write_only=True, style={"input_type": "password"})
