"""GET /api/polls/{id}/results/: a poll's results as an export, JSON or CSV (the pages' twins
are polls:export-json and polls:export-csv), with the same rule: services.poll_export."""

from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from polls import exports, services
from polls.models import Poll

from .ranked_serializers import RankedResultsSerializer
from .schema import VotrAutoSchema
from .serializers import ErrorSerializer, OutcomeSerializer


class ExportedPollSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The public id.")
    url = serializers.URLField(help_text="The poll's page.")
    question = serializers.CharField()
    description = serializers.CharField()
    author = serializers.CharField()
    status = serializers.CharField(help_text="open or closed.")
    created_at = serializers.DateTimeField(help_text="UTC, ISO 8601.")
    closes_at = serializers.DateTimeField(help_text="UTC, ISO 8601.")
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="When voting stopped (UTC, ISO 8601); null while open."
    )
    results_visibility = serializers.CharField(
        help_text="always, after_vote, after_close or author_only."
    )
    voting_method = serializers.CharField(help_text="choice or ranked.")
    rank_all = serializers.BooleanField(help_text="A ranked poll's ballots rank every option.")
    min_choices = serializers.IntegerField()
    max_choices = serializers.IntegerField()


class ExportedOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    votes = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Share of the voters, 0 to 100, one decimal.")
    winner = serializers.BooleanField(
        help_text="The winner, or one of the tied options, of a closed poll."
    )


class PollExportSerializer(serializers.Serializer):
    """What services.poll_export returns (documentation: the view answers that dict)."""

    poll = ExportedPollSerializer()
    options = ExportedOptionSerializer(many=True)
    total_voters = serializers.IntegerField(help_text="Ballots cast.")
    total_choices = serializers.IntegerField(
        help_text="Options marked on all ballots (more than the voters in a multiple-choice poll)."
    )
    outcome = OutcomeSerializer(allow_null=True, help_text="Null while the poll is open.")
    ranked = RankedResultsSerializer(
        allow_null=True,
        help_text="A ranked poll's tally, as in the API's polls; null for a poll that chooses.",
    )
    exported_at = serializers.DateTimeField(help_text="UTC, ISO 8601.")
    ballots = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        allow_null=True,
        required=False,
        help_text="A ranked poll's ballots, once it has closed: each a ranking (option ids "
        "best first) and nothing else, in a random order, for anyone to recount. Null while "
        "the poll is open; absent for a poll that chooses.",
    )
    ballots_note = serializers.CharField(
        required=False,
        help_text="A ranked poll's: why the ballots are published only once it has closed.",
    )


class ExportCSVRenderer(BaseRenderer):
    """The export as the CSV file the poll page offers (polls/exports.py)."""

    media_type = exports.CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return exports.export_csv(data)


class ExportSchema(VotrAutoSchema):
    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if str(status_code) >= "400":  # errors are JSON, whatever format was asked for
            media_types = [exports.JSON_MEDIA_TYPE]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)


class PollExportView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, ExportCSVRenderer]
    schema = ExportSchema()

    @extend_schema(
        operation_id="polls_results_export",
        summary="Export a poll's results",
        description="The poll, each option's votes, share of the voters and winner flag, the "
        "totals and the outcome, as JSON or as CSV (`?format=csv` or `Accept: text/csv`; a "
        "UTF-8 file with a byte order mark, every cell that a spreadsheet would run as a "
        "formula prefixed with `'`, and a file name from the question). No voter; no ballot, "
        "but for a ranked poll once it has closed: its tally (`ranked`) and its ballots, "
        "rankings alone in a random order (`ballots`, null while open), for anyone to "
        "recount (the CSV has a section per round and, after the close, a row per ballot). "
        "The poll's author and holders of `polls.view_results` may always export; anyone "
        "else when the poll's results are visible to them (403 otherwise, saying when they "
        "will be). Errors are JSON whatever the format.",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                required=False,
                description="The file's format (default json).",
            )
        ],
        responses={
            (200, exports.JSON_MEDIA_TYPE): PollExportSerializer,
            (200, exports.CSV_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="The export as CSV."
            ),
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request, public_id):
        poll = (
            Poll.objects.with_results()
            .with_choice_of(request.user)
            .filter(public_id=public_id)
            .first()
        )
        if poll is None:
            raise NotFound("There is no poll with that id.")
        export = services.poll_export(poll=poll, viewer=request.user, voted=poll.voted_by_user())
        response = Response(export)
        response.is_export = True
        extension = request.accepted_renderer.format
        response["Content-Disposition"] = exports.attachment_header(poll.title, extension)
        patch_cache_control(response, private=True, no_store=True)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Only the export itself is CSV: errors and OPTIONS answer JSON whatever was asked.
        if isinstance(response, Response) and not getattr(response, "is_export", False):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = exports.JSON_MEDIA_TYPE
        return response
