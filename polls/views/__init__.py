"""The pages' views, a module per subject; urls.py and accounts find them here."""

from .authoring import PollCloseView, PollCreateView
from .challenges import challenge_json
from .common import RateLimitedPostMixin, UncountedListView, _poll_or_404, _safe_next, _search
from .detail import PollDetailView, poll_results_json
from .exports import poll_export_json, poll_results_csv
from .invites import InviteCodesCsvView, InviteCodesSheetView, InviteCodesView
from .listing import RECENTLY_CLOSED_SHOWN, MyPollsView, PollListView, option_labels_json
from .managing import PollDeleteView, PollEditView, PollManageView, PollRescheduleView
from .sharing import poll_card_png, poll_qr_svg
from .voted import VotedPollsView
from .voting import VoteChangeView, VoteRetractView, VoteView

__all__ = [
    "InviteCodesCsvView",
    "InviteCodesSheetView",
    "InviteCodesView",
    "RECENTLY_CLOSED_SHOWN",
    "MyPollsView",
    "PollCloseView",
    "PollCreateView",
    "PollDeleteView",
    "PollDetailView",
    "PollEditView",
    "PollListView",
    "PollManageView",
    "PollRescheduleView",
    "RateLimitedPostMixin",
    "UncountedListView",
    "VoteChangeView",
    "VoteRetractView",
    "VoteView",
    "VotedPollsView",
    "_poll_or_404",
    "_safe_next",
    "_search",
    "challenge_json",
    "option_labels_json",
    "poll_card_png",
    "poll_export_json",
    "poll_qr_svg",
    "poll_results_csv",
    "poll_results_json",
]
