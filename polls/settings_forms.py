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
    VotingMethod,
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
# How a ballot marks the options, in the page's words: (the choice, what it means).
VOTING_METHOD_WORDS = {
    VotingMethod.CHOICE: (
        "Choose options",
        "Voters tick one option, or several where you allow it; the most votes wins.",
    ),
    VotingMethod.RANKED: (
        "Ranked choice: voters put the options in order",
        "Counted by instant-runoff: the option with the fewest first preferences drops out, "
        "round by round, and its ballots go to their next choice until one option has a "
        "majority. The results show each round and who beats whom head to head.",
    ),
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
    `multiple` is ticked, else a ballot holds one option. A ranked poll has no limits (the
    page hides them; sent anyway, they are ignored), and only a ranked poll asks voters to
    rank every option."""

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
    voting_method = forms.ChoiceField(
        label="Voting method",
        choices=VotingMethod.choices,
        initial=VotingMethod.CHOICE,
        required=False,  # not sent: the default
        error_messages={"invalid_choice": "Choose a voting method from the list."},
    )
    rank_all = forms.BooleanField(label="Voters must rank every option", required=False)
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
    voting_method_words = VOTING_METHOD_WORDS
    voter_mode_words = VOTER_MODE_WORDS

    def _ranked(self) -> bool:
        return self.cleaned_data.get("voting_method") == VotingMethod.RANKED

    def clean(self):
        cleaned_data = super().clean()
        ranked = self._ranked()
        if "multiple" in self.fields and (ranked or not cleaned_data.get("multiple")):
            # Limits not used are no error, whatever their boxes hold.
            for name in ("min_choices", "max_choices"):
                self.errors.pop(name, None)
                cleaned_data[name] = None
            cleaned_data["multiple"] = False
        if not ranked:
            cleaned_data["rank_all"] = False
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

    def _ballot_settings(self, *, option_count: int) -> dict:
        """How a ballot marks the options: ranked (the limits 1 and 1, as a ranked poll keeps
        them), or chosen within the limits."""
        data = self.cleaned_data
        if self._ranked():
            return {
                "voting_method": VotingMethod.RANKED,
                "rank_all": bool(data.get("rank_all")),
                "min_choices": 1,
                "max_choices": 1,
            }
        multiple = data.get("multiple")
        fewest = data.get("min_choices") if multiple else None
        most = data.get("max_choices")
        fewest = 1 if fewest is None else fewest
        most = max(option_count, 1) if most is None else most
        return {
            "voting_method": VotingMethod.CHOICE,
            "rank_all": False,
            "min_choices": fewest,
            "max_choices": most if multiple else 1,
        }

    def settings(self, *, option_count: int) -> dict:
        """The settings as services.poll_create and poll_edit take them."""
        data = self.cleaned_data
        return {
            "description": data["description"],
            "results_visibility": data["results_visibility"] or ResultsVisibility.AFTER_VOTE,
            **self._ballot_settings(option_count=option_count),
            "allow_vote_change": data["allow_vote_change"],
            "unlisted": data["unlisted"],
            "shuffle_options": data["shuffle_options"],
            **self._voter_settings(),
        }
