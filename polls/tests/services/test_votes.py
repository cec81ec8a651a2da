"""polls/services/votes.py: casting a ballot and removing one."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from polls import services
from polls.models import Ballot, Choice, Option, Poll

from ..factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- vote_cast ------------------------------------------------------------------------------


def test_vote_cast_records_the_ballot_and_counts_it(poll, user):
    option = poll.options.last()

    ballot = services.vote_cast(poll=poll, voter=user, option_id=option.pk)

    assert ballot.voter == user
    assert [choice.option for choice in ballot.choices.all()] == [option]
    assert list(poll.options.values_list("votes", flat=True)) == [0, 0, 1]


def test_vote_cast_takes_a_fixed_number_of_queries(poll, user):
    option_id = poll.options.first().pk
    with CaptureQueriesContext(connection) as captured:
        services.vote_cast(poll=poll, voter=user, option_id=option_id)
    statements = [
        query["sql"].split()[0]
        for query in captured.captured_queries
        if "SAVEPOINT" not in query["sql"]
    ]
    # Count the choice on the open poll's option, insert ballot and choice, count the ballot on
    # the poll (returning the poll), read the options the answer shows.
    assert statements == ["UPDATE", "INSERT", "INSERT", "UPDATE", "SELECT"]


def test_second_vote_is_refused_and_changes_nothing(poll, user):
    first, second = poll.options.all()[:2]
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    with pytest.raises(services.AlreadyVoted) as caught:
        services.vote_cast(poll=poll, voter=user, option_id=second.pk)

    assert caught.value.message == "You have already voted in this poll."
    assert Ballot.objects.count() == 1
    assert list(poll.options.values_list("votes", flat=True)) == [1, 0, 0]


def test_vote_on_a_poll_past_its_closing_time_is_refused(user):
    now = timezone.now()
    poll = PollFactory(created_at=now - timedelta(days=1), closes_at=now - timedelta(seconds=1))

    with pytest.raises(services.PollClosed) as caught:
        services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)

    assert caught.value.message == "This poll is closed."
    assert not Ballot.objects.exists()


def test_vote_on_a_poll_closed_early_is_refused_even_through_a_stale_instance(poll, user):
    stale = Poll.objects.get(pk=poll.pk)
    services.poll_close(poll=poll)

    with pytest.raises(services.PollClosed):
        services.vote_cast(poll=stale, voter=user, option_id=poll.options.first().pk)
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("option_id", ["other-poll", 999_999, "abc", None])
def test_vote_for_an_option_outside_the_poll_is_refused(poll, user, option_id):
    if option_id == "other-poll":
        option_id = PollFactory().options.first().pk

    with pytest.raises(services.OptionNotInPoll) as caught:
        services.vote_cast(poll=poll, voter=user, option_id=option_id)

    assert caught.value.message == "That option is not part of this poll."
    assert not Ballot.objects.exists()
    assert Option.objects.aggregate(total=Sum("votes"))["total"] == 0


def test_refusals_are_distinct_error_types_with_codes():
    refusals = [services.AlreadyVoted(), services.PollClosed(), services.OptionNotInPoll()]
    assert all(isinstance(refusal, services.VoteRefused) for refusal in refusals)
    assert len({refusal.code for refusal in refusals}) == 3


def test_counters_always_equal_ballots_after_a_mix_of_votes_and_refusals(poll):
    voters = UserFactory.create_batch(5)
    options = list(poll.options.all())
    for number, voter in enumerate(voters):
        services.vote_cast(poll=poll, voter=voter, option_id=options[number % 3].pk)
        with pytest.raises(services.AlreadyVoted):
            services.vote_cast(poll=poll, voter=voter, option_id=options[0].pk)

    counted = dict(poll.options.values_list("pk", "votes"))
    chosen = dict(
        Choice.objects.values("option").annotate(n=Count("id")).values_list("option", "n")
    )
    assert counted == {option.pk: chosen.get(option.pk, 0) for option in options}
    assert sum(counted.values()) == Ballot.objects.count() == 5


def test_a_voters_ballots_come_off_every_count_before_the_account_goes():
    first, second = PollFactory(), PollFactory()
    leaving, staying = UserFactory(), UserFactory()
    for poll in (first, second):
        services.vote_cast(poll=poll, voter=leaving, option_id=poll.options.first().pk)
    services.vote_cast(poll=first, voter=staying, option_id=first.options.last().pk)

    assert services.voter_ballots_remove(voter_id=leaving.pk) == 2
    leaving.delete()

    for poll in Poll.objects.all():
        assert poll.ballot_count == Ballot.objects.filter(poll=poll).count()
        counted = dict(poll.options.values_list("pk", "votes"))
        chosen = dict(
            Choice.objects.filter(poll=poll).values_list("option").annotate(n=Count("id"))
        )
        assert counted == {pk: chosen.get(pk, 0) for pk in counted}
    assert Poll.objects.get(pk=first.pk).ballot_count == 1
    assert services.voter_ballots_remove(voter_id=staying.pk) == 1
