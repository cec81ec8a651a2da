"""The poll admin's forms. Each validates with the pure check the writing service uses, so the
rules' messages land on the fields; PollAdmin writes once the page is valid."""

from django import forms
from django.core.exceptions import ValidationError

from .. import services
from ..models import Poll
from .site import add_service_errors


class PollAddForm(forms.ModelForm):
    """Checked by services.poll_errors; PollAdmin.save_model creates it with poll_create."""

    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="One option per line, 2 to 20, in the order voters will see them.",
    )

    class Meta:
        model = Poll
        fields = ["title", "options", "closes_at"]
        help_texts = {"closes_at": "1 minute to 30 days from now (UTC)."}

    def option_labels(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        errors = services.poll_errors(
            title=cleaned_data["title"],
            option_labels=self.option_labels(),
            closes_at=cleaned_data["closes_at"],
        )
        add_service_errors(self, errors)
        return cleaned_data


class PollChangeForm(forms.ModelForm):
    """A new question is checked by services.poll_wording_errors (only before the first vote),
    a new closing time by services.closing_time_errors (a closed poll opens again);
    PollAdmin.save_model writes them with poll_reword and poll_reschedule."""

    class Meta:
        model = Poll
        fields = ["title", "closes_at"]
        help_texts = {
            "title": "Can change only while nobody has voted.",
            "closes_at": "1 minute to 30 days from now (UTC). A closed poll opens again.",
        }

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        errors = {}
        if "title" in self.changed_data:
            errors = services.poll_wording_errors(poll=self.instance, title=cleaned_data["title"])
        if "closes_at" in self.changed_data:
            closing = services.closing_time_errors(closes_at=cleaned_data["closes_at"])
            if closing:
                errors["closes_at"] = closing
        add_service_errors(self, errors)
        return cleaned_data


class OptionFormSet(forms.BaseInlineFormSet):
    """New labels are checked by services.poll_wording_errors, which refuses them once anyone
    has voted; PollAdmin.save_formset writes them with poll_reword."""

    def changed_labels(self) -> dict[int, str]:
        return {
            form.instance.pk: form.cleaned_data["label"]
            for form in self.forms
            if form.instance.pk and "label" in form.changed_data
        }

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        labels = self.changed_labels()
        if labels:
            errors = services.poll_wording_errors(poll=self.instance, labels=labels)
            if errors:
                raise ValidationError([message for field in errors.values() for message in field])


class RescheduleForm(forms.Form):
    closes_at = forms.DateTimeField(
        label="New closing time (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
