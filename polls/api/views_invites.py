"""A code poll's invite codes in the API, for its author and holders of polls.change_poll: list
them (GET /api/polls/{id}/invites/) with their links and whether each is used, never when;
generate more (POST, the same address); withdraw unused ones (POST …/invites/revoke/). Mixed
into PollViewSet; every rule is services.invites'."""

from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from polls import services, sharing
from polls.models import Poll
from polls.services.invites import NOT_CODE_POLL

from .invite_serializers import (
    InviteCodeListSerializer,
    InviteCodesCreateInput,
    InviteCodeSerializer,
    InviteCodesRevokedSerializer,
    InviteCodesRevokeInput,
)
from .serializers import ErrorSerializer

WHO = (
    "The poll's author, or a holder of `polls.change_poll`: `401` without a token, `403 "
    "not_allowed` for anyone else; `404` for a poll that does not take votes by invite code. "
)
REFUSALS = {
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


class InviteCodesMixin:
    @extend_schema(
        responses={200: InviteCodeListSerializer, **REFUSALS},
        summary="List a poll's invite codes",
        description="Every invite code of the poll, by number, with the link that votes with "
        "it and whether it is `unused`, `used` or `revoked` — never when it was used, so that "
        "no code can be matched to a change in the live results; and how many are in each "
        "state. " + WHO + "Answers are `Cache-Control: private, no-store`: the codes are "
        "credentials.",
    )
    @action(detail=True, methods=["get"], url_path="invites", permission_classes=[IsAuthenticated])
    def invites(self, request, public_id):
        poll = self._code_poll()
        codes = self._invite_codes(services.invite_codes_of, poll=poll)
        listing = {"counts": services.invite_code_counts(poll=poll), "codes": codes}
        return self._codes_answer(InviteCodeListSerializer(listing, context=self._link(poll)))

    @extend_schema(
        request=InviteCodesCreateInput,
        responses={201: InviteCodeSerializer(many=True), 400: ErrorSerializer, **REFUSALS},
        summary="Generate invite codes",
        description=f"`count` new codes (1 to {services.MAX_CODES_AT_ONCE} at a time, "
        f"{services.MAX_CODES_PER_POLL} per poll), numbered after the last; answers with "
        "them. `400` on `count` otherwise. " + WHO,
    )
    @invites.mapping.post
    def invites_create(self, request, public_id):
        count = self._input(InviteCodesCreateInput)["count"]
        poll = self._code_poll()
        made = self._invite_codes(services.invite_codes_create, poll=poll, count=count)
        serializer = InviteCodeSerializer(made, many=True, context=self._link(poll))
        return self._codes_answer(serializer, status.HTTP_201_CREATED)

    @extend_schema(
        request=InviteCodesRevokeInput,
        responses={200: InviteCodesRevokedSerializer, 400: ErrorSerializer, **REFUSALS},
        summary="Withdraw invite codes",
        description="Withdraw the unused codes with these `numbers`: they no longer cast a "
        "ballot. Used codes keep their ballot and are left as they are, as are numbers the "
        "poll has no code for; answers how many were withdrawn. " + WHO,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="invites/revoke",
        permission_classes=[IsAuthenticated],
    )
    def invites_revoke(self, request, public_id):
        numbers = self._input(InviteCodesRevokeInput)["numbers"]
        poll = self._code_poll()
        revoked = self._invite_codes(services.invite_codes_revoke, poll=poll, numbers=numbers)
        return Response(InviteCodesRevokedSerializer({"revoked": revoked}).data)

    def _code_poll(self) -> Poll:
        """The poll, with only what the invite code services and its link need."""
        return self.get_object(Poll.objects.only("id", "public_id", "author_id", "voter_mode"))

    def _link(self, poll: Poll) -> dict:
        return {"poll_link": sharing.poll_link(self.request, poll)}

    def _invite_codes(self, service, **arguments):
        """The service's answer for the caller; a poll without invite codes is a 404, any
        other refusal a 400 on `count` (NotAllowed is the error handler's 403)."""
        try:
            return service(by=self.request.user, **arguments)
        except services.InviteCodesRefused as refused:
            if refused.message == NOT_CODE_POLL:
                raise NotFound(NOT_CODE_POLL) from None
            raise ValidationError({"count": [refused.message]}) from None

    @staticmethod
    def _codes_answer(serializer, status_code=status.HTTP_200_OK) -> Response:
        response = Response(serializer.data, status=status_code)
        patch_cache_control(response, private=True, no_store=True)
        return response
