"""What the API says of a ranked poll's tally, `ranked` in every poll and in results.json: the
schema of services.exports.ranked_summary's dict, which the answers hold as it is (the poll page's
live script reads that shape too)."""

from rest_framework import serializers

from polls import services

TIE_BROKEN_BY = [("earlier round", "earlier round"), ("draw", "draw")]


class RankedCountSerializer(serializers.Serializer):
    option = serializers.IntegerField(help_text="An option id.")
    ballots = serializers.IntegerField()


class RankedTransferSerializer(serializers.Serializer):
    option = serializers.IntegerField(
        allow_null=True, help_text="The option the ballots moved to; null: they were exhausted."
    )
    ballots = serializers.IntegerField()


class RankedRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1 for the first round.")
    counts = RankedCountSerializer(
        many=True,
        help_text="Each option still in the count and its ballots, in the author's order.",
    )
    continuing = serializers.IntegerField(help_text="Ballots counted for an option this round.")
    exhausted = serializers.IntegerField(
        help_text="Ballots exhausted so far: every option they rank is out of the count."
    )
    eliminated = serializers.IntegerField(
        allow_null=True,
        help_text="The option eliminated at the end of the round; null in the last round.",
    )
    tie_broken_by = serializers.ChoiceField(
        choices=TIE_BROKEN_BY,
        allow_null=True,
        help_text="How the eliminated option was chosen among those tied for the fewest "
        "ballots (see `tie_rule`); null when it was not tied.",
    )
    transfers = RankedTransferSerializer(
        many=True,
        help_text="Where the eliminated option's ballots went: to each option still in the "
        "count, in the author's order, then to exhausted (`option` null).",
    )


class PairwiseSerializer(serializers.Serializer):
    option = serializers.IntegerField()
    against = serializers.IntegerField()
    ballots = serializers.IntegerField(
        help_text="Ballots ranking `option` above `against` (a ranked option is above every "
        "unranked one)."
    )


class RankedResultsSerializer(serializers.Serializer):
    ballots = serializers.IntegerField(help_text="Ballots counted.")
    winners = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The instant-runoff winner; several tied options; empty without ballots. "
        "Standing results while the poll is open.",
    )
    is_tie = serializers.BooleanField()
    tie_rule = serializers.CharField(help_text=f"Always: “{services.TIE_RULE}”")
    rounds = RankedRoundSerializer(many=True, help_text="Instant-runoff, round by round.")
    pairwise = PairwiseSerializer(
        many=True, help_text="The pairwise matrix: every ordered pair of two options."
    )
    condorcet_winner = serializers.IntegerField(
        allow_null=True,
        help_text="The option that beats every other head to head, if there is one.",
    )
    schulze = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The Schulze ranking, best first: groups of option ids, several in a group "
        "where they tie.",
    )


RANKED_HELP = (
    "A ranked poll's tally (instant-runoff round by round, the pairwise matrix, the Condorcet "
    "winner and the Schulze ranking). Null for a poll that chooses, while the results are "
    "hidden from the caller (see `results_hidden_until`), and in lists of polls (read the poll)."
)
