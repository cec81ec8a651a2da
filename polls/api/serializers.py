"""What the API answers: a poll with its results as the caller may see them, the API's index,
option label suggestions and the one error shape. What the calls take is in fields.py (the
strict JSON types), poll_inputs.py, vote_inputs.py and account_serializers.py; every rule about
the values is in the domain layer (polls/services/)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from polls import services
from polls.models import (
    NamesShownTo,
    Poll,
    ResultsVisibility,
    VoterMode,
    VoterNames,
    VotingMethod,
)
from polls.services.exports import ranked_summary

from .errors import ERROR_CODES
from .fields import UTCDateTimeField
from .ranked_serializers import RANKED_HELP, RankedResultsSerializer

# The serializer context's key that leaves `ranked` out (null): a list of polls, where a tally
# per poll would be a query per poll.
WITHOUT_RANKED = "without_ranked"

HIDDEN = "Null while the results are hidden from the caller (see `results_hidden_until`)."
RESULTS_HIDDEN_UNTIL = [
    (services.UNTIL_VOTE, "the caller's vote (or the close)"),
    (services.UNTIL_CLOSE, "the close"),
    (services.NEVER, "never: only the author and holders of polls.view_results see them"),
]


class OptionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    votes = serializers.IntegerField(allow_null=True, help_text=HIDDEN)
    percent = serializers.FloatField(
        allow_null=True,
        help_text="Share of the voters who chose this option, 0 to 100, one decimal (where a "
        f"ballot may choose several, the shares add up to more than 100). {HIDDEN}",
    )


class PollResultsSerializer(serializers.ModelSerializer):
    """Whether a poll is open and its results, as the caller (the request's user) may see them
    by the one visibility rule (polls.services.visibility): part of every Poll in the API, and
    on its own what the poll page's script polls for live results (polls:results)."""

    closes_at = UTCDateTimeField(read_only=True)
    closed_at = UTCDateTimeField(read_only=True, allow_null=True)
    is_open = serializers.SerializerMethodField()
    results_visibility = serializers.ChoiceField(
        choices=ResultsVisibility.choices,
        read_only=True,
        help_text="Who sees the counts, and when. The author and holders of the "
        "polls.view_results permission always do.",
    )
    results_hidden_until = serializers.SerializerMethodField()
    total_votes = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    ranked = serializers.SerializerMethodField()

    class Meta:
        model = Poll
        fields = [
            "is_open",
            "closes_at",
            "closed_at",
            "results_visibility",
            "results_hidden_until",
            "total_votes",
            "options",
            "ranked",
        ]
        read_only_fields = fields

    def _hidden_until(self, poll: Poll) -> str | None:
        if not hasattr(poll, "_api_hidden_until"):
            viewer = getattr(self.context.get("request"), "user", None)
            poll._api_hidden_until = services.results_hidden_until(
                poll=poll, viewer=viewer, voted=poll.voted_by_user()
            )
        return poll._api_hidden_until

    def _results(self, poll: Poll) -> services.PollResults:
        if not hasattr(poll, "_api_results"):
            hidden = self._hidden_until(poll) is not None
            poll._api_results = services.poll_results(poll=poll, hidden=hidden)
        return poll._api_results

    def _tally(self, poll: Poll) -> services.RankedTally | None:
        """A ranked poll's tally, once per poll: stored, cached, or one query (tallies.py)."""
        if not hasattr(poll, "_api_tally"):
            poll._api_tally = services.ranked_tally(poll=poll)
        return poll._api_tally

    def get_is_open(self, poll: Poll) -> bool:
        return poll.is_open()

    @extend_schema_field(
        serializers.ChoiceField(
            choices=RESULTS_HIDDEN_UNTIL,
            allow_null=True,
            help_text="Null when the caller sees the results; otherwise what they wait for: "
            '"vote" (their vote, or the close), "close", or "never".',
        )
    )
    def get_results_hidden_until(self, poll: Poll) -> str | None:
        return self._hidden_until(poll)

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text=HIDDEN))
    def get_total_votes(self, poll: Poll) -> int | None:
        return self._results(poll).total_votes

    @extend_schema_field(OptionResultSerializer(many=True))
    def get_options(self, poll: Poll):
        # What OptionResultSerializer describes, built directly: a nested serializer per poll
        # was a third of the list's time.
        return [
            {"id": o.id, "label": o.label, "votes": o.votes, "percent": o.percent}
            for o in self._results(poll).options
        ]

    @extend_schema_field(RankedResultsSerializer(allow_null=True, help_text=RANKED_HELP))
    def get_ranked(self, poll: Poll) -> dict | None:
        if not poll.is_ranked or self.context.get(WITHOUT_RANKED):
            return None
        if self._hidden_until(poll) is not None:
            return None
        return ranked_summary(self._tally(poll))


# The Outcome schema's `kind` enum (named in SPECTACULAR_SETTINGS).
OUTCOME_KINDS = [kind.value for kind in services.OutcomeKind]


class OutcomeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=OUTCOME_KINDS,
        help_text="`winner`, `tie` or `no_votes` (nobody voted).",
    )
    options = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The winner's option id, or every tied option's; empty when nobody voted. "
        "In a multiple-choice poll, the most chosen; in a ranked poll, the instant-runoff "
        "winner.",
    )


class PollSerializer(PollResultsSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="The public id.")
    url = serializers.HyperlinkedIdentityField(
        view_name="api:poll-detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    author = serializers.CharField(source="author.username", read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    my_vote = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    my_choices = serializers.SerializerMethodField()
    my_ranking = serializers.SerializerMethodField()
    # What a client needs to build a ballot.
    voting_method = serializers.ChoiceField(
        choices=VotingMethod.choices,
        read_only=True,
        help_text="`choice`: a ballot chooses options (`option` or `options`); `ranked`: it "
        "ranks them best first (`ranking`), and `ranked` holds the instant-runoff tally.",
    )
    rank_all = serializers.BooleanField(
        read_only=True, help_text="A ranked poll's ballot must rank every option."
    )
    min_choices = serializers.IntegerField(
        read_only=True, help_text="The fewest options a ballot chooses."
    )
    max_choices = serializers.IntegerField(
        read_only=True, help_text="The most options a ballot chooses (1: single choice)."
    )
    allow_vote_change = serializers.BooleanField(
        read_only=True,
        help_text="Whether voters may change (PUT) or retract (DELETE) their vote while the "
        "poll is open.",
    )
    voter_mode = serializers.ChoiceField(
        choices=VoterMode.choices,
        read_only=True,
        help_text="Who may vote: `account` (signed-in users), `browser` (one vote per browser, "
        "no account), `code` (invite codes), `open` (no check).",
    )
    public_ballots = serializers.BooleanField(
        read_only=True, help_text="Whether everyone who sees the results sees each ballot."
    )
    voter_names = serializers.ChoiceField(
        choices=VoterNames.choices,
        read_only=True,
        help_text="Whether a vote gives a `name`: `off`, `optional`, `required`.",
    )
    names_shown_to = serializers.ChoiceField(
        choices=NamesShownTo.choices,
        read_only=True,
        help_text="Who sees the names: `author`, `everyone`, `nobody`.",
    )
    ballot_order = serializers.SerializerMethodField(
        help_text="The option ids in the order to show this caller's ballot. `options` keep "
        "the author's order, also in a poll that shuffles its options; there each signed-in "
        "caller has an order of their own (the one the site shows them), the same on every "
        "read, and callers not signed in share one."
    )

    class Meta:
        model = Poll
        fields = [
            "id",
            "url",
            "title",
            "description",
            "author",
            "created_at",
            "closes_at",
            "closed_at",
            "is_open",
            "results_visibility",
            "results_hidden_until",
            "unlisted",
            "shuffle_options",
            "total_votes",
            "options",
            "ranked",
            "voting_method",
            "rank_all",
            "min_choices",
            "max_choices",
            "allow_vote_change",
            "voter_mode",
            "public_ballots",
            "voter_names",
            "names_shown_to",
            "ballot_order",
            "my_vote",
            "outcome",
            "my_choices",
            "my_ranking",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_ballot_order(self, poll: Poll) -> list[int]:
        request = self.context.get("request")
        key = services.viewer_order_key(user=getattr(request, "user", None))
        options = services.ballot_order(poll=poll, options=poll.options.all(), viewer_key=key)
        return [option.id for option in options]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_my_vote(self, poll: Poll) -> int | None:
        """The option the caller chose (prefetched by with_choice_of; their first choice where
        they chose several, their first preference in a ranked poll), or None."""
        if poll.is_ranked:
            return next(iter(poll.ranking_of_user()), None)
        return poll.choice_of_user()

    @extend_schema_field(
        OutcomeSerializer(
            allow_null=True,
            help_text="A closed poll's winner, tie or lack of votes; null while it is open or "
            "while its results are hidden from the caller.",
        )
    )
    def get_outcome(self, poll: Poll) -> dict | None:
        request = self.context.get("request")
        viewer = request.user if request else None
        if poll.is_open() or not services.results_visible(
            poll=poll, viewer=viewer, voted=poll.voted_by_user()
        ):
            return None
        outcome = services.poll_outcome(
            poll=poll, results=self._results(poll), tally=self._tally(poll)
        )
        return {"kind": outcome.kind.value, "options": outcome.option_ids}

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_my_choices(self, poll: Poll) -> list[int]:
        """Every option the caller chose, in the poll's option order ([] when none)."""
        return poll.choices_of_user()

    @extend_schema_field(
        serializers.ListField(
            child=serializers.IntegerField(),
            help_text="The caller's ranking in a ranked poll, option ids best first ([] when "
            "not voted, and in a poll that chooses).",
        )
    )
    def get_my_ranking(self, poll: Poll) -> list[int]:
        return poll.ranking_of_user() if poll.is_ranked else []


class ApiIndexSerializer(serializers.Serializer):
    schema = serializers.URLField(help_text="The OpenAPI schema (YAML; JSON with ?format=json).")
    docs = serializers.URLField(help_text="The schema as a page to read and try.")
    polls = serializers.URLField()
    options = serializers.URLField(help_text="Option labels used before, for autocomplete.")
    token = serializers.URLField(help_text="Log in for a token, or revoke it.")
    users = serializers.URLField(help_text="Sign up.")


class OptionLabelsSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField())


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    code = serializers.ChoiceField(
        choices=ERROR_CODES, help_text="What went wrong, as a stable word for programs."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field at fault (`non_field_errors` for the body as a whole).",
    )
