"""A poll's votes in the API: cast (POST), change (PUT) and retract (DELETE) the caller's vote,
at /api/polls/{id}/votes/. Mixed into PollViewSet, whose reads and answers they use.

Who the caller votes as is the poll's voter mode's to say (polls/services/voters.py): a token
or session user; the browser's voter cookie (a `browser` or `open` poll, without a token); the
invite code in the body. A call without a token from a browser (it sends cookies, or an
Origin) must pass the same CSRF and Origin check as the page's form, so that another site
cannot make its visitors vote, not even in an open poll where no cookie names them; a vote by
invite code carries its credential in the body and needs none. A program without cookies
(curl) votes in an open poll as it is."""

import dataclasses

from django.middleware.csrf import CsrfViewMiddleware
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import (
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from polls import services
from polls.voter_requests import request_voter

from .serializers import ErrorSerializer, PollSerializer
from .vote_inputs import (
    BALLOT_FIELDS,
    CHOICES_EXPECTED,
    CODE_PARAMETER_HELP,
    RANKING_EXPECTED,
    RANKING_NOT_EXPECTED,
    VoteInput,
    VoteRetractInput,
)

NO_POLL = "There is no poll with that id."
# Each ballot field's vote_cast/vote_change argument.
BALLOT_ARGUMENTS = {"option": "option_id", "options": "option_ids", "ranking": "ranking"}
# A ballot of the wrong kind: what to send instead, in the API's words.
WHAT_TO_SEND = {
    services.ChoicesExpected: CHOICES_EXPECTED,
    services.RankingExpected: RANKING_EXPECTED,
    services.RankingNotExpected: RANKING_NOT_EXPECTED,
}
MODES = (
    "Who may vote is the poll's `voter_mode`: `account` (a token or a session), `browser` (no "
    "token: the browser's voter cookie, given by the poll's page, with the CSRF token and a "
    "same-site Origin, and the solved anti-spam challenge in `altcha`), `code` (the invite "
    "`code` in the body) or `open` (anyone; `altcha` without a token; a call from a browser "
    "passes the same CSRF and Origin check). Votes without an account count against the "
    "`anon_votes` rate too. "
)


CODE_QUERY = OpenApiParameter(
    "code", {"type": "string", "maxLength": 100}, required=False, description=CODE_PARAMETER_HELP
)


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def enforce_csrf(request) -> None:
    """The page's CSRF and Origin check, for a call that votes by the browser's cookies."""
    check = _CsrfCheck(lambda request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise PermissionDenied(f"CSRF failed: {reason}")


class VoteActionsMixin:
    @extend_schema(
        request=VoteInput,
        responses={
            201: PollSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Vote in a poll",
        description="Cast the caller's vote, once per poll and only while the poll is open: "
        '`{"option": id}` in a single-choice poll, or `{"options": [id, …]}` in any poll that '
        "chooses, from `min_choices` to `max_choices` distinct options of it; in a ranked poll "
        '(`voting_method` `ranked`), `{"ranking": [id, …]}`, distinct options best first (all '
        "of them where `rank_all`). "
        + MODES
        + "Answers with the poll and its results, and the poll's address in Location. "
        "`409 already_voted` when the caller has voted (PUT changes a vote where the poll "
        "allows it); `400` naming the field for choices the poll does not take: "
        "`too_few_choices`, `too_many_choices`, `duplicate_choice`, `option_not_in_poll`, "
        "`choices_expected` for `option` in a poll that takes several, `ranking_expected` for "
        "choices sent to a ranked poll, `ranking_not_expected` for a ranking sent to one that "
        "chooses, `rank_repeated` for an option ranked twice, `rank_all_required` for a "
        "ranking that leaves options out where `rank_all`, `too_few_choices` for an empty "
        "one; `400` on `name` "
        "(`name_required`, `invalid_name`) and on `altcha` (`challenge_failed`); `401` in an "
        "`account` poll without a token; `403` for an invite code that is missing, unknown, "
        "used or withdrawn (`invite_code_needed`, `invite_code_invalid`, `invite_code_used`, "
        "`invite_code_revoked`) or a browser the cookie does not name (`browser_not_known`).",
    )
    @action(detail=True, methods=["post"], url_path="votes", permission_classes=[AllowAny])
    def votes(self, request, public_id):
        ballot = self._ballot(services.vote_cast)
        return self._answer(ballot.poll, status.HTTP_201_CREATED, reread=False)

    @extend_schema(
        request=VoteInput,
        responses={
            200: PollSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Change a vote",
        description="Replace the caller's choices or ranking (the body of a vote) while the poll "
        "is open, if it allows vote changes (`allow_vote_change`): the counts follow exactly, "
        "the total stays, and the vote counts as cast now. The caller is found as for a vote: "
        "the same account, browser or invite `code`. Answers with the poll. "
        "`409 vote_change_not_allowed`, `poll_closed` or `not_voted`; `400` as for a vote.",
    )
    @votes.mapping.put
    def vote_change(self, request, public_id):
        ballot = self._ballot(services.vote_change)
        # The poll as the ballot's holder sees it, whether the code came in the body or not.
        poll = self.get_object(self.get_queryset(identities=(ballot.identity,)))
        return Response(self.get_serializer(poll).data)

    @extend_schema(
        request=VoteRetractInput,
        parameters=[CODE_QUERY],
        responses={
            204: None,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Retract a vote",
        description="Take the caller's vote back while the poll is open, if it allows vote "
        "changes: it comes off every count, and the caller may vote again (an invite code, "
        "given as `?code=` or `code` in the body, is unused again). The caller is found as "
        "for a vote. `409 vote_change_not_allowed`, `poll_closed` or `not_voted`; `401` and "
        "`403` as for a vote.",
    )
    @votes.mapping.delete
    def vote_retract(self, request, public_id):
        code = self._input(VoteRetractInput).get("code", request.query_params.get("code"))
        voter = self._voter(code=code)
        try:
            services.vote_retract(poll=public_id, voter=voter)
        except services.PollNotFound:
            raise NotFound(NO_POLL) from None
        except services.VoteRefused as refused:
            raise self._refusal(refused) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _voter(self, *, code=None, **named) -> services.Voter:
        """Who the caller votes as. A call that sends an invite code is not CSRF-checked (the
        code is its credential), so it never votes by the browser's cookie; any other call from
        a browser without a token or a session (DRF's SessionAuthentication checks those)
        passes the page's CSRF and Origin check."""
        request = self.request
        voter = request_voter(request, code=code, **named)
        if code is not None:
            return dataclasses.replace(voter, browser=None)
        if request.auth is None and not request.user.is_authenticated:
            if request.COOKIES or "HTTP_ORIGIN" in request.META:
                enforce_csrf(request._request)
        return voter

    def _ballot(self, service):
        """vote_cast or vote_change with the caller's ballot (VoteInput). Choices the poll does
        not take are a 400 naming the field that was sent."""
        data = self._input(VoteInput)
        field = next(field for field in BALLOT_FIELDS if field in data)
        choices = {BALLOT_ARGUMENTS[field]: data[field]}
        voter = self._voter(
            code=data.get("code"),
            name=data.get("name"),
            hide_name=data.get("hide_name", False),
        )
        extra = {"challenge": data.get("altcha")} if service is services.vote_cast else {}
        try:
            return service(poll=self.kwargs["public_id"], voter=voter, **choices, **extra)
        except services.PollNotFound:
            raise NotFound(NO_POLL) from None
        except services.ChoicesRefused as refused:
            message = WHAT_TO_SEND.get(type(refused), refused.message)
            raise ValidationError({field: [message]}, code=refused.code) from None
        except services.VoteRefused as refused:
            raise self._refusal(refused) from None

    @staticmethod
    def _refusal(refused: services.VoteRefused):
        """The API error of a refusal about who is voting (the rest are 409s)."""
        if isinstance(refused, services.SignInToVote):
            return NotAuthenticated(refused.message)
        if isinstance(refused, services.NameRefused):
            return ValidationError({"name": [refused.message]}, code=refused.code)
        if isinstance(refused, services.ChallengeFailed):
            return ValidationError({"altcha": [refused.message]}, code=refused.code)
        if isinstance(refused, services.InviteCodeNeeded | services.InviteCodeRefused):
            return PermissionDenied(refused.message, code=refused.code)
        if isinstance(refused, services.BrowserNotKnown):
            return PermissionDenied(refused.message, code=refused.code)
        return refused
