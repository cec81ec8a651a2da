"""A poll's votes in the API: cast (POST), change (PUT) and retract (DELETE) the caller's vote,
at /api/polls/{id}/votes/. Mixed into PollViewSet, whose reads and answers they use."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from polls import services

from .serializers import CHOICES_EXPECTED, ErrorSerializer, PollSerializer, VoteInput

NO_POLL = "There is no poll with that id."


class VoteActionsMixin:
    @extend_schema(
        request=VoteInput,
        responses={201: PollSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        summary="Vote in a poll",
        description="Cast the caller's vote, once per poll and only while the poll is open: "
        '`{"option": id}` in a single-choice poll, or `{"options": [id, …]}` in any poll, '
        "from `min_choices` to `max_choices` distinct options of it. Answers with the poll and "
        "its results, and the poll's address in Location. `409 already_voted` when the caller "
        "has voted (PUT changes a vote where the poll allows it); `400` naming the field for "
        "choices the poll does not take: `too_few_choices`, `too_many_choices`, "
        "`duplicate_choice`, `option_not_in_poll`, or `choices_expected` for `option` in a "
        "poll that takes several.",
    )
    @action(detail=True, methods=["post"], url_path="votes", permission_classes=[IsAuthenticated])
    def votes(self, request, public_id):
        ballot = self._ballot(services.vote_cast)
        return self._answer(ballot.poll, status.HTTP_201_CREATED, reread=False)

    @extend_schema(
        request=VoteInput,
        responses={200: PollSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        summary="Change a vote",
        description="Replace the caller's choices (the body of a vote) while the poll is open, "
        "if it allows vote changes (`allow_vote_change`): the counts follow exactly, the total "
        "stays, and the vote counts as cast now. Answers with the poll. "
        "`409 vote_change_not_allowed`, `poll_closed` or `not_voted`; `400` as for a vote.",
    )
    @votes.mapping.put
    def vote_change(self, request, public_id):
        self._ballot(services.vote_change)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=None,
        responses={204: None, 409: ErrorSerializer},
        summary="Retract a vote",
        description="Take the caller's vote back while the poll is open, if it allows vote "
        "changes: it comes off every count, and the caller may vote again. "
        "`409 vote_change_not_allowed`, `poll_closed` or `not_voted`.",
    )
    @votes.mapping.delete
    def vote_retract(self, request, public_id):
        try:
            services.vote_retract(poll=public_id, voter=request.user)
        except services.PollNotFound:
            raise NotFound(NO_POLL) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _ballot(self, service):
        """vote_cast or vote_change with the caller's ballot (VoteInput). Choices the poll does
        not take are a 400 naming the field that was sent."""
        data = self._input(VoteInput)
        if "option" in data:
            field, choices = "option", {"option_id": data["option"]}
        else:
            field, choices = "options", {"option_ids": data["options"]}
        try:
            return service(poll=self.kwargs["public_id"], voter=self.request.user, **choices)
        except services.PollNotFound:
            raise NotFound(NO_POLL) from None
        except services.ChoicesRefused as refused:
            expected = isinstance(refused, services.ChoicesExpected)
            message = CHOICES_EXPECTED if expected else refused.message
            raise ValidationError({field: [message]}, code=refused.code) from None
