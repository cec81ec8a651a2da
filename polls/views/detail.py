"""A poll's page and the live results its script polls."""

from django.http import JsonResponse
from django.utils import timezone
from django.views import generic

from .. import live, services
from ..api.serializers import PollResultsSerializer
from ..models import Poll
from .ballot_order import BallotOrderMixin


class PollDetailView(BallotOrderMixin, generic.DetailView):
    """The poll's permalink. A slug after the id is decoration: only the id finds the poll."""

    template_name = "polls/detail.html"
    slug_field = slug_url_kwarg = "public_id"

    def get_queryset(self):
        return Poll.objects.with_results().with_choice_of(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        poll = self.object
        user = self.request.user
        voted_for = poll.choice_of_user()
        results = services.poll_results(poll=poll)
        is_open = poll.is_open()
        context.update(
            results=results,
            is_open=is_open,
            voted_for=next((o for o in results.options if o.id == voted_for), None),
            show_results=voted_for is not None or not is_open,
            is_author=user.is_authenticated and user.pk == poll.author_id,
            share_url=self.request.build_absolute_uri(poll.get_absolute_url()),
            vote_options=self.ballot_options(poll),
        )
        return context


def poll_results_json(request, public_id):
    """What the poll page polls every few seconds to show new votes without a reload. A poll
    unchanged since the ETag the browser sends answers 304 for one query (polls/live.py)."""
    now = timezone.now()
    if unchanged := live.not_modified(request, public_id=public_id, viewer=request.user, now=now):
        return unchanged
    try:
        poll = Poll.objects.with_results().get(public_id=public_id)
    except Poll.DoesNotExist:
        missing = JsonResponse({"detail": "There is no poll with that address."}, status=404)
        return live.revalidated(missing)
    response = JsonResponse(PollResultsSerializer(poll).data)
    return live.answered(response, poll=poll, viewer=request.user, now=now)
