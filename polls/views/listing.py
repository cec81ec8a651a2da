"""Lists of polls: home (open polls, then the latest closed), My polls, and the option-label
suggestions."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.utils.functional import cached_property

from ..api.serializers import OptionLabelsSerializer
from ..models import Option, Poll
from ..voter_requests import viewer_identities
from .common import UncountedListView, _search

RECENTLY_CLOSED_SHOWN = 6


class PollListView(UncountedListView):
    """Home: open polls newest first, then the latest closed ones; `q` searches titles."""

    template_name = "polls/index.html"
    context_object_name = "polls"
    paginate_by = 10

    @cached_property
    def search(self) -> str:
        return _search(self.request, tell=True)

    def get_queryset(self):
        # The viewer's ballots: whether an after-vote poll's count is theirs to see. The closed
        # polls need none (voting no longer decides what anyone sees).
        polls = Poll.objects.listed().open().search(self.search).for_listing()
        return polls.with_choice_of(self.request.user, identities=viewer_identities(self.request))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        closed = Poll.objects.listed().search(self.search).for_listing().recently_closed()
        context["recently_closed"] = closed[:RECENTLY_CLOSED_SHOWN]
        context["query"] = self.search
        return context


def option_labels_json(request):
    """Option labels used before on the site that contain `q` (autocomplete), as the API's
    /api/options/ answers them."""
    query = _search(request, tell=False)
    labels = Option.objects.label_suggestions(search=query) if query else []
    return JsonResponse(OptionLabelsSerializer({"labels": labels}).data)


class MyPollsView(LoginRequiredMixin, UncountedListView):
    template_name = "polls/mine.html"
    context_object_name = "polls"
    paginate_by = 20

    def get_queryset(self):
        return Poll.objects.filter(author=self.request.user).for_listing()
