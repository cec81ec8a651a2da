"""Who voted, and who chose what (polls.services.ballot_lists): secret ballots list names only,
to whom the author said; public ballots list choices; neither shows to a viewer who may not
see the results; alphabetical, never the order of casting; capped."""

import pytest
from django.contrib.auth.models import AnonymousUser

from polls import services
from polls.models import NamesShownTo, VoterMode, VoterNames
from polls.services import ballot_lists
from polls.services.voters import Voter

from ..factories import PollFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]

ANONYMOUS = AnonymousUser()


def named_poll(**settings):
    settings.setdefault("voter_mode", VoterMode.OPEN)
    settings.setdefault("voter_names", VoterNames.OPTIONAL)
    settings.setdefault("results_visibility", "always")
    return PollFactory(labels=["Tea", "Coffee"], **settings)


def vote(poll, name, label="Tea"):
    option = poll.options.get(label=label).pk
    voter = Voter(user=ANONYMOUS, name=name, address="192.0.2.1")
    return services.vote_cast(poll=poll, voter=voter, option_id=option)


def listed(poll, viewer, voted=False):
    return services.ballot_list(poll=poll, viewer=viewer, voted=voted)


def test_secret_ballots_without_names_list_nothing():
    poll = named_poll(voter_names=VoterNames.OFF)
    vote(poll, "")
    assert listed(poll, poll.author) is None


def test_secret_ballots_list_names_to_the_author_without_choices():
    poll = named_poll()
    vote(poll, "Zoe", "Coffee")
    vote(poll, "Adam")
    poll.refresh_from_db()  # the list's total is the poll's ballot count
    shown = listed(poll, poll.author)
    assert (shown.with_names, shown.with_choices) == (True, False)
    assert [(entry.name, entry.choices) for entry in shown.ballots] == [
        ("Adam", None),
        ("Zoe", None),
    ]
    assert shown.total == 2
    assert listed(poll, UserFactory()) is None
    assert listed(poll, ANONYMOUS) is None


def test_names_shown_to_everyone_show_to_every_viewer_who_sees_the_results():
    poll = named_poll(names_shown_to=NamesShownTo.EVERYONE)
    vote(poll, "Zoe")
    for viewer in (poll.author, UserFactory(), ANONYMOUS):
        assert [entry.name for entry in listed(poll, viewer).ballots] == ["Zoe"]


def test_names_shown_to_nobody_show_to_nobody_not_even_the_author():
    poll = named_poll(names_shown_to=NamesShownTo.NOBODY)
    vote(poll, "Zoe")
    assert listed(poll, poll.author) is None


def test_public_ballots_list_choices_named_only_where_names_are_shown():
    poll = named_poll(public_ballots=True)  # names shown to the author
    vote(poll, "Zoe", "Coffee")
    vote(poll, "Adam", "Tea")

    to_author = listed(poll, poll.author)
    assert [(entry.name, entry.choices) for entry in to_author.ballots] == [
        ("Adam", ("Tea",)),
        ("Zoe", ("Coffee",)),
    ]
    to_others = listed(poll, UserFactory())
    assert (to_others.with_names, to_others.with_choices) == (False, True)
    assert [(entry.name, entry.choices) for entry in to_others.ballots] == [
        ("", ("Coffee",)),
        ("", ("Tea",)),
    ]


def test_public_ballots_of_several_choices_list_them_in_rank_and_option_order():
    poll = PollFactory(
        labels=["Tea", "Coffee", "Juice"],
        max_choices=3,
        public_ballots=True,
        results_visibility="always",
    )
    options = {option.label: option.pk for option in poll.options.all()}
    services.vote_cast(
        poll=poll, voter=UserFactory(), option_ids=[options["Juice"], options["Tea"]]
    )
    (entry,) = listed(poll, UserFactory()).ballots
    assert entry.choices == ("Tea", "Juice")


@pytest.mark.parametrize("visibility", ["after_close", "author_only"])
def test_a_viewer_who_may_not_see_the_results_sees_no_list(visibility):
    poll = named_poll(
        public_ballots=True, names_shown_to=NamesShownTo.EVERYONE, results_visibility=visibility
    )
    vote(poll, "Zoe")
    assert listed(poll, UserFactory(), voted=True) is None
    assert listed(poll, ANONYMOUS) is None
    assert listed(poll, poll.author) is not None  # the author always sees the results


def test_a_list_after_voting_shows_only_once_the_viewer_voted():
    poll = named_poll(names_shown_to=NamesShownTo.EVERYONE, results_visibility="after_vote")
    vote(poll, "Zoe")
    viewer = UserFactory()
    assert listed(poll, viewer, voted=False) is None
    assert [entry.name for entry in listed(poll, viewer, voted=True).ballots] == ["Zoe"]


def test_the_list_is_alphabetical_never_the_order_of_casting():
    poll = named_poll(names_shown_to=NamesShownTo.EVERYONE)
    for name in ("mallory", "Bob", "", "alice", "Carol", ""):
        vote(poll, name)
    names = [entry.name for entry in listed(poll, ANONYMOUS).ballots]
    # Case folded, the unnamed last.
    assert names == ["alice", "Bob", "Carol", "mallory", "", ""]


def test_the_list_is_capped_and_says_how_many_more(monkeypatch):
    monkeypatch.setattr(ballot_lists, "MAX_LISTED", 3)
    poll = named_poll(names_shown_to=NamesShownTo.EVERYONE)
    for name in ("Eve", "Dan", "Cy", "Bea", "Al"):
        vote(poll, name)
    poll.refresh_from_db()
    shown = listed(poll, ANONYMOUS)
    assert [entry.name for entry in shown.ballots] == ["Al", "Bea", "Cy"]
    assert (shown.total, shown.more) == (5, 2)


@pytest.mark.parametrize("ballots", [1, 20])
@pytest.mark.parametrize(("public", "queries"), [(False, 1), (True, 2)])
def test_the_list_takes_the_same_queries_however_many_ballots(
    django_assert_num_queries, ballots, public, queries
):
    """Names in one query; choices (public ballots) in one more."""
    poll = named_poll(names_shown_to=NamesShownTo.EVERYONE, public_ballots=public)
    for number in range(ballots):
        vote(poll, f"Voter {number}", "Coffee" if number % 2 else "Tea")
    poll.refresh_from_db()
    with django_assert_num_queries(queries):
        shown = listed(poll, ANONYMOUS)
    assert len(shown.ballots) == ballots
