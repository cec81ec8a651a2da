"""polls/services/votes.py: casting a ballot and removing one."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Ballot, Choice, Option, Poll

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


# --- Multiple choice ------------------------------------------------------------------------


def multiple_choice_poll(**kwargs) -> Poll:
    """Four options, A to D; a ballot takes 1 to 3 of them unless told otherwise."""
    kwargs.setdefault("min_choices", 1)
    kwargs.setdefault("max_choices", 3)
    return PollFactory(labels=["A", "B", "C", "D"], **kwargs)


def ids(poll, *labels) -> list[int]:
    return [poll.options.get(label=label).pk for label in labels]


def counts(poll) -> dict[str, int]:
    return dict(Option.objects.filter(poll=poll).values_list("label", "votes"))


def assert_counters_equal_choices(poll):
    poll.refresh_from_db()
    chosen = dict(Choice.objects.filter(poll=poll).values_list("option").annotate(n=Count("id")))
    assert dict(poll.options.values_list("pk", "votes")) == {
        option.pk: chosen.get(option.pk, 0) for option in poll.options.all()
    }
    assert poll.ballot_count == Ballot.objects.filter(poll=poll).count()


def test_a_ballot_of_several_options_counts_each_and_one_voter(user):
    poll = multiple_choice_poll()

    ballot = services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "D", "B"))

    assert counts(poll) == {"A": 0, "B": 1, "C": 0, "D": 1}
    assert ballot.poll.ballot_count == 1
    assert ballot.poll.revision == 1
    # The answer's poll: the counts this vote left, the choices in the author's order.
    assert [option.votes for option in ballot.poll.options.all()] == [0, 1, 0, 1]
    assert ballot.poll.choices_of_user() == ids(poll, "B", "D")
    assert ballot.poll.ballot_of_user().cast_at == ballot.cast_at
    assert_counters_equal_choices(poll)


def test_a_ballot_of_several_options_takes_the_statements_of_one(user):
    poll = multiple_choice_poll()
    chosen = ids(poll, "A", "B", "C")
    with CaptureQueriesContext(connection) as captured:
        services.vote_cast(poll=poll, voter=user, option_ids=chosen)
    statements = [
        query["sql"].split()[0]
        for query in captured.captured_queries
        if "SAVEPOINT" not in query["sql"]
    ]
    # Count (and lock, by id) the choices, insert the ballot and its choices in one statement,
    # count the ballot, read the options.
    assert statements == ["UPDATE", "INSERT", "INSERT", "UPDATE", "SELECT"]


def test_the_single_choice_form_still_works_and_a_list_of_one_too(user, other_user, poll):
    first, second, _ = poll.options.all()

    services.vote_cast(poll=poll, voter=user, option_id=first.pk)
    services.vote_cast(poll=poll, voter=other_user, option_ids=[second.pk])

    assert list(poll.options.values_list("votes", flat=True)) == [1, 1, 0]


def test_approval_voting_takes_every_option(user):
    poll = multiple_choice_poll(max_choices=4)

    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "B", "C", "D"))

    assert counts(poll) == {"A": 1, "B": 1, "C": 1, "D": 1}


@pytest.mark.parametrize(
    ("limits", "labels", "refusal", "message"),
    [
        ((2, 3), ["A"], services.TooFewChoices, "Choose at least 2 options."),
        ((1, 3), [], services.TooFewChoices, "Choose at least one option."),
        ((1, 2), ["A", "B", "C"], services.TooManyChoices, "Choose at most 2 options."),
        ((1, 1), ["A", "B"], services.TooManyChoices, "Choose only one option."),
        ((2, 2), ["A", "B", "C"], services.TooManyChoices, "Choose at most 2 options."),
    ],
)
def test_a_ballot_outside_the_polls_limits_is_refused(user, limits, labels, refusal, message):
    poll = multiple_choice_poll(min_choices=limits[0], max_choices=limits[1])

    with pytest.raises(refusal) as caught:
        services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, *labels))

    assert caught.value.message == message
    assert not Ballot.objects.exists()
    assert set(counts(poll).values()) == {0}
    poll.refresh_from_db()
    assert (poll.ballot_count, poll.revision) == (0, 0)


def test_an_option_chosen_twice_is_refused(user):
    poll = multiple_choice_poll()
    (a,) = ids(poll, "A")

    with pytest.raises(services.DuplicateChoice) as caught:
        services.vote_cast(poll=poll, voter=user, option_ids=[a, a])

    assert caught.value.message == "Choose each option only once."
    assert not Ballot.objects.exists()
    assert counts(poll)["A"] == 0


@pytest.mark.parametrize("stranger", ["other-poll", 999_999, "abc", None, True, -4])
def test_a_ballot_with_one_option_outside_the_poll_is_refused_whole(user, stranger):
    poll = multiple_choice_poll()
    if stranger == "other-poll":
        stranger = PollFactory().options.first().pk

    with pytest.raises(services.OptionNotInPoll):
        services.vote_cast(poll=poll, voter=user, option_ids=[*ids(poll, "A", "B"), stranger])

    assert not Ballot.objects.exists()
    assert Option.objects.aggregate(total=Sum("votes"))["total"] == 0


def test_the_single_choice_form_is_refused_by_a_poll_that_takes_several(user):
    poll = multiple_choice_poll()

    with pytest.raises(services.ChoicesExpected):
        services.vote_cast(poll=poll, voter=user, option_id=ids(poll, "A")[0])

    assert not Ballot.objects.exists()
    assert counts(poll)["A"] == 0


def test_more_ids_than_any_poll_takes_are_refused_with_the_polls_own_limit(user):
    poll = multiple_choice_poll()

    with pytest.raises(services.TooManyChoices) as caught:
        services.vote_cast(poll=poll, voter=user, option_ids=list(range(1, 1000)))

    assert caught.value.message == "Choose at most 3 options."


def test_a_ballot_of_several_in_a_closed_or_unknown_poll_is_refused(user):
    poll = multiple_choice_poll()
    chosen = ids(poll, "A", "B")
    services.poll_close(poll=poll)

    with pytest.raises(services.PollClosed):
        services.vote_cast(poll=poll, voter=user, option_ids=chosen)
    with pytest.raises(services.PollNotFound):
        services.vote_cast(poll="AAAAAAAAAAA", voter=user, option_ids=chosen)
    with pytest.raises(services.PollNotFound):
        services.vote_cast(poll="AAAAAAAAAAA", voter=user, option_ids=[])
    assert set(counts(poll).values()) == {0}


def test_the_limits_are_read_from_the_polls_row_not_the_callers_copy(user):
    """A poll edited since the caller read it: the vote is judged by what the row says."""
    several, single = multiple_choice_poll(), multiple_choice_poll(max_choices=1)
    Poll.objects.filter(pk=several.pk).update(max_choices=1)
    Poll.objects.filter(pk=single.pk).update(min_choices=2, max_choices=3)

    with pytest.raises(services.TooManyChoices):
        services.vote_cast(poll=several, voter=user, option_ids=ids(several, "A", "B"))
    with pytest.raises(services.ChoicesExpected):
        services.vote_cast(poll=single, voter=user, option_id=ids(single, "A")[0])

    assert not Ballot.objects.exists()
    assert Option.objects.aggregate(total=Sum("votes"))["total"] == 0


def test_a_second_ballot_of_several_is_refused(user):
    poll = multiple_choice_poll()
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "B"))

    with pytest.raises(services.AlreadyVoted):
        services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "C", "D"))

    assert counts(poll) == {"A": 1, "B": 1, "C": 0, "D": 0}


def test_option_id_and_option_ids_together_are_a_programming_error(user, poll):
    with pytest.raises(TypeError):
        services.vote_cast(poll=poll, voter=user, option_id=1, option_ids=[1])


def test_removing_a_ballot_of_several_choices_takes_each_off(user, other_user):
    poll = multiple_choice_poll()
    Poll.objects.filter(pk=poll.pk).update(public_ballots=True)
    services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "A", "C", "D"))
    services.vote_cast(poll=poll, voter=other_user, option_ids=ids(poll, "A"))
    ballot = Ballot.objects.get(voter=user)

    assert services.ballot_remove(ballot=ballot) is True

    assert counts(poll) == {"A": 1, "B": 0, "C": 0, "D": 0}
    assert_counters_equal_choices(poll)
    entry = AuditEntry.objects.get()
    assert '"A", "C", "D"' in entry.details


def test_removing_a_secret_ballot_writes_no_choice_next_to_its_voter(user, poll):
    services.vote_cast(poll=poll, voter=user, option_id=poll.options.get(label="Option 2").pk)

    services.ballot_remove(ballot=Ballot.objects.get(voter=user))

    details = AuditEntry.objects.get().details
    assert "Option 2" not in details
    assert "a secret ballot" in details


def test_a_leaving_voters_ballots_of_several_choices_come_off_every_count(user, other_user):
    first, second = multiple_choice_poll(), multiple_choice_poll()
    for poll in (first, second):
        services.vote_cast(poll=poll, voter=user, option_ids=ids(poll, "B", "C"))
    services.vote_cast(poll=first, voter=other_user, option_ids=ids(first, "C"))

    assert services.voter_ballots_remove(voter_id=user.pk) == 2

    assert counts(first) == {"A": 0, "B": 0, "C": 1, "D": 0}
    assert set(counts(second).values()) == {0}
    assert_counters_equal_choices(first)
    assert_counters_equal_choices(second)
