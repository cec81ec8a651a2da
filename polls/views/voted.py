"""Polls I voted in: the signed-in user's ballots, latest first, with what they chose."""

from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone

from .. import services
from ..models import Ballot, Poll
from .common import UncountedListView

# Why a count is not shown, by what the viewer waits for (a voter never waits for their vote).
RESULTS_HIDDEN = {
    services.UNTIL_CLOSE: "Results once the poll closes",
    services.NEVER: "Only the author sees the results",
}
RESULTS_HIDDEN_OTHERWISE = "Results are not shown yet"


@dataclass(frozen=True)
class VotedPoll:
    ballot: Ballot
    poll: Poll
    # Why the poll's count is not shown to this voter; "" when it is.
    results_hidden: str


class VotedPollsView(LoginRequiredMixin, UncountedListView):
    template_name = "polls/voted.html"
    context_object_name = "ballots"
    paginate_by = 20

    def get_queryset(self):
        return Ballot.objects.cast_by(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        viewer, now = self.request.user, timezone.now()
        context["voted_polls"] = [
            VotedPoll(
                ballot=ballot,
                poll=ballot.poll,
                results_hidden=_results_hidden(ballot.poll, viewer=viewer, now=now),
            )
            for ballot in context["ballots"]
        ]
        return context


def _results_hidden(poll: Poll, *, viewer, now) -> str:
    waiting_for = services.results_hidden_until(poll=poll, viewer=viewer, voted=True, now=now)
    if waiting_for is None:
        return ""
    return RESULTS_HIDDEN.get(waiting_for, RESULTS_HIDDEN_OTHERWISE)
