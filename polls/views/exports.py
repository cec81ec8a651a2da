"""A poll's results to download, as CSV and as JSON (the API's twin is
/api/polls/{id}/results/)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers

from .. import exports, services
from ..models import Poll
from .common import _poll_or_404


def _export_response(request, public_id: str, *, extension: str, media_type: str, render_body):
    poll = _poll_or_404(public_id, Poll.objects.with_results().with_choice_of(request.user))
    try:
        export = services.poll_export(poll=poll, viewer=request.user, voted=poll.voted_by_user())
    except services.NotAllowed as refused:
        return render(request, "403.html", {"message": refused.message}, status=403)
    response = HttpResponse(render_body(export), content_type=f"{media_type}; charset=utf-8")
    response["Content-Disposition"] = exports.attachment_header(poll.title, extension)
    # What an export holds depends on who asks, and it is a snapshot: never kept.
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ("Cookie",))
    return response


def poll_results_csv(request, public_id):
    return _export_response(
        request,
        public_id,
        extension="csv",
        media_type=exports.CSV_MEDIA_TYPE,
        render_body=exports.export_csv,
    )


def poll_export_json(request, public_id):
    return _export_response(
        request,
        public_id,
        extension="json",
        media_type=exports.JSON_MEDIA_TYPE,
        render_body=exports.export_json,
    )
