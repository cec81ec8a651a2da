"""The pages' views, a module per subject; urls.py and accounts find them here."""

from .authoring import PollCloseView, PollCreateView
from .common import RateLimitedPostMixin, UncountedListView, _poll_or_404, _safe_next, _search
from .detail import PollDetailView, poll_results_json
from .listing import RECENTLY_CLOSED_SHOWN, MyPollsView, PollListView, option_labels_json
from .voted import VotedPollsView
from .voting import VoteView

__all__ = [
    "RECENTLY_CLOSED_SHOWN",
    "MyPollsView",
    "PollCloseView",
    "PollCreateView",
    "PollDetailView",
    "PollListView",
    "RateLimitedPostMixin",
    "UncountedListView",
    "VoteView",
    "VotedPollsView",
    "_poll_or_404",
    "_safe_next",
    "_search",
    "option_labels_json",
    "poll_results_json",
]
