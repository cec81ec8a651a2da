"""The API's input for a poll's words and settings: POST /api/polls/ and PATCH
/api/polls/{id}/. They check JSON types and the sizes the schema publishes; every rule about the
values (docs/poll-settings.md) is the domain layer's (services.poll_create, services.poll_edit).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from polls import services
from polls.models import (
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MIN_OPTIONS,
    TITLE_MAX_LENGTH,
    NamesShownTo,
    ResultsVisibility,
    VoterMode,
    VoterNames,
    VotingMethod,
)

from .fields import (
    MAX_ID,
    OptionLabelsField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    UTCDateTimeField,
)

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
    voting_method = serializers.ChoiceField(
        choices=VotingMethod.choices,
        required=False,
        help_text="How a ballot marks the options: `choice` (choose from `min_choices` to "
        "`max_choices` of them; the default) or `ranked` (rank them best first; the winner "
        "by instant-runoff, the Condorcet view beside it; a ranked poll has no choice limits). "
        "Fixed once anyone voted.",
    )
    rank_all = StrictBooleanField(
        required=False,
        help_text="A ranked poll's voters must rank every option (default: one or more). "
        "Only with `voting_method` `ranked`. Fixed once anyone voted.",
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
    voter_mode = serializers.ChoiceField(
        choices=VoterMode.choices,
        required=False,
        help_text="Who may vote and how duplicates are stopped: `account` (signed-in users, "
        "one vote per account; the default), `browser` (no account: one vote per browser, "
        "by a cookie; clearing it allows another vote), `code` (one ballot per invite code "
        "the author generates), `open` (no check at all; votes cannot change). Fixed once "
        "anyone voted.",
    )
    public_ballots = StrictBooleanField(
        required=False,
        help_text="Everyone who sees the results sees each ballot's choices (default: secret "
        "ballots). Fixed once anyone voted.",
    )
    voter_names = serializers.ChoiceField(
        choices=VoterNames.choices,
        required=False,
        help_text="Whether voters give a name: `off` (default), `optional`, `required`. Fixed "
        "once anyone voted.",
    )
    names_shown_to = serializers.ChoiceField(
        choices=NamesShownTo.choices,
        required=False,
        help_text="Who sees the names: `author` (default), `everyone`, `nobody`.",
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
