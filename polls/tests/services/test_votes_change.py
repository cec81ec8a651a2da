"""polls/services/votes_change.py: changing and retracting a vote."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from polls import services
from polls.models import Ballot, Choice, Option, Poll

from ..factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def changeable_poll(**kwargs) -> Poll:
    """Options A to D, 1 to 3 choices a ballot, vote changes allowed unless told otherwise."""
    kwargs.setdefault("min_choices", 1)
    kwargs.setdefault("max_choices", 3)
    kwargs.setdefault("allow_vote_change", True)
    return PollFactory(labels=["A", "B", "C", "D"], **kwargs)


def ids(poll, *labels) -> list[int]:
    return [poll.options.get(label=label).pk for label in labels]


def counts(poll) -> dict[str, int]:
    return dict(Option.objects.filter(poll=poll).values_list("label", "votes"))


def chosen_labels(voter, poll) -> list[str]:
    return list(
        Choice.objects.filter(ballot__voter=voter, poll=poll)
        .order_by("option__position")
        .values_list("option__label", flat=True)
    )


def assert_counters_equal_choices(poll):
    poll.refresh_from_db()
    chosen = dict(Choice.objects.filter(poll=poll).values_list("option").annotate(n=Count("id")))
    assert dict(poll.options.values_list("pk", "votes")) == {
        option.pk: chosen.get(option.pk, 0) for option in poll.options.all()
    }
    assert poll.ballot_count == Ballot.objects.filter(poll=poll).count()


@pytest.fixture
def voted(user, other_user):
    """A changeable poll where `user` chose A and B, and `other_user` B and C."""
    poll = changeable_poll()
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "B"))
    services.vote_cast(poll=poll, voter=other_user, option_ids=ids(poll, "B", "C"))
    poll.refresh_from_db()
    return poll


# --- vote_change ----------------------------------------------------------------------------


def test_a_change_replaces_the_choices_and_moves_the_counts_exactly(voted, user):
    before = Ballot.objects.get(voter=user)
    revision = voted.revision

    ballot = services.vote_change(poll=voted, voter=user, option_ids=ids(voted, "B", "D"))

    assert chosen_labels(user, voted) == ["B", "D"]
    assert counts(voted) == {"A": 0, "B": 2, "C": 1, "D": 1}
    voted.refresh_from_db()
    assert voted.ballot_count == 2
    assert voted.revision == revision + 1
    assert ballot.pk == before.pk
    assert ballot.cast_at > before.cast_at
    assert Ballot.objects.get(voter=user).cast_at == ballot.cast_at
    assert_counters_equal_choices(voted)


def test_a_change_by_public_id_and_in_the_single_choice_form(user):
    poll = changeable_poll(max_choices=1)
    first, second = ids(poll, "A", "B")
    services.vote_cast(poll=poll, voter=user, option_id=first)

    services.vote_change(poll=poll.public_id, voter=user, option_id=second)

    assert counts(poll) == {"A": 0, "B": 1, "C": 0, "D": 0}
    assert_counters_equal_choices(poll)


def test_a_change_to_the_same_choices_counts_nothing_twice(voted, user):
    services.vote_change(poll=voted, voter=user, option_ids=ids(voted, "B", "A"))

    assert counts(voted) == {"A": 1, "B": 2, "C": 1, "D": 0}
    assert_counters_equal_choices(voted)


def test_a_change_is_refused_where_the_author_does_not_allow_it(user):
    poll = changeable_poll(allow_vote_change=False)
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A"))

    with pytest.raises(services.VoteChangeNotAllowed) as caught:
        services.vote_change(poll=poll, voter=user, option_ids=ids(poll, "B"))

    assert caught.value.message == "This poll does not let voters change or retract their vote."
    assert chosen_labels(user, poll) == ["A"]
    assert counts(poll)["A"] == 1


def test_a_change_in_a_closed_poll_is_refused(voted, user):
    services.poll_close(poll=voted)

    with pytest.raises(services.PollClosed):
        services.vote_change(poll=voted, voter=user, option_ids=ids(voted, "D"))

    assert chosen_labels(user, voted) == ["A", "B"]


def test_a_change_after_the_closing_time_is_refused_before_the_close_is_recorded(voted, user):
    Poll.objects.filter(pk=voted.pk).update(
        created_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() - timedelta(seconds=1),
    )

    with pytest.raises(services.PollClosed):
        services.vote_change(poll=voted, voter=user, option_ids=ids(voted, "D"))


def test_a_change_without_a_ballot_is_refused(voted):
    newcomer = UserFactory()

    with pytest.raises(services.NotVoted) as caught:
        services.vote_change(poll=voted, voter=newcomer, option_ids=ids(voted, "D"))

    assert caught.value.message == "You have not voted in this poll."
    assert not Ballot.objects.filter(voter=newcomer).exists()


def test_a_change_in_an_unknown_poll_is_refused(user):
    with pytest.raises(services.PollNotFound):
        services.vote_change(poll="AAAAAAAAAAA", voter=user, option_ids=[1])


@pytest.mark.parametrize(
    ("labels", "refusal"),
    [
        ([], services.TooFewChoices),
        (["A", "B", "C", "D"], services.TooManyChoices),
        (["A", "A"], services.DuplicateChoice),
        (["A", "other-poll"], services.OptionNotInPoll),
        (["A", 999_999], services.OptionNotInPoll),
        (["A", "abc"], services.OptionNotInPoll),
    ],
)
def test_a_change_to_a_ballot_the_poll_cannot_take_is_refused(voted, user, labels, refusal):
    strangers = {"other-poll": PollFactory().options.first().pk}
    letters = {label: pk for label, pk in zip("ABCD", ids(voted, *"ABCD"), strict=True)}
    chosen = [letters.get(label) or strangers.get(label, label) for label in labels]

    with pytest.raises(refusal):
        services.vote_change(poll=voted, voter=user, option_ids=chosen)

    assert chosen_labels(user, voted) == ["A", "B"]
    assert counts(voted) == {"A": 1, "B": 2, "C": 1, "D": 0}


def test_a_change_in_the_single_choice_form_is_refused_by_a_poll_that_takes_several(voted, user):
    with pytest.raises(services.ChoicesExpected):
        services.vote_change(poll=voted, voter=user, option_id=ids(voted, "D")[0])


def test_a_change_is_judged_by_the_limits_on_the_polls_row(voted, user):
    Poll.objects.filter(pk=voted.pk).update(min_choices=3)

    with pytest.raises(services.TooFewChoices) as caught:
        services.vote_change(poll=voted, voter=user, option_ids=ids(voted, "C", "D"))

    assert caught.value.message == "Choose at least 3 options."


def test_the_page_and_api_read_the_latest_choices_after_a_change(voted, user):
    services.vote_change(poll=voted, voter=user, option_ids=ids(voted, "D", "C"))

    poll = Poll.objects.with_choice_of(user).get(pk=voted.pk)

    assert poll.choices_of_user() == ids(voted, "C", "D")
    assert poll.ballot_of_user().cast_at == Ballot.objects.get(voter=user).cast_at


# --- vote_retract ---------------------------------------------------------------------------


def test_a_retraction_deletes_the_ballot_and_takes_it_off_every_count(voted, user):
    revision = voted.revision

    services.vote_retract(poll=voted, voter=user)

    assert not Ballot.objects.filter(voter=user).exists()
    assert counts(voted) == {"A": 0, "B": 1, "C": 1, "D": 0}
    voted.refresh_from_db()
    assert voted.ballot_count == 1
    assert voted.revision == revision + 1
    assert_counters_equal_choices(voted)


def test_after_a_retraction_the_voter_may_vote_again(voted, user):
    services.vote_retract(poll=voted.public_id, voter=user)

    services.vote_cast(poll=voted, voter=user, option_ids=ids(voted, "D"))

    assert counts(voted) == {"A": 0, "B": 1, "C": 1, "D": 1}
    assert_counters_equal_choices(voted)


def test_a_retraction_is_refused_where_the_author_does_not_allow_changes(user):
    poll = changeable_poll(allow_vote_change=False)
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A"))

    with pytest.raises(services.VoteChangeNotAllowed):
        services.vote_retract(poll=poll, voter=user)

    assert Ballot.objects.filter(voter=user).exists()
    assert counts(poll)["A"] == 1


def test_a_retraction_in_a_closed_poll_is_refused(voted, user):
    services.poll_close(poll=voted)

    with pytest.raises(services.PollClosed):
        services.vote_retract(poll=voted, voter=user)

    assert Ballot.objects.filter(voter=user).exists()


def test_a_retraction_without_a_ballot_is_refused(voted):
    with pytest.raises(services.NotVoted):
        services.vote_retract(poll=voted, voter=UserFactory())

    assert_counters_equal_choices(voted)
    assert voted.ballot_count == 2


def test_a_retraction_twice_is_refused_the_second_time(voted, user):
    services.vote_retract(poll=voted, voter=user)

    with pytest.raises(services.NotVoted):
        services.vote_retract(poll=voted, voter=user)

    assert_counters_equal_choices(voted)


def test_a_retraction_in_an_unknown_poll_is_refused(user):
    with pytest.raises(services.PollNotFound):
        services.vote_retract(poll="AAAAAAAAAAA", voter=user)


def test_counters_equal_choices_after_a_mix_of_votes_changes_and_retractions():
    poll = changeable_poll()
    voters = UserFactory.create_batch(6)
    labels = ["A", "B", "C", "D"]
    for number, voter in enumerate(voters):
        services.vote_cast(
            poll=poll, voter=voter, option_ids=ids(poll, *labels[number % 4 :][:2] or ["A"])
        )
    for voter in voters[::2]:
        services.vote_change(poll=poll, voter=voter, option_ids=ids(poll, "D", "A", "C"))
    for voter in voters[1::3]:
        services.vote_retract(poll=poll, voter=voter)

    assert_counters_equal_choices(poll)
    assert poll.ballot_count == 4
