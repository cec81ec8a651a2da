"""API views: each write validates an input serializer, calls polls/services.py, and answers
with an output serializer. Reads use the Poll queryset methods; errors become the one error
shape in polls/api/errors.py. The API's own pages (index, docs, the JSON 404) are in
views_site.py."""

from django.contrib.auth import authenticate
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as accounts
from polls import live, services
from polls.models import LABEL_SUGGESTIONS, PUBLIC_ID_PATTERN, Option, Poll
from polls.search import SEARCH_MAX_LENGTH, SearchTextRefused, search_text
from polls.voter_requests import viewer_identities

from .account_serializers import (
    SIGN_UP_ACCEPTED,
    SignUpAcceptedSerializer,
    SignUpInput,
    TokenInput,
    TokenSerializer,
)
from .errors import NON_FIELD, LockedOut
from .filters import DEFAULT_ORDERING, PollFilterSet
from .poll_inputs import PollCreateInput, PollEditInput
from .serializers import WITHOUT_RANKED, ErrorSerializer, OptionLabelsSerializer, PollSerializer
from .throttles import AnonymousVoteThrottle, PollCreateThrottle, SignUpThrottle, VoteThrottle
from .views_ballots import BallotListMixin
from .views_invites import InviteCodesMixin
from .views_votes import CODE_QUERY, VoteActionsMixin


class InvalidCredentials(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Unable to log in with that username and password."
    default_code = "invalid_credentials"


@extend_schema_view(
    list=extend_schema(
        summary="List polls",
        description="Polls, newest first, 20 to a page (`page_size` up to 100). Filter by "
        "status, author or text in the title; order by creation, closing time or total votes. "
        "A ranked poll's `ranked` is null here (read the poll for its rounds and matrix), so "
        "that a page of polls costs no tally per poll.",
    ),
    retrieve=extend_schema(
        summary="Read a poll",
        description="The poll with its options, their votes and shares, and the caller's own "
        "vote (`my_vote` and `my_choices`: null and [] when not voted): their account's, their "
        "browser's (by its voter cookie) or their invite code's (`?code=`). The "
        "answer carries an `ETag` "
        "(for this caller, at this moment): sent back in `If-None-Match`, it gets a `304 Not "
        "Modified` with no body while nothing the answer shows has changed, a cheap way to "
        "poll for new votes. `Cache-Control: private, no-cache`.",
        parameters=[CODE_QUERY],
        responses={200: PollSerializer, 304: None},
    ),
)
class PollViewSet(
    VoteActionsMixin,
    BallotListMixin,
    InviteCodesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Polls: list, create, read, change, delete; vote in one; close one; its who-voted list
    and invite codes."""

    serializer_class = PollSerializer
    lookup_field = "public_id"
    lookup_value_regex = PUBLIC_ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_class = PollFilterSet
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self, identities: tuple[str, ...] | None = None):
        """Polls with their results and the caller's ballot: the signed-in user's, and the
        ballot `identities` they hold (by default their browser's and the `?code=` sent)."""
        if identities is None:
            code = self.request.query_params.get("code")
            identities = viewer_identities(self.request, code=code)
        # Explicit: Meta.ordering does not apply to a GROUP BY (total votes) query.
        queryset = Poll.objects.with_results().with_choice_of(
            self.request.user, identities=identities
        )
        return queryset.order_by(*DEFAULT_ORDERING)

    def get_serializer_context(self):
        return super().get_serializer_context() | {WITHOUT_RANKED: self.action == "list"}

    def get_throttles(self):
        votes = (VoteThrottle, AnonymousVoteThrottle)
        extra = {
            "create": (PollCreateThrottle,),
            "votes": votes,
            "vote_change": votes,
            "vote_retract": votes,
        }.get(self.action, ())
        return super().get_throttles() + [throttle() for throttle in extra]

    def get_object(self, queryset=None):
        queryset = self.get_queryset() if queryset is None else queryset
        poll = queryset.filter(public_id=self.kwargs["public_id"]).first()
        if poll is None:
            raise NotFound("There is no poll with that id.")
        return poll

    def retrieve(self, request, public_id):
        # After authentication and the throttles (DRF's initial()), so a 304 is counted too.
        identities = viewer_identities(request, code=request.query_params.get("code"))
        mine = {"viewer": request.user, "now": timezone.now(), "identities": identities}
        if unchanged := live.not_modified(request, public_id=public_id, **mine):
            return unchanged
        poll = self.get_object()
        response = Response(self.get_serializer(poll).data)
        return live.answered(response, poll=poll, **mine)

    def _target(self) -> Poll:
        """The poll a write acts on: only what the services need, in one query."""
        return self.get_object(Poll.objects.only("id", "public_id", "author_id", "closes_at"))

    def _answer(self, poll: Poll, status_code=status.HTTP_200_OK, *, reread=True) -> Response:
        """The poll as it is now, as the caller sees it: read again, unless `poll` is already
        what the service left (a vote answers with the poll its own statements returned)."""
        data = self.get_serializer(self.get_queryset().get(pk=poll.pk) if reread else poll).data
        # str(): the serializer's Hyperlink is a str subclass, which WSGI servers may refuse.
        created = status_code == status.HTTP_201_CREATED
        headers = {"Location": str(data["url"])} if created else None
        return Response(data, status=status_code, headers=headers)

    @extend_schema(
        request=PollCreateInput,
        responses={201: PollSerializer},
        summary="Create a poll",
        description="Ask a question with 2 to 20 options, open until `closes_at` (default: "
        "24 hours from now), with its settings (each optional: a single-choice poll whose "
        "results show after voting). Answers with the poll; Location holds its address.",
    )
    def create(self, request):
        data = self._input(PollCreateInput)
        poll = services.poll_create(
            author=request.user,
            title=data.pop("title"),
            option_labels=data.pop("options"),
            **data,
        )
        return self._answer(poll, status.HTTP_201_CREATED)

    @extend_schema(
        request=PollEditInput,
        responses={200: PollSerializer},
        summary="Change a poll",
        description="Change any of the fields given: its author, or anyone holding the "
        "`polls.change_poll` permission. Before the first vote anything may change; after it, "
        "the question, the options, the voting method (`voting_method`, `rank_all`) and the "
        "choice limits are fixed (a value equal to the "
        "current one is no change), while the description, closing time, results visibility, "
        "unlisted, shuffle and vote changes stay editable. A new closing time opens a closed "
        "poll again. All or nothing; the body is a JSON object, `{}` changes nothing.",
    )
    def partial_update(self, request, public_id):
        if request.stream is None:  # no body at all: the schema requires one, `{}` at least
            raise ValidationError(
                {NON_FIELD: ["Send a JSON object with the fields to change ({} changes nothing)."]}
            )
        changes = self._input(PollEditInput)
        if "options" in changes:
            name, value = changes.pop("options")
            changes[name] = value
        poll = self._target()
        services.poll_edit(poll=poll, by=request.user, **changes)
        return self._answer(poll)

    @extend_schema(
        responses={204: None},
        summary="Delete a poll",
        description="Delete the poll and its votes: its author while nobody has voted, or "
        "anyone holding the `polls.delete_poll` permission.",
    )
    def destroy(self, request, public_id):
        services.poll_delete(poll=self._target(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: PollSerializer},
        summary="Close a poll",
        description="Close the poll now: its author, or anyone holding the `polls.change_poll` "
        "permission. Closing a closed poll is a no-op.",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def close(self, request, public_id):
        poll = self._target()
        services.poll_close(poll=poll, by=request.user)
        return self._answer(poll)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class TokenView(APIView):
    """Log in for a token (POST), or revoke the caller's token (DELETE)."""

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    @extend_schema(
        request=TokenInput,
        responses={200: TokenSerializer},
        summary="Log in for a token",
        description="The caller's token for a username and password (the same token until it "
        "is revoked or the password changes). Repeated failures lock the login out for a while.",
    )
    def post(self, request):
        serializer = TokenInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The request goes along so that django-axes counts failures and locks out guessing.
        user = authenticate(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise LockedOut
        if user is None:
            raise InvalidCredentials
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Revoke the token",
        description="Log out: the caller's token stops working; log in again for a new one.",
    )
    def delete(self, request):
        if isinstance(request.auth, Token):
            request.auth.delete()
        else:
            Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignUpView(APIView):
    permission_classes = [AllowAny]

    def get_throttles(self):
        return [*super().get_throttles(), SignUpThrottle()]

    @extend_schema(
        request=SignUpInput,
        responses={202: SignUpAcceptedSerializer, 400: ErrorSerializer},
        summary="Sign up",
        description="Sign up. The answer is the same whether or not the address has an "
        "account: a new address is emailed a link that activates the account (then log in "
        "for a token), an address with an account is emailed a notice.",
    )
    def post(self, request):
        serializer = SignUpInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts.user_signup(**serializer.validated_data)
        return Response(
            SignUpAcceptedSerializer({"detail": SIGN_UP_ACCEPTED}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class OptionLabelsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                {"type": "string", "maxLength": SEARCH_MAX_LENGTH},
                description="Text the label contains (any case).",
                required=False,
            )
        ],
        responses={200: OptionLabelsSerializer},
        summary="Suggest option labels",
        description=f"Up to {LABEL_SUGGESTIONS} option labels used before, those starting with "
        "the search first, then the most used, "
        "one spelling per label ignoring case (for autocomplete).",
    )
    def get(self, request):
        try:
            search = search_text(request.query_params.get("search", ""))
        except SearchTextRefused as refused:
            raise ValidationError({"search": [refused.message]}) from None
        labels = Option.objects.label_suggestions(search=search)
        return Response(OptionLabelsSerializer({"labels": labels}).data)
