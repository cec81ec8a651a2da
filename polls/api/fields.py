"""The API's input fields: JSON types checked strictly (DRF would turn 42 into "42", "yes" into
True) and the sizes the schema publishes, from the models' constants, so that an oversized value
is refused before any work is done on it."""

from datetime import UTC

from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)
from django.utils import timezone
from rest_framework import serializers

from polls import services
from polls.models import LABEL_MAX_LENGTH, MAX_OPTIONS, MIN_OPTIONS

MAX_ID = 2**63 - 1  # the largest database id; bigger numbers find nothing, as unknown ids
RANKING_TOO_LONG = f"A poll has at most {MAX_OPTIONS} options: rank fewer."


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


class RankingField(OptionIdsField):
    """A ranking: option ids best first, at most MAX_OPTIONS of them (more is refused as the
    domain refuses it, before any id is read). Repeats, unknown options and too short a
    ranking the domain judges (services.ranking_clean, vote_cast)."""

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > self.max_length:
            raise serializers.ValidationError(RANKING_TOO_LONG, code=services.OptionNotInPoll.code)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false; DRF's BooleanField would also take "yes", "on", 1 and "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
