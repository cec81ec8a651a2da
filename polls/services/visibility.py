"""Who sees a poll's results, and when: the one rule every path that shows a count, a share or
an order by votes asks (pages, live updates, lists, the API, exports, emails, link previews).

The author and holders of polls.view_results always see them. Everyone else by the poll's
setting: always; after voting (and everyone once the poll closes); once the poll closes; never.
"""

from datetime import datetime

from django.db.models import Q, QuerySet

from ..models import PUBLIC_BALLOT_COUNT, Poll, ResultsVisibility

VIEW_RESULTS = "polls.view_results"

# What results_hidden_until answers: the event after which the viewer will see the results.
UNTIL_VOTE = "vote"
UNTIL_CLOSE = "close"
NEVER = "never"


def _privileged(poll: Poll, viewer) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.pk == poll.author_id or viewer.has_perm(VIEW_RESULTS)


def results_hidden_until(
    *, poll: Poll, viewer, voted: bool, now: datetime | None = None
) -> str | None:
    """None when `viewer` (a user, maybe anonymous; None for nobody in particular, such as a
    link preview) may see `poll`'s results now, `voted` saying whether they have a ballot in
    it. Otherwise what they wait for: UNTIL_VOTE (their vote, or the close), UNTIL_CLOSE or
    NEVER. The permission is read only when the setting hides the results."""
    setting = poll.results_visibility
    if setting == ResultsVisibility.ALWAYS:
        return None
    closed = not poll.is_open(now=now)
    if setting == ResultsVisibility.AFTER_VOTE and (voted or closed):
        return None
    if setting == ResultsVisibility.AFTER_CLOSE and closed:
        return None
    if _privileged(poll, viewer):
        return None
    return {
        ResultsVisibility.AFTER_VOTE: UNTIL_VOTE,
        ResultsVisibility.AFTER_CLOSE: UNTIL_CLOSE,
    }.get(setting, NEVER)


def results_visible(*, poll: Poll, viewer, voted: bool, now: datetime | None = None) -> bool:
    """Whether `viewer` may see `poll`'s counts, shares and order by votes now."""
    return results_hidden_until(poll=poll, viewer=viewer, voted=voted, now=now) is None


def results_public(*, poll: Poll, now: datetime | None = None) -> bool:
    """Whether anyone at all may see them (what a link preview or a public list may show)."""
    return results_visible(poll=poll, viewer=None, voted=False, now=now)


def polls_with_results_shown(*, polls: QuerySet, viewer) -> QuerySet:
    """Of `polls`, those whose results `viewer` sees without having voted: all of them for a
    holder of polls.view_results; else their own polls and those whose results are public by
    their recorded close (PUBLIC_BALLOT_COUNT: this rule as a query, a poll past its closing
    time but not yet swept counting as hidden for that minute)."""
    if viewer.is_authenticated and viewer.has_perm(VIEW_RESULTS):
        return polls
    public = Q(public_count__gte=0)
    if viewer.is_authenticated:
        public |= Q(author=viewer)
    return polls.alias(public_count=PUBLIC_BALLOT_COUNT).filter(public)
