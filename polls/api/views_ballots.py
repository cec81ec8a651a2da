"""A poll's who-voted list in the API: GET /api/polls/{id}/ballots/. Mixed into PollViewSet.
What the list holds, and who sees it, is services.ballot_list's rule."""

from django.utils.cache import patch_cache_control
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from polls import services
from polls.models import Poll
from polls.voter_requests import viewer_identities

from .ballot_serializers import BallotListSerializer
from .errors import NOT_ALLOWED
from .serializers import ErrorSerializer
from .vote_inputs import CODE_PARAMETER_HELP

NO_BALLOT_LIST = (
    "This poll lists no ballots to you: its ballots are secret and no voter names are shown to you."
)
BALLOTS_HIDDEN = {
    services.UNTIL_VOTE: "You can see this poll's ballots once you have voted in it.",
    services.UNTIL_CLOSE: "You can see this poll's ballots once it has closed.",
    services.NEVER: "Only the poll's author can see this poll's ballots.",
}


class BallotListMixin:
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "code",
                {"type": "string", "maxLength": 100},
                required=False,
                description=f"{CODE_PARAMETER_HELP} Its ballot counts as the caller's vote "
                "where the results show after a vote.",
            )
        ],
        responses={200: BallotListSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        summary="List who voted",
        description="Who voted, where the poll asks for names and shows them to the caller "
        "(`names_shown_to`: the author, everyone or nobody), and each ballot with its choices "
        "where the author made the ballots public (`public_ballots`; named where names are "
        "shown to the caller). Secret ballots never show their choices, to anyone. In "
        "alphabetical order, never the order of casting, and only to a caller who may see "
        "the results (its length is the count): `403 not_allowed` saying when they will, "
        "`404` for a poll whose ballots are secret and whose names the caller does not see.",
    )
    @action(detail=True, methods=["get"], url_path="ballots", permission_classes=[AllowAny])
    def ballots(self, request, public_id):
        viewer = request.user
        identities = viewer_identities(request, code=request.query_params.get("code"))
        poll = self.get_object(Poll.objects.with_choice_of(viewer, identities=identities))
        voted = poll.voted_by_user()
        listing = services.ballot_list(poll=poll, viewer=viewer, voted=voted)
        if listing is None:
            if not (poll.public_ballots or services.names_shown(poll=poll, viewer=viewer)):
                raise NotFound(NO_BALLOT_LIST)
            hidden = services.results_hidden_until(poll=poll, viewer=viewer, voted=voted)
            raise PermissionDenied(BALLOTS_HIDDEN.get(hidden, NO_BALLOT_LIST), code=NOT_ALLOWED)
        response = Response(BallotListSerializer(listing).data)
        patch_cache_control(response, private=True, no_cache=True)
        return response
