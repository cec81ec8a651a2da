from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import services
from .models import DEFAULT_POLL_DURATION, LABEL_MAX_LENGTH, MAX_OPTIONS, MIN_OPTIONS


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


class PollForm(forms.Form):
    """The create-poll page. The rules (lengths, 2 to 20 distinct options, 1 minute to 30 days)
    are services.poll_create's; this form only reads the page's fields and places its errors.

    Buttons named `add_option` and `remove_option` edit the option rows on the server, so the
    page works with JavaScript off; the script does the same in the browser.
    """

    # templates/polls/create.html writes the inputs itself (rows, preview hooks, ARIA).
    title = forms.CharField(label="Question", required=False, strip=False)
    options = OptionLabelsField(required=False)
    days = _picker_field("Days", max_value=30, initial=DEFAULT_POLL_DURATION.days)
    hours = _picker_field("Hours", max_value=23, initial=DEFAULT_POLL_DURATION.seconds // 3600)
    minutes = _picker_field("Minutes", max_value=59, initial=0)

    label_max_length = LABEL_MAX_LENGTH
    max_options = MAX_OPTIONS

    def option_rows(self) -> list[str]:
        """The labels to show as rows: what was typed (nothing lost), at least two rows."""
        if self.is_bound:
            labels = self.data.getlist("options") if hasattr(self.data, "getlist") else []
            labels = [label for label in labels if isinstance(label, str)]
        else:
            labels = []
        labels = labels[:MAX_OPTIONS]
        return labels + [""] * (MIN_OPTIONS - len(labels))

    def edited_rows(self) -> list[str] | None:
        """The option rows after an Add or Remove button, or None if neither was pressed."""
        rows = self.option_rows()
        if "add_option" in self.data:
            return rows + [""] if len(rows) < MAX_OPTIONS else rows
        if "remove_option" in self.data:
            try:
                index = int(self.data["remove_option"])
            except (TypeError, ValueError):
                return rows
            if 0 <= index < len(rows) and len(rows) > MIN_OPTIONS:
                rows = rows[:index] + rows[index + 1 :]
            return rows
        return None

    def closes_in(self) -> timedelta:
        data = self.cleaned_data
        return timedelta(days=data["days"], hours=data["hours"], minutes=data["minutes"])

    def save(self, *, author):
        """Create the poll, closing the picked duration after this moment (the submit, not when
        the page was opened). Returns None, with the errors on the form, if a rule refuses it."""
        now = timezone.now()
        try:
            return services.poll_create(
                author=author,
                title=self.cleaned_data["title"],
                # Blank rows are rows the voter did not use, not options.
                option_labels=[label for label in self.cleaned_data["options"] if label],
                closes_at=now + self.closes_in(),
                now=now,
            )
        except ValidationError as error:
            _service_errors_to_form(
                self, error, {"title": "title", "options": "options", "closes_at": "days"}
            )
            return None
