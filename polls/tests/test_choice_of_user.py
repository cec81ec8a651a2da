"""Poll.objects.with_choice_of and what a poll then says of the user's ballot: every choice, in
the author's option order, and when it was cast, for one fixed query whatever the polls."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import F

from polls import services
from polls.models import Option, Poll

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def several(**kwargs) -> Poll:
    return PollFactory(labels=["A", "B", "C", "D"], min_choices=1, max_choices=4, **kwargs)


def ids(poll, *labels) -> list[int]:
    return [poll.options.get(label=label).pk for label in labels]


def test_a_ballot_of_several_choices_is_read_whole_in_the_authors_order(user):
    poll = several()
    # Positions, not ids, are the author's order: D is moved to the front.
    Option.objects.filter(poll=poll).update(position=F("position") + 10)
    for position, label in enumerate(["D", "A", "B", "C"], start=1):
        Option.objects.filter(poll=poll, label=label).update(position=position)
    ballot = services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "B", "D", "A"))

    read = Poll.objects.with_choice_of(user).get(pk=poll.pk)

    assert read.choices_of_user() == ids(poll, "D", "A", "B")
    assert read.choice_of_user() == ids(poll, "D")[0]
    assert read.voted_by_user()
    assert read.ballot_of_user().pk == ballot.pk
    assert read.ballot_of_user().cast_at == ballot.cast_at


def test_without_a_ballot_or_signed_out_there_is_nothing(user):
    poll = several()
    services.vote_cast(poll=poll, voter=UserFactory(), option_ids=ids(poll, "A"))

    for viewer in (user, AnonymousUser()):
        read = Poll.objects.with_choice_of(viewer).get(pk=poll.pk)
        assert read.choices_of_user() == []
        assert read.choice_of_user() is None
        assert read.ballot_of_user() is None
        assert not read.voted_by_user()


def test_a_single_choice_ballot_reads_as_before(user, poll):
    option = poll.options.last()
    services.vote_cast(poll=poll, voter=user, option_id=option.pk)

    read = Poll.objects.with_choice_of(user).get(pk=poll.pk)

    assert read.choice_of_user() == option.pk
    assert read.choices_of_user() == [option.pk]


@pytest.mark.parametrize("polls", [1, 12])
def test_the_users_ballots_cost_one_query_whatever_the_polls(
    user, django_assert_num_queries, polls
):
    for number in range(polls):
        poll = several()
        if number % 3:
            services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "C", "D"))

    with django_assert_num_queries(2):  # the polls, the user's ballots with their choices
        read = list(Poll.objects.order_by("id").with_choice_of(user))

    assert [len(poll.choices_of_user()) for poll in read] == [
        3 if number % 3 else 0 for number in range(polls)
    ]


def test_set_choice_of_user_takes_a_list_or_one_id(user, poll):
    first, second, _ = poll.options.all()
    ballot = services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    poll.set_choice_of_user([first.pk, second.pk], ballot=ballot)
    assert poll.choices_of_user() == [first.pk, second.pk]
    assert poll.ballot_of_user().cast_at == ballot.cast_at

    poll.set_choice_of_user(second.pk)
    assert poll.choice_of_user() == second.pk
    assert poll.voted_by_user()
