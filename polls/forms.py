from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import local_time, services
from .models import (
    DEFAULT_POLL_DURATION,
    LABEL_MAX_LENGTH,
    MAX_OPTIONS,
    MIN_OPTIONS,
)
from .settings_forms import PollSettingsForm


def _service_errors_to_form(form: forms.Form, error: ValidationError, fields: dict[str, str]):
    """Put a service's per-field messages next to the form fields they concern."""
    for service_field, messages in error.message_dict.items():
        form.add_error(fields.get(service_field, service_field), messages)


class OptionLabelsWidget(forms.Widget):
    """Every `options` input of the form, in order (the page renders one row per label)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class OptionLabelsField(forms.Field):
    widget = OptionLabelsWidget

    def to_python(self, value):
        if not isinstance(value, list | tuple):
            return []
        return [label.strip() for label in value if isinstance(label, str)]


def _picker_field(label: str, *, max_value: int, initial: int) -> forms.IntegerField:
    """One part of the closing-time picker; its messages name it, as the three share one list."""
    whole_number = f"{label} must be a whole number from 0 to {max_value}."
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=max_value,
        initial=initial,
        error_messages={
            "required": whole_number,
            "invalid": whole_number,
            "min_value": f"{label} cannot be negative.",
            "max_value": f"{label} must be at most %(limit_value)s.",
        },
    )


CLOSING_IN, CLOSING_AT = "in", "at"
PICKER_FIELDS = ("days", "hours", "minutes")


class ClosingTimeForm(forms.Form):
    """When a poll closes: in so many days, hours and minutes from the submit, or at a date and
    time on the clock of a time zone the person picks (polls.local_time makes it an instant;
    the page's script preselects the browser's zone, and without it the zone is UTC until they
    pick theirs). The 1 minute to 30 days rule is the services'."""

    closing = forms.ChoiceField(
        choices=[(CLOSING_IN, "In"), (CLOSING_AT, "At a date and time")],
        initial=CLOSING_IN,
        required=False,
    )
    days = _picker_field("Days", max_value=30, initial=DEFAULT_POLL_DURATION.days)
    hours = _picker_field("Hours", max_value=23, initial=DEFAULT_POLL_DURATION.seconds // 3600)
    minutes = _picker_field("Minutes", max_value=59, initial=0)
    closes_on = forms.CharField(label="Date and time", required=False)
    time_zone = forms.CharField(label="Time zone", required=False, initial=local_time.UTC_NAME)

    time_zone_groups = staticmethod(local_time.time_zone_groups)

    def closing_mode(self) -> str:
        chosen = self.data.get("closing") if self.is_bound else self.initial.get("closing")
        return CLOSING_AT if chosen == CLOSING_AT else CLOSING_IN

    def detects_time_zone(self) -> bool:
        """Whether the page's script may pick the browser's zone: nobody has picked one yet."""
        return not self.is_bound and "time_zone" not in self.initial

    def closes_on_value(self) -> str:
        """The date and time to show again, as a datetime-local input takes it."""
        value = self["closes_on"].value() or ""
        return value.replace(" ", "T", 1) if local_time.LOCAL_FORMAT.fullmatch(value) else value

    def closing_error_field(self) -> str:
        """Where a message about the closing time goes: next to the part that was used."""
        return "closes_on" if self.closing_mode() == CLOSING_AT else "days"

    def clean(self):
        cleaned_data = super().clean()
        if self.closing_mode() == CLOSING_IN:
            return cleaned_data
        # The duration is not used: whatever its boxes hold is no error.
        for name in PICKER_FIELDS:
            self.errors.pop(name, None)
        if "closes_on" not in cleaned_data:  # refused by the field itself (a NUL character)
            return cleaned_data
        zone = cleaned_data.get("time_zone") or local_time.UTC_NAME
        try:
            cleaned_data["closes_at"] = local_time.local_to_utc(cleaned_data["closes_on"], zone)
        except local_time.LocalTimeError as error:
            wrong = "time_zone" if error.message == local_time.PICK_ZONE else "closes_on"
            self.add_error(wrong, error.message)
        return cleaned_data

    def closes_at(self, *, now: datetime) -> datetime:
        """The instant picked, the duration counted from `now` (the submit)."""
        if self.closing_mode() == CLOSING_AT:
            return self.cleaned_data["closes_at"]
        data = self.cleaned_data
        return now + timedelta(days=data["days"], hours=data["hours"], minutes=data["minutes"])


class PollForm(ClosingTimeForm, PollSettingsForm):
    """The create-poll page. The rules (lengths, 2 to 20 distinct options, 1 minute to 30 days,
    the settings) are services.poll_create's; this form only reads the page's fields and places
    its errors.

    Buttons named `add_option` and `remove_option` edit the option rows on the server, so the
    page works with JavaScript off; the script does the same in the browser.
    """

    # templates/polls/create.html writes the inputs itself (rows, preview hooks, ARIA).
    title = forms.CharField(label="Question", required=False, strip=False)
    options = OptionLabelsField(required=False)

    label_max_length = LABEL_MAX_LENGTH

    def option_rows(self) -> list[str]:
        """The labels to show as rows: what was typed (nothing lost), at least two rows."""
        return _option_rows(self)

    def edited_rows(self) -> list[str] | None:
        """The option rows after an Add or Remove button, or None if neither was pressed."""
        return _edited_rows(self)

    def typed(self) -> dict:
        return _typed(self)

    def option_labels(self) -> list[str]:
        # Blank rows are rows the author did not use, not options.
        return [label for label in self.cleaned_data["options"] if label]

    def save(self, *, author):
        """Create the poll, closing the picked duration after this moment (the submit, not when
        the page was opened). Returns None, with the errors on the form, if a rule refuses it."""
        now = timezone.now()
        labels = self.option_labels()
        try:
            return services.poll_create(
                author=author,
                title=self.cleaned_data["title"],
                option_labels=labels,
                closes_at=self.closes_at(now=now),
                now=now,
                **self.settings(option_count=len(labels)),
            )
        except ValidationError as error:
            _service_errors_to_form(
                self,
                error,
                {"title": "title", "options": "options", "closes_at": self.closing_error_field()},
            )
            return None


def _typed(form) -> dict:
    """What was typed in every field but the options, to show again unjudged."""
    typed = {name: form.data.get(name) for name in form.fields if name != "options"}
    return {name: value for name, value in typed.items() if value is not None}


def _option_rows(form) -> list[str]:
    if form.is_bound:
        labels = form.data.getlist("options") if hasattr(form.data, "getlist") else []
        labels = [label for label in labels if isinstance(label, str)]
    else:
        labels = form.initial.get("options") or []
    labels = labels[:MAX_OPTIONS]
    return labels + [""] * (MIN_OPTIONS - len(labels))


def _edited_rows(form) -> list[str] | None:
    rows = _option_rows(form)
    if "add_option" in form.data:
        return rows + [""] if len(rows) < MAX_OPTIONS else rows
    if "remove_option" in form.data:
        try:
            index = int(form.data["remove_option"])
        except (TypeError, ValueError):
            return rows
        if 0 <= index < len(rows) and len(rows) > MIN_OPTIONS:
            rows = rows[:index] + rows[index + 1 :]
        return rows
    return None
