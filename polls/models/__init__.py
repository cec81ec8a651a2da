"""Votr's tables: users, polls (with their settings' choices and their queries), their count,
options, ballots and their choices, ranked polls' ranking counts and stored tallies, invite
codes, the audit log, a module each; every name is imported here, where Django and the rest of
Votr find them. The rules live in polls/services/.
"""

from .audit import AuditEntry
from .ballots import (
    ADDRESS_HASH_LENGTH,
    IDENTITY_MAX_LENGTH,
    USER_IDENTITY_PREFIX,
    VOTER_NAME_MAX_LENGTH,
    Ballot,
    BallotMode,
    BallotQuerySet,
    Choice,
    user_identity,
)
from .counter import CounterScope, PollCounter, PollCounterQuerySet
from .invites import (
    INVITE_CODE_MAX_LENGTH,
    INVITE_CODE_PATTERN,
    InviteCode,
    new_invite_code,
)
from .options import LABEL_MAX_LENGTH, LABEL_SUGGESTIONS, Option, OptionQuerySet
from .poll_queries import PollQuerySet
from .poll_settings import (
    ENDED_AT,
    PUBLIC_BALLOT_COUNT,
    NamesShownTo,
    ResultsVisibility,
    VoterMode,
    VoterNames,
    VotingMethod,
)
from .polls import (
    DEFAULT_POLL_DURATION,
    DESCRIPTION_MAX_LENGTH,
    MAX_OPTIONS,
    MAX_POLL_DURATION,
    MIN_OPTIONS,
    MIN_POLL_DURATION,
    PUBLIC_ID_BYTES,
    PUBLIC_ID_PATTERN,
    TITLE_MAX_LENGTH,
    Poll,
    default_closes_at,
    new_public_id,
)
from .rankings import (
    RANKING_MAX_LENGTH,
    RankingCount,
    StoredTally,
    ranking_key,
    ranking_of_key,
)
from .users import User

__all__ = [
    "ADDRESS_HASH_LENGTH",
    "INVITE_CODE_MAX_LENGTH",
    "INVITE_CODE_PATTERN",
    "USER_IDENTITY_PREFIX",
    "VOTER_NAME_MAX_LENGTH",
    "BallotMode",
    "InviteCode",
    "NamesShownTo",
    "VoterMode",
    "VoterNames",
    "VotingMethod",
    "RANKING_MAX_LENGTH",
    "RankingCount",
    "StoredTally",
    "ranking_key",
    "ranking_of_key",
    "new_invite_code",
    "DEFAULT_POLL_DURATION",
    "DESCRIPTION_MAX_LENGTH",
    "ENDED_AT",
    "IDENTITY_MAX_LENGTH",
    "LABEL_MAX_LENGTH",
    "LABEL_SUGGESTIONS",
    "MAX_OPTIONS",
    "MAX_POLL_DURATION",
    "MIN_OPTIONS",
    "MIN_POLL_DURATION",
    "PUBLIC_ID_BYTES",
    "PUBLIC_BALLOT_COUNT",
    "PUBLIC_ID_PATTERN",
    "TITLE_MAX_LENGTH",
    "AuditEntry",
    "Ballot",
    "BallotQuerySet",
    "Choice",
    "CounterScope",
    "Option",
    "OptionQuerySet",
    "Poll",
    "PollCounter",
    "PollCounterQuerySet",
    "PollQuerySet",
    "ResultsVisibility",
    "User",
    "default_closes_at",
    "new_public_id",
    "user_identity",
]
