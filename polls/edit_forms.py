"""The manage page's edit form: only what services.poll_edit allows at this moment (the rest
is fixed once anyone has voted, and the page says so); the rules are the service's."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from . import services
from .forms import OptionLabelsField, _edited_rows, _option_rows, _typed
from .models import LABEL_MAX_LENGTH, Poll
from .settings_forms import PollSettingsForm

# The form's fields that each fixed part of a poll removes.
FIXED_FIELDS = {
    "title": ("title",),
    "option_labels": ("options",),
    # How a ballot marks the options: fixed together.
    "min_choices": ("voting_method", "rank_all", "multiple", "min_choices", "max_choices"),
    # Shown and fixed together: who may vote and whether the ballots are public.
    "voter_mode": ("voter_mode", "public_ballots"),
    "voter_names": ("voter_names",),
}


# The input that shows each part on the page (a ticked "several options" box may be absent).
SHOWN_BY = {"title": "title", "option_labels": "options", "min_choices": "min_choices"}


def fixed_on_the_page(data) -> frozenset[str]:
    """The parts a posted edit form did not show: those are not sent to poll_edit. What it did
    show is judged by poll_edit, which refuses a change that a vote since has fixed."""
    return frozenset(part for part, name in SHOWN_BY.items() if name not in data)


class PollEditForm(PollSettingsForm):
    title = forms.CharField(label="Question", required=False, strip=False)
    options = OptionLabelsField(required=False)

    label_max_length = LABEL_MAX_LENGTH

    def __init__(self, *args, poll: Poll, fixed: frozenset[str], **kwargs):
        labels = [option.label for option in poll.options.all()]
        multiple = poll.max_choices > 1
        kwargs.setdefault(
            "initial",
            {
                "title": poll.title,
                "options": labels,
                "description": poll.description,
                "results_visibility": poll.results_visibility,
                "voting_method": poll.voting_method,
                "rank_all": poll.rank_all,
                "multiple": multiple,
                "min_choices": poll.min_choices,
                # Empty is every option: it stays every option as options come and go, and a
                # single-choice poll made multiple starts as approval voting.
                "max_choices": (
                    poll.max_choices if multiple and poll.max_choices < len(labels) else None
                ),
                "allow_vote_change": poll.allow_vote_change,
                "unlisted": poll.unlisted,
                "shuffle_options": poll.shuffle_options,
                "voter_mode": poll.voter_mode,
                "public_ballots": poll.public_ballots,
                "voter_names": poll.voter_names,
                "names_shown_to": poll.names_shown_to,
            },
        )
        super().__init__(*args, **kwargs)
        self.poll, self.fixed = poll, fixed
        for part, names in FIXED_FIELDS.items():
            if part in fixed:
                for name in names:
                    del self.fields[name]

    def option_rows(self) -> list[str]:
        return _option_rows(self)

    def edited_rows(self) -> list[str] | None:
        return _edited_rows(self) if "options" in self.fields else None

    def typed(self) -> dict:
        return _typed(self)

    def changes(self) -> dict:
        """What the page sends to poll_edit: every field it shows (poll_edit ignores a value
        that is what the poll already has)."""
        data = self.cleaned_data
        changes = {}
        if "title" in self.fields:
            changes["title"] = data["title"]
        labels = None
        if "options" in self.fields:
            labels = changes["option_labels"] = [label for label in data["options"] if label]
        settings = self.settings(
            option_count=len(labels) if labels is not None else len(self.initial["options"])
        )
        if "multiple" not in self.fields:
            for name in ("voting_method", "rank_all", "min_choices", "max_choices"):
                del settings[name]
        return changes | settings

    def save(self, *, by) -> Poll | None:
        """Edit the poll; None, with the service's messages on the form, when it refuses."""
        try:
            return services.poll_edit(poll=self.poll, by=by, **self.changes())
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                field = "options" if field == "option_labels" else field
                self.add_error(field if field in self.fields else NON_FIELD_ERRORS, messages)
            return None
