"""Votr's domain rules: every write, and every rule about one, lives here once.

Pages, the API, the admin and the Celery tasks all call these functions, by the names re-exported
here; each subject has its own module. Invalid input raises Django's ValidationError with a
message per field; refused votes raise a VoteRefused subclass. Background work is queued by task
name through publishing.py, so no service imports polls.tasks. The account rules are
accounts.services (not re-exported here: they build on these modules, which would be a loop).
"""

from .audit import audit_record
from .checks import (
    WORDING_FIXED,
    clean_description,
    closing_time_errors,
    poll_errors,
    poll_wording_errors,
)
from .closing import (
    POLLS_CLOSE_DUE_LIMIT,
    poll_close_if_due,
    poll_notify_closed,
    poll_schedule_close,
    polls_close_due,
)
from .editing import (
    EDITABLE,
    FIXED_ONCE_VOTED,
    poll_edit,
    poll_edit_errors,
    poll_fixed_fields,
)
from .errors import (
    DUPLICATE_LABEL,
    MAX_MESSAGES_PER_FIELD,
    TOO_FEW_OPTIONS,
    AlreadyVoted,
    ChoicesExpected,
    ChoicesRefused,
    DuplicateChoice,
    NotAllowed,
    NotVoted,
    OptionNotInPoll,
    PollClosed,
    PollNotFound,
    TooFewChoices,
    TooManyChoices,
    VoteChangeNotAllowed,
    VoteRefused,
    capped_messages,
    too_many_options,
)
from .exports import EXPORT_REFUSED, poll_export
from .ordering import (
    ANONYMOUS_ORDER_KEY,
    ballot_order,
    browser_order_key,
    user_order_key,
    viewer_order_key,
)
from .outcome import Outcome, OutcomeKind, outcome_sentence, poll_outcome
from .permissions import (
    CHANGE_POLL,
    CHANGE_USER,
    DELETE_BALLOT,
    DELETE_POLL,
    permissions_not_held,
    user_may_change_poll,
    user_may_delete_poll,
    user_may_manage,
)
from .polls import (
    poll_close,
    poll_create,
    poll_delete,
    poll_reopen,
    poll_reschedule,
    poll_reword,
)
from .results import OptionResult, PollResults, PollVersion, poll_etag, poll_results, poll_version
from .visibility import (
    NEVER,
    UNTIL_CLOSE,
    UNTIL_VOTE,
    VIEW_RESULTS,
    polls_with_results_shown,
    results_hidden_until,
    results_public,
    results_visible,
)
from .votes import ballot_remove, vote_cast, voter_ballots_remove
from .votes_change import vote_change, vote_retract

__all__ = [
    "ANONYMOUS_ORDER_KEY",
    "CHANGE_POLL",
    "CHANGE_USER",
    "DELETE_BALLOT",
    "DELETE_POLL",
    "DUPLICATE_LABEL",
    "EXPORT_REFUSED",
    "EDITABLE",
    "FIXED_ONCE_VOTED",
    "MAX_MESSAGES_PER_FIELD",
    "NEVER",
    "POLLS_CLOSE_DUE_LIMIT",
    "TOO_FEW_OPTIONS",
    "UNTIL_CLOSE",
    "UNTIL_VOTE",
    "VIEW_RESULTS",
    "WORDING_FIXED",
    "AlreadyVoted",
    "ChoicesExpected",
    "ChoicesRefused",
    "DuplicateChoice",
    "NotAllowed",
    "NotVoted",
    "OptionNotInPoll",
    "OptionResult",
    "Outcome",
    "OutcomeKind",
    "PollClosed",
    "PollNotFound",
    "PollResults",
    "PollVersion",
    "TooFewChoices",
    "TooManyChoices",
    "VoteChangeNotAllowed",
    "VoteRefused",
    "audit_record",
    "ballot_order",
    "ballot_remove",
    "browser_order_key",
    "capped_messages",
    "clean_description",
    "closing_time_errors",
    "outcome_sentence",
    "permissions_not_held",
    "poll_close",
    "poll_close_if_due",
    "poll_create",
    "poll_delete",
    "poll_edit",
    "poll_edit_errors",
    "poll_errors",
    "poll_outcome",
    "poll_etag",
    "poll_export",
    "poll_fixed_fields",
    "poll_notify_closed",
    "poll_reopen",
    "poll_reschedule",
    "poll_results",
    "poll_reword",
    "poll_wording_errors",
    "polls_with_results_shown",
    "results_hidden_until",
    "results_public",
    "results_visible",
    "poll_schedule_close",
    "poll_version",
    "polls_close_due",
    "too_many_options",
    "user_may_change_poll",
    "user_may_delete_poll",
    "user_may_manage",
    "user_order_key",
    "viewer_order_key",
    "vote_cast",
    "vote_change",
    "vote_retract",
    "voter_ballots_remove",
]
