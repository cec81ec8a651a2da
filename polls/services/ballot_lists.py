"""Who voted, and (where ballots are public) who chose what: the one rule for every face.

Ballots are secret by default: nobody, the author and staff included, sees a ballot's choices
next to its voter. Where the poll asks for names, the names are shown to whom the author said
(the author, everyone, nobody), as a list of who voted; where the author made the ballots
public (voters are told before they vote), each ballot is listed with its choices, named
where names are shown to the viewer. Either list shows only to a viewer who may see the
results, since its length is the count. Entries are in alphabetical order, never in the
order ballots were cast, so that no entry can be matched to a change in the live results.
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from ..models import Ballot, Choice, NamesShownTo, Poll, VoterNames
from .visibility import results_visible

MAX_LISTED = 1000
ANONYMOUS_NAME = "Anonymous voter"


@dataclass(frozen=True)
class ListedBallot:
    name: str  # "" where no name was given or it is not shown to the viewer
    choices: tuple[str, ...] | None  # the options' labels (ranked: in rank order); None: secret


@dataclass(frozen=True)
class BallotList:
    ballots: list[ListedBallot]
    with_choices: bool
    with_names: bool
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.ballots)


def names_shown(*, poll: Poll, viewer) -> bool:
    """Whether `viewer` sees the names `poll`'s voters gave."""
    if poll.voter_names == VoterNames.OFF or poll.names_shown_to == NamesShownTo.NOBODY:
        return False
    if poll.names_shown_to == NamesShownTo.EVERYONE:
        return True
    return viewer is not None and viewer.is_authenticated and viewer.pk == poll.author_id


def ballot_list(*, poll: Poll, viewer, voted: bool) -> BallotList | None:
    """The list `viewer` (`voted`: whether they hold a ballot in it) sees of `poll`'s ballots,
    or None when they see none. Two queries at most (names, then choices), whatever the
    number of ballots; at most MAX_LISTED of them are listed, `total` says how many there
    are."""
    with_names = names_shown(poll=poll, viewer=viewer)
    with_choices = poll.public_ballots
    if not (with_names or with_choices):
        return None
    if not results_visible(poll=poll, viewer=viewer, voted=voted):
        return None
    ballots = Ballot.objects.filter(poll_id=poll.pk).order_by("voter_name", "id")
    if with_choices:
        chosen = Choice.objects.select_related("option").order_by("rank", "option__position")
        ballots = ballots.only("id", "voter_name").prefetch_related(
            Prefetch("choices", queryset=chosen)
        )
    else:
        ballots = ballots.only("id", "voter_name")
    listed = []
    for ballot in ballots[:MAX_LISTED]:
        name = ballot.voter_name if with_names else ""
        choices = (
            tuple(choice.option.label for choice in ballot.choices.all()) if with_choices else None
        )
        listed.append(ListedBallot(name=name, choices=choices))
    listed.sort(key=lambda entry: (not entry.name, entry.name.casefold(), entry.choices or ()))
    return BallotList(
        ballots=listed, with_choices=with_choices, with_names=with_names, total=poll.ballot_count
    )
