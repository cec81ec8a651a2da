"""The domain's refusals: the exception classes and the messages pages, API and tests share."""

from ..models import MAX_OPTIONS, MIN_OPTIONS

# No answer lists more messages than this for one field (polls/api/errors.py caps the API's).
MAX_MESSAGES_PER_FIELD = 5
# When the unique-label constraint, rather than the rule, finds two options with one label (a
# change made at the same moment by someone else).
TOO_FEW_OPTIONS = f"A poll needs at least {MIN_OPTIONS} options."
DUPLICATE_LABEL = "Two options would have the same label. Reload the poll and try again."


class VoteRefused(Exception):
    """A vote the rules do not allow. `message` is fit to show to the voter."""

    message = "This vote cannot be accepted."
    code = "vote_refused"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class AlreadyVoted(VoteRefused):
    message = "You have already voted in this poll."
    code = "already_voted"


class PollClosed(VoteRefused):
    message = "This poll is closed."
    code = "poll_closed"


class PollNotFound(VoteRefused):
    message = "There is no poll with that address."
    code = "not_found"


class ChoicesRefused(VoteRefused):
    """A ballot whose choices the poll cannot take (the API answers 400, naming the field)."""

    code = "invalid"


class OptionNotInPoll(ChoicesRefused):
    message = "That option is not part of this poll."
    code = "option_not_in_poll"


class DuplicateChoice(ChoicesRefused):
    message = "Choose each option only once."
    code = "duplicate_choice"


class TooFewChoices(ChoicesRefused):
    message = "Choose at least one option."
    code = "too_few_choices"

    def __init__(self, minimum: int = 1):
        super().__init__(self.message if minimum == 1 else f"Choose at least {minimum} options.")


class TooManyChoices(ChoicesRefused):
    message = "Choose only one option."
    code = "too_many_choices"

    def __init__(self, maximum: int = 1):
        super().__init__(self.message if maximum == 1 else f"Choose at most {maximum} options.")


class ChoicesExpected(ChoicesRefused):
    """A single choice sent, as a single-choice poll takes it, to a poll that takes several (its
    author changed the limits since the page was shown, or an API client did not look)."""

    message = "This poll lets you choose several options: choose again."
    code = "choices_expected"


class RankingExpected(ChoicesRefused):
    """Chosen options sent to a ranked poll (the API's `option_ids` instead of `ranking`)."""

    message = "This poll asks you to rank the options, best first: rank them and vote again."
    code = "ranking_expected"


class RankingNotExpected(ChoicesRefused):
    """A ranking sent to a poll whose ballots choose options."""

    message = "This poll does not rank its options: choose one and vote again."
    code = "ranking_not_expected"


class RankingEmpty(ChoicesRefused):
    message = "Rank at least one option: give your first choice rank 1."
    code = "too_few_choices"


class RankAllRequired(ChoicesRefused):
    code = "rank_all_required"

    def __init__(self, option_count: int | None = None):
        every = f"all {option_count} options" if option_count else "every option"
        super().__init__(f"This poll asks you to rank {every}.")


class RankRepeated(ChoicesRefused):
    message = "Give each rank to one option only, and rank each option once."
    code = "rank_repeated"


class RankGap(ChoicesRefused):
    code = "rank_gap"

    def __init__(self, missing: int | None = None):
        told = f" Rank {missing} is missing." if missing else ""
        super().__init__(f"Number your choices 1, 2, 3… without leaving a rank out.{told}")


class VoteChangeNotAllowed(VoteRefused):
    message = "This poll does not let voters change or retract their vote."
    code = "vote_change_not_allowed"


class NotVoted(VoteRefused):
    message = "You have not voted in this poll."
    code = "not_voted"


class SignInToVote(VoteRefused):
    message = "Log in to vote in this poll: it takes one vote per account."
    code = "not_authenticated"


class BrowserNotKnown(VoteRefused):
    """A vote without an account in a one-vote-per-browser poll, from a browser that did not
    keep the cookie the poll page gave it."""

    message = (
        "Votr could not recognise your browser: allow cookies for this site, reload the poll "
        "and vote again."
    )
    code = "browser_not_known"


class InviteCodeNeeded(VoteRefused):
    message = "This poll takes votes by invite code only: open the link of your invite."
    code = "invite_code_needed"


class InviteCodeRefused(VoteRefused):
    message = "That invite code is not valid for this poll."
    code = "invite_code_invalid"


class InviteCodeUsed(InviteCodeRefused):
    message = "That invite code has already been used to vote."
    code = "invite_code_used"


class InviteCodeRevoked(InviteCodeRefused):
    message = "That invite code was withdrawn by the poll's author."
    code = "invite_code_revoked"


class NoWayToChange(VoteRefused):
    message = "Votes in an open poll cannot be changed: nothing ties a ballot to its voter."
    code = "vote_change_not_allowed"


class NameRefused(VoteRefused):
    """A name the poll cannot take (the API answers 400 on `name`)."""

    message = "That name cannot be used."
    code = "invalid_name"


class NameRequired(NameRefused):
    message = "This poll asks each voter for their name: type one."
    code = "name_required"


class NotAllowed(Exception):
    """The user may not do this to that poll. `message` is fit to show to them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def too_many_options(count: int) -> str:
    return f"A poll can have at most {MAX_OPTIONS} options (it has {count})."


def capped_messages(messages: list[str]) -> list[str]:
    """At most MAX_MESSAGES_PER_FIELD messages: the first ones, then how many more there are."""
    if len(messages) <= MAX_MESSAGES_PER_FIELD:
        return messages
    kept = messages[: MAX_MESSAGES_PER_FIELD - 1]
    return [*kept, f"And {len(messages) - len(kept)} more problems."]
