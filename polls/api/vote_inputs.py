"""What a vote sends: its choices, and for votes without an account the invite code, the
voter's name and the anti-spam check's answer."""

from rest_framework import serializers

from polls.models import INVITE_CODE_MAX_LENGTH, VOTER_NAME_MAX_LENGTH
from polls.services.challenges import MAX_PAYLOAD_LENGTH

from .fields import (
    MAX_ID,
    OptionIdsField,
    RankingField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)

BALLOT_FIELDS = ("option", "options", "ranking")
VOTE_ONE_OF = (
    'Send "option" (an option id), "options" (a list of option ids) or, in a ranked poll, '
    '"ranking" (option ids best first).'
)
VOTE_NOT_BOTH = 'Send one of "option", "options" and "ranking", not several.'
CHOICES_EXPECTED = 'This poll takes several choices: send "options", a list of option ids.'
RANKING_EXPECTED = 'This poll ranks its options: send "ranking", option ids best first.'
RANKING_NOT_EXPECTED = 'This poll does not rank its options: send "option" or "options".'
CODE_PARAMETER_HELP = "The invite code, in a poll whose `voter_mode` is `code`."


class VoteInput(serializers.Serializer):
    option = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="An option id: the ballot of a single-choice poll (`max_choices` 1).",
    )
    options = OptionIdsField(
        required=False,
        help_text="Option ids, each once, from `min_choices` to `max_choices` of them: the "
        "ballot of any poll that chooses (`voting_method` `choice`).",
    )
    ranking = RankingField(
        required=False,
        help_text="Option ids best first, each once: the ballot of a ranked poll "
        "(`voting_method` `ranked`), one option or more, every option where `rank_all`. Send "
        "one of `option`, `options` and `ranking`.",
    )
    code = StrictCharField(
        required=False,
        max_length=INVITE_CODE_MAX_LENGTH,
        help_text=CODE_PARAMETER_HELP,
    )
    name = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=VOTER_NAME_MAX_LENGTH,
        trim_whitespace=False,
        help_text="The voter's name, where the poll asks for one (`voter_names`).",
    )
    hide_name = StrictBooleanField(
        required=False,
        default=False,
        help_text="A signed-in voter keeps their username off the ballot, where names are "
        "optional.",
    )
    altcha = StrictCharField(
        required=False,
        max_length=MAX_PAYLOAD_LENGTH,
        help_text="The solved anti-spam challenge (ALTCHA, from `GET /polls/challenge.json`) of "
        "a vote without an account in a `browser` or `open` poll.",
    )

    def validate(self, data):
        sent = [field for field in BALLOT_FIELDS if field in data]
        if len(sent) > 1:
            raise serializers.ValidationError(VOTE_NOT_BOTH)
        if not sent:
            raise serializers.ValidationError(VOTE_ONE_OF)
        return data


class VoteRetractInput(serializers.Serializer):
    """A retraction's body, which may be empty: the invite code (also accepted as `?code=`)."""

    code = StrictCharField(
        required=False, max_length=INVITE_CODE_MAX_LENGTH, help_text=CODE_PARAMETER_HELP
    )
