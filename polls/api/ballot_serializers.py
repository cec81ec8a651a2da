"""What GET /api/polls/{id}/ballots/ answers: the who-voted list of services.ballot_list (names
where they are shown to the caller, and each ballot's choices where the ballots are public)."""

from rest_framework import serializers

from polls.services.ballot_lists import MAX_LISTED


class ListedBallotSerializer(serializers.Serializer):
    name = serializers.CharField(
        help_text='The name the voter gave; "" where they gave none or where names are not '
        "shown to the caller."
    )
    choices = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The labels of the options chosen (in rank order where the poll ranks "
        "them); null where the ballots are secret.",
    )


class BallotListSerializer(serializers.Serializer):
    with_names = serializers.BooleanField(help_text="Whether the caller sees the voters' names.")
    with_choices = serializers.BooleanField(
        help_text="Whether the ballots are public: each is listed with its choices."
    )
    total = serializers.IntegerField(help_text="How many ballots the poll holds.")
    more = serializers.IntegerField(
        help_text=f"How many of them are not listed: the list holds {MAX_LISTED} at most."
    )
    ballots = ListedBallotSerializer(
        many=True,
        help_text="In alphabetical order of the names (those without one last), never in the "
        "order the ballots were cast.",
    )
