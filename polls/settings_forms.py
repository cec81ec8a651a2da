"""The settings an author chooses for a poll (docs/poll-settings.md), as the create and edit
pages ask for them, with the words that explain each choice."""

from django import forms

from .models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_OPTIONS,
    NamesShownTo,
    ResultsVisibility,
    VoterMode,
    VoterNames,
)

# What each voter mode means, for the author choosing it (docs/voting-without-an-account.md).
VOTER_MODE_WORDS = {
    VoterMode.ACCOUNT: (
        "Signed-in users",
        "One vote per account. Voters need an account; someone with several accounts can vote "
        "more than once.",
    ),
    VoterMode.BROWSER: (
        "One vote per browser",
        "No account needed. A cookie marks each browser, so clearing cookies or using another "
        "browser allows another vote; a rate limit per address and an anti-spam check slow "
        "ballot stuffing. Needs JavaScript.",
    ),
    VoterMode.CODE: (
        "Invite codes",
        "You hand out one-time codes (links, a CSV or a printed sheet); each casts one ballot. "
        "A code passed on is a vote passed on. Works without JavaScript.",
    ),
    VoterMode.OPEN: (
        "Open: no check",
        "Anyone can vote as often as they like, for quick shows of hands. Votes cannot be changed.",
    ),
}
CHOICE_DEFAULTS = {
    "voter_mode": VoterMode.ACCOUNT,
    "voter_names": VoterNames.OFF,
    "names_shown_to": NamesShownTo.AUTHOR,
}
# Who sees the results, in the page's words: (the choice, what it means).
RESULTS_WORDS = {
    ResultsVisibility.ALWAYS: (
        "Always",
        "Anyone can see the counts at any time, before voting too.",
    ),
    ResultsVisibility.AFTER_VOTE: (
        "After voting",
        "Each voter sees them once they have voted; everyone once the poll closes.",
    ),
    ResultsVisibility.AFTER_CLOSE: (
        "When the poll closes",
        "Nobody sees them while the poll is open, except its author.",
    ),
    ResultsVisibility.AUTHOR_ONLY: (
        "Only the author",
        "Nobody else ever sees the counts, not even after the poll closes.",
    ),
}


def _limit_field(label: str) -> forms.IntegerField:
    whole_number = f"“{label}” must be a whole number from 1 to {MAX_OPTIONS}."
    return forms.IntegerField(
        label=label,
        required=False,
        error_messages={"invalid": whole_number},
    )


class PollSettingsForm(forms.Form):
    """The settings an author chooses (docs/poll-settings.md), for the create and edit pages.
    "At most" left empty means every option (approval voting); the limits count only when
    `multiple` is ticked, else a ballot holds one option."""

    description = forms.CharField(
        label="Description", required=False, strip=False, widget=forms.Textarea
    )
    results_visibility = forms.ChoiceField(
        label="Who sees the results",
        choices=ResultsVisibility.choices,
        initial=ResultsVisibility.AFTER_VOTE,
        required=False,  # not sent: the default
        error_messages={"invalid_choice": "Choose who sees the results from the list."},
    )
    multiple = forms.BooleanField(label="Voters may choose several options", required=False)
    min_choices = _limit_field("At least")
    max_choices = _limit_field("At most")
    allow_vote_change = forms.BooleanField(label="Voters may change their vote", required=False)
    unlisted = forms.BooleanField(label="Unlisted: only people with the link", required=False)
    shuffle_options = forms.BooleanField(
        label="Show options in a random order to each voter", required=False
    )
    voter_mode = forms.ChoiceField(
        label="Who may vote",
        choices=VoterMode.choices,
        initial=VoterMode.ACCOUNT,
        required=False,  # not sent: the default
        error_messages={"invalid_choice": "Choose who may vote from the list."},
    )
    public_ballots = forms.BooleanField(label="Public ballots", required=False)
    voter_names = forms.ChoiceField(
        label="Ask voters for a name",
        choices=VoterNames.choices,
        initial=VoterNames.OFF,
        required=False,
        error_messages={"invalid_choice": "Choose whether voters give a name from the list."},
    )
    names_shown_to = forms.ChoiceField(
        label="Names are shown to",
        choices=NamesShownTo.choices,
        initial=NamesShownTo.AUTHOR,
        required=False,
        error_messages={"invalid_choice": "Choose who sees the names from the list."},
    )

    description_max_length = DESCRIPTION_MAX_LENGTH
    max_options = MAX_OPTIONS
    results_words = RESULTS_WORDS
    voter_mode_words = VOTER_MODE_WORDS

    def clean(self):
        cleaned_data = super().clean()
        if "multiple" in self.fields and not cleaned_data.get("multiple"):
            # Limits not used are no error, whatever their boxes hold.
            for name in ("min_choices", "max_choices"):
                self.errors.pop(name, None)
                cleaned_data[name] = None
        return cleaned_data

    def _voter_settings(self) -> dict:
        """Who may vote, public ballots and names, as far as the page showed them: a setting
        the posted form did not hold (fixed once anyone voted) is not sent. Public ballots go
        with who may vote: a checkbox left unticked sends nothing."""
        data, posted = self.cleaned_data, self.data
        settings = {
            name: data.get(name) or default
            for name, default in CHOICE_DEFAULTS.items()
            if name in posted
        }
        if "voter_mode" in posted:
            settings["public_ballots"] = bool(data.get("public_ballots"))
        return settings

    def settings(self, *, option_count: int) -> dict:
        """The settings as services.poll_create and poll_edit take them."""
        data = self.cleaned_data
        multiple = data.get("multiple")
        fewest = data.get("min_choices") if multiple else None
        most = data.get("max_choices")
        fewest = 1 if fewest is None else fewest
        most = max(option_count, 1) if most is None else most
        return {
            "description": data["description"],
            "results_visibility": data["results_visibility"] or ResultsVisibility.AFTER_VOTE,
            "min_choices": fewest,
            "max_choices": most if multiple else 1,
            "allow_vote_change": data["allow_vote_change"],
            "unlisted": data["unlisted"],
            "shuffle_options": data["shuffle_options"],
            **self._voter_settings(),
        }
