"""The poll admin's forms. Each validates with the pure check the writing service uses, so the
rules' messages land on the fields; PollAdmin writes once the page is valid."""

from django import forms
from django.core.exceptions import ValidationError

from .. import services
from ..models import Poll
from ..services.editing import SETTINGS
from .site import add_service_errors

SETTINGS_HELP = {
    "description": "Plain text under the question; line breaks are kept.",
    "results_visibility": "Who sees the counts (the author and holders of polls.view_results "
    "always do).",
    "voting_method": "Choose options (within the limits below), or ranked choice: voters put "
    "the options in order, counted by instant-runoff. Fixed once anyone has voted.",
    "rank_all": "Ranked choice only: voters must rank every option (else as many as they like). "
    "Fixed once anyone has voted.",
    "min_choices": "The fewest options a ballot holds (1 for ranked choice). Fixed once anyone "
    "has voted.",
    "max_choices": "The most options a ballot holds, up to the number of options (1 and 1: "
    "single choice; 1 and every option: approval voting; 1 for ranked choice). Fixed once "
    "anyone has voted.",
    "unlisted": "Reachable by its link only: in no list, search or suggestion but its author's.",
    "shuffle_options": "Each voter sees the options in their own random order.",
    "voter_mode": "Who may vote and how a second vote is stopped: by account, by browser (a "
    "cookie; clearing it allows another vote), by invite code, or open (no check). Fixed once "
    "anyone has voted.",
    "public_ballots": "Everyone who sees the results sees who chose what (voters are told "
    "before they vote). Off: ballots are secret, from the author and staff too. Fixed once "
    "anyone has voted.",
    "voter_names": "Whether voters give a name (signed-in voters' usernames are used). Fixed "
    "once anyone has voted.",
    "names_shown_to": "Who sees the names voters give, as a list of who voted.",
}


class PollAddForm(forms.ModelForm):
    """Checked by services.poll_errors; PollAdmin.save_model creates it with poll_create."""

    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="One option per line, 2 to 20, in the order voters will see them.",
    )

    class Meta:
        model = Poll
        fields = ["title", "options", "closes_at", *SETTINGS]
        help_texts = {"closes_at": "1 minute to 30 days from now (UTC).", **SETTINGS_HELP}

    def option_labels(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]

    def settings(self) -> dict:
        return {name: self.cleaned_data[name] for name in SETTINGS}

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        errors = services.poll_errors(
            title=cleaned_data["title"],
            option_labels=self.option_labels(),
            closes_at=cleaned_data["closes_at"],
            **self.settings(),
        )
        add_service_errors(self, errors)
        return cleaned_data


class PollChangeForm(forms.ModelForm):
    """What changed is checked by services.poll_edit_errors (the question and the choice limits
    only before the first vote; a new closing time reopens a closed poll); PollAdmin.save_model
    writes it with poll_edit."""

    class Meta:
        model = Poll
        fields = ["title", "closes_at", *SETTINGS]
        help_texts = {
            "title": "Can change only while nobody has voted.",
            "closes_at": "1 minute to 30 days from now (UTC). A closed poll opens again.",
            **SETTINGS_HELP,
        }

    def changes(self) -> dict:
        """The fields changed, as services.poll_edit takes them (the choice limits as a pair)."""
        changed = {name: self.cleaned_data[name] for name in self.changed_data}
        if "min_choices" in changed or "max_choices" in changed:
            changed["min_choices"] = self.cleaned_data["min_choices"]
            changed["max_choices"] = self.cleaned_data["max_choices"]
        return changed

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        add_service_errors(self, services.poll_edit_errors(poll=self.instance, **self.changes()))
        return cleaned_data


class OptionFormSet(forms.BaseInlineFormSet):
    """New labels are checked by services.poll_wording_errors, which refuses them once anyone
    has voted; PollAdmin.save_formset writes them with poll_edit."""

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
