"""Ranked ballots in the domain: casting, changing, retracting and removing one keep the
first-preference counters, the ranking counts and the database's rank rules in step; the
tally is counted from the ranking counts, cached per revision, stored at the close."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from polls import services
from polls.models import Ballot, Choice, Poll, RankingCount, StoredTally

from ..factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(db):
    return PollFactory(voting_method="ranked", labels=["Ann", "Bob", "Cy", "Di"])


def ids(poll) -> dict[str, int]:
    return dict(poll.options.values_list("label", "pk"))


def counts(poll) -> dict[str, int]:
    return dict(poll.options.values_list("label", "votes"))


def rankings(poll) -> dict[str, int]:
    return dict(
        RankingCount.objects.filter(poll=poll, ballots__gt=0).values_list("ranking", "ballots")
    )


def cast(poll, *labels, voter=None):
    option = ids(poll)
    return services.vote_cast(
        poll=poll, voter=voter or UserFactory(), ranking=[option[label] for label in labels]
    )


def test_a_ranked_ballot_holds_its_ranks_and_counts_its_first_preference_only(ranked):
    option = ids(ranked)
    ballot = cast(ranked, "Cy", "Ann")

    assert list(ballot.choices.order_by("rank").values_list("option_id", "rank")) == [
        (option["Cy"], 1),
        (option["Ann"], 2),
    ]
    assert counts(ranked) == {"Ann": 0, "Bob": 0, "Cy": 1, "Di": 0}
    assert rankings(ranked) == {f"{option['Cy']},{option['Ann']}": 1}
    ranked.refresh_from_db()
    assert ranked.ballot_count == 1
    assert ballot.poll.ranking_of_user() == [option["Cy"], option["Ann"]]


def test_ballots_of_one_ranking_share_one_count_row(ranked):
    for _ in range(3):
        cast(ranked, "Bob", "Di")
    cast(ranked, "Di", "Bob")
    assert sorted(rankings(ranked).values()) == [1, 3]
    assert RankingCount.objects.filter(poll=ranked).count() == 2


@pytest.mark.parametrize(
    ("ranking", "refusal"),
    [
        ([], services.RankingEmpty),
        (["x"], services.OptionNotInPoll),
        ("12", services.OptionNotInPoll),
        ({"a": 1}, services.OptionNotInPoll),
        ([True], services.OptionNotInPoll),
        ([2**70], services.OptionNotInPoll),
        (list(range(1, 30)), services.OptionNotInPoll),
    ],
)
def test_rankings_that_are_no_list_of_ids_are_refused_before_any_write(
    ranked, user, ranking, refusal
):
    with pytest.raises(refusal):
        services.vote_cast(poll=ranked, voter=user, ranking=ranking)
    assert not Ballot.objects.exists()


def test_an_option_ranked_twice_is_refused(ranked, user):
    option = ids(ranked)
    with pytest.raises(services.RankRepeated):
        services.vote_cast(poll=ranked, voter=user, ranking=[option["Ann"], option["Ann"]])


def test_an_option_of_another_poll_is_refused_and_nothing_is_counted(ranked, user):
    other = PollFactory(voting_method="ranked")
    with pytest.raises(services.OptionNotInPoll):
        services.vote_cast(
            poll=ranked, voter=user, ranking=[ids(ranked)["Ann"], other.options.first().pk]
        )
    assert not Ballot.objects.exists()
    assert counts(ranked)["Ann"] == 0
    assert not RankingCount.objects.exists()


def test_a_poll_that_asks_for_every_option_refuses_a_partial_ranking(user):
    poll = PollFactory(voting_method="ranked", rank_all=True)
    option_ids = list(poll.options.values_list("pk", flat=True))
    with pytest.raises(services.RankAllRequired) as refused:
        services.vote_cast(poll=poll, voter=user, ranking=option_ids[:2])
    assert "all 3 options" in refused.value.message
    assert not RankingCount.objects.exists()
    services.vote_cast(poll=poll, voter=user, ranking=list(reversed(option_ids)))
    assert Ballot.objects.count() == 1


def test_a_ranking_sent_to_a_choosing_poll_and_choices_sent_to_a_ranked_one_are_refused(
    ranked, poll, user
):
    with pytest.raises(services.RankingNotExpected):
        services.vote_cast(poll=poll, voter=user, ranking=[poll.options.first().pk])
    with pytest.raises(services.RankingExpected):
        services.vote_cast(poll=ranked, voter=user, option_id=ids(ranked)["Ann"])
    with pytest.raises(services.RankingExpected):
        services.vote_cast(poll=ranked, voter=user, option_ids=[ids(ranked)["Ann"]])
    assert not Ballot.objects.exists()
    assert not RankingCount.objects.exists()


def test_a_ranked_vote_on_a_closed_poll_is_refused(user):
    poll = PollFactory(voting_method="ranked", closed_at=timezone.now())
    with pytest.raises(services.PollClosed):
        services.vote_cast(poll=poll, voter=user, ranking=[poll.options.first().pk])


def test_a_ranked_vote_takes_the_same_number_of_queries_as_a_multiple_choice_one(ranked, user):
    option = list(ids(ranked).values())
    with CaptureQueriesContext(connection) as queries:
        services.vote_cast(poll=ranked, voter=user, ranking=option[:3])
    # The choice vote's statements, plus the one upsert of the ranking's count.
    multiple = PollFactory(min_choices=1, max_choices=3)
    with CaptureQueriesContext(connection) as chosen:
        services.vote_cast(
            poll=multiple,
            voter=user,
            option_ids=list(multiple.options.values_list("pk", flat=True)),
        )
    assert len(queries) <= len(chosen) + 1


def test_changing_a_ranked_ballot_moves_the_counts(user):
    poll = PollFactory(voting_method="ranked", allow_vote_change=True, labels=["Ann", "Bob", "Cy"])
    option = ids(poll)
    cast(poll, "Ann", "Bob", voter=user)

    services.vote_change(
        poll=poll, voter=user, ranking=[option["Bob"], option["Cy"], option["Ann"]]
    )

    assert counts(poll) == {"Ann": 0, "Bob": 1, "Cy": 0}
    assert rankings(poll) == {f"{option['Bob']},{option['Cy']},{option['Ann']}": 1}
    ballot = Ballot.objects.get()
    assert list(ballot.choices.order_by("rank").values_list("option_id", flat=True)) == [
        option["Bob"],
        option["Cy"],
        option["Ann"],
    ]
    # The same first preference, a new order behind it: the counters stay.
    services.vote_change(poll=poll, voter=user, ranking=[option["Bob"]])
    assert counts(poll) == {"Ann": 0, "Bob": 1, "Cy": 0}
    assert rankings(poll) == {str(option["Bob"]): 1}


def test_a_ranked_ballot_cannot_be_changed_into_choices(user):
    poll = PollFactory(voting_method="ranked", allow_vote_change=True)
    first = poll.options.first().pk
    services.vote_cast(poll=poll, voter=user, ranking=[first])
    with pytest.raises(services.RankingExpected):
        services.vote_change(poll=poll, voter=user, option_id=first)


def test_retracting_a_ranked_ballot_takes_it_off_every_count(user):
    poll = PollFactory(voting_method="ranked", allow_vote_change=True, labels=["Ann", "Bob"])
    cast(poll, "Bob", "Ann", voter=user)
    services.vote_retract(poll=poll, voter=user)
    assert counts(poll) == {"Ann": 0, "Bob": 0}
    assert rankings(poll) == {}
    poll.refresh_from_db()
    assert poll.ballot_count == 0


def test_removing_ranked_ballots_keeps_the_counts_and_a_closed_polls_stored_tally(ranked):
    cast(ranked, "Ann", "Bob")
    cast(ranked, "Bob", "Ann")
    doomed = cast(ranked, "Bob", "Ann")
    services.poll_close(poll=ranked)
    ranked.refresh_from_db()
    assert StoredTally.objects.get(poll=ranked).revision == ranked.revision
    assert services.ranked_tally(poll=ranked).winners == (ids(ranked)["Bob"],)

    services.ballot_remove(ballot=doomed)

    ranked.refresh_from_db()
    assert counts(ranked)["Bob"] == 1
    stored = StoredTally.objects.get(poll=ranked)
    assert stored.revision == ranked.revision
    assert stored.tally["ballots"] == 2
    # 1 against 1, and no earlier round: a tie.
    assert set(services.ranked_tally(poll=ranked).winners) == {
        ids(ranked)["Ann"],
        ids(ranked)["Bob"],
    }


def test_deleting_an_account_takes_its_ranked_ballots_off_the_ranking_counts(ranked):
    voter = UserFactory()
    cast(ranked, "Cy", "Di", voter=voter)
    cast(ranked, "Cy", "Di")
    services.voter_ballots_remove(voter_id=voter.pk)
    assert list(rankings(ranked).values()) == [1]
    assert counts(ranked)["Cy"] == 1


def test_a_burst_of_ranked_ballots_comes_off_the_counts(challenge_off):
    poll = PollFactory(voting_method="ranked", voter_mode="open", labels=["Ann", "Bob"])
    option = ids(poll)
    for _ in range(3):
        services.vote_cast(
            poll=poll,
            voter=services.Voter(address="203.0.113.9"),
            ranking=[option["Ann"], option["Bob"]],
            challenge=None,
        )
    removed = services.ballots_remove_burst(ballots=Ballot.objects.all()[:1], by=None)
    assert removed == 3
    assert rankings(poll) == {}
    assert counts(poll) == {"Ann": 0, "Bob": 0}


def test_the_tally_reads_the_ranking_counts_once_then_the_cache(ranked):
    cast(ranked, "Ann")
    cast(ranked, "Ann")
    cast(ranked, "Bob", "Ann")
    cast(ranked, "Cy", "Ann")
    poll = Poll.objects.with_results().get(pk=ranked.pk)
    with CaptureQueriesContext(connection) as first:
        tally = services.ranked_tally(poll=poll)
    assert tally.winners == (ids(ranked)["Ann"],)
    assert [round.eliminated for round in tally.irv.rounds][:1] == [ids(ranked)["Di"]]
    ranking_reads = [q for q in first if "polls_rankingcount" in q["sql"]]
    assert len(ranking_reads) == 1
    with CaptureQueriesContext(connection) as again:
        assert services.ranked_tally(poll=poll) == tally
    assert not [q for q in again if "polls_rankingcount" in q["sql"]]


def test_a_reopened_poll_forgets_its_stored_tally(ranked, user):
    cast(ranked, "Ann")
    services.poll_close(poll=ranked)
    assert StoredTally.objects.filter(poll=ranked).exists()
    ranked.refresh_from_db()
    services.poll_reopen(
        poll=ranked, closes_at=timezone.now() + timedelta(days=1), by=ranked.author
    )
    assert not StoredTally.objects.filter(poll=ranked).exists()


def test_the_close_sweep_stores_the_tally_of_ranked_polls(ranked):
    cast(ranked, "Di", "Ann")
    now = timezone.now()
    Poll.objects.filter(pk=ranked.pk).update(
        created_at=now - timedelta(days=1), closes_at=now - timedelta(seconds=1)
    )
    services.polls_close_due()
    ranked.refresh_from_db()
    stored = StoredTally.objects.get(poll=ranked)
    assert stored.revision == ranked.revision
    assert stored.tally["winners"] == [ids(ranked)["Di"]]


def test_the_outcome_names_the_instant_runoff_winner_not_the_plurality_leader():
    poll = PollFactory(voting_method="ranked", labels=["Ann", "Bob", "Cy"])
    # Ann leads on first preferences (4), but Cy's 2 ballots go to Bob, who wins 5 to 4.
    for _ in range(4):
        cast(poll, "Ann")
    for _ in range(3):
        cast(poll, "Bob")
    for _ in range(2):
        cast(poll, "Cy", "Bob")
    services.poll_close(poll=poll)
    poll = Poll.objects.with_results().get(pk=poll.pk)
    outcome = services.poll_outcome(poll=poll)
    assert [leader.label for leader in outcome.leaders] == ["Bob"]
    assert services.outcome_sentence(outcome) == (
        "“Bob” won by instant-runoff in round 2, with 5 of 9 continuing ballots (55.6%)."
    )
    assert counts(poll) == {"Ann": 4, "Bob": 3, "Cy": 2}


def test_the_ballots_for_a_recount_are_the_rankings_alone_shuffled(ranked):
    option = ids(ranked)
    for _ in range(5):
        cast(ranked, "Ann", "Bob")
    cast(ranked, "Di")
    ballots = services.ballots_for_recount(poll=ranked)
    assert Counter(tuple(ballot) for ballot in ballots) == {
        (option["Ann"], option["Bob"]): 5,
        (option["Di"],): 1,
    }


# --- the database's rules ---------------------------------------------------------------------


def ballot_of(poll):
    return Ballot.objects.create(
        poll=poll, voter=UserFactory(), identity=f"user:{UserFactory().pk}"
    )


def test_the_database_refuses_a_rank_given_twice_on_one_ballot(ranked):
    ballot = Ballot.objects.create(poll=ranked, identity="open:x")
    first, second = ranked.options.all()[:2]
    Choice.objects.create(ballot=ballot, poll=ranked, option=first, rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(ballot=ballot, poll=ranked, option=second, rank=1)


def test_the_database_refuses_ranks_with_a_gap(ranked):
    ballot = Ballot.objects.create(poll=ranked, identity="open:y")
    first, second = ranked.options.all()[:2]
    Choice.objects.create(ballot=ballot, poll=ranked, option=first, rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        gapped_rank_then_checked(ballot, ranked, second)


def gapped_rank_then_checked(ballot, poll, option):
    Choice.objects.create(ballot=ballot, poll=poll, option=option, rank=3)
    if connection.vendor == "postgresql":  # checked at the commit there: check now
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_database_refuses_a_rank_of_zero(ranked):
    ballot = Ballot.objects.create(poll=ranked, identity="open:z")
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(ballot=ballot, poll=ranked, option=ranked.options.first(), rank=0)


def test_chosen_ballots_keep_their_own_rule_several_choices_without_ranks(user):
    poll = PollFactory(min_choices=1, max_choices=3)
    services.vote_cast(
        poll=poll, voter=user, option_ids=list(poll.options.values_list("pk", flat=True))
    )
    assert list(Choice.objects.values_list("rank", flat=True)) == [None, None, None]


def test_the_database_refuses_a_ranked_poll_with_choice_limits_or_rank_all_on_a_choosing_one():
    with pytest.raises(IntegrityError), transaction.atomic():
        PollFactory(voting_method="ranked", max_choices=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        PollFactory(rank_all=True)


# --- creating ------------------------------------------------------------------------------


def test_poll_create_makes_a_ranked_poll_and_refuses_limits_on_one(user):
    poll = services.poll_create(
        author=user,
        title="Lunch?",
        option_labels=["A", "B", "C"],
        voting_method="ranked",
        rank_all=True,
    )
    assert poll.is_ranked
    assert poll.rank_all
    with pytest.raises(ValidationError) as refused:
        services.poll_create(
            author=user,
            title="Lunch?",
            option_labels=["A", "B"],
            voting_method="ranked",
            max_choices=2,
        )
    assert "max_choices" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.poll_create(author=user, title="Lunch?", option_labels=["A", "B"], rank_all=True)
    assert "rank_all" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.poll_create(
            author=user, title="Lunch?", option_labels=["A", "B"], voting_method="borda"
        )
    assert "voting_method" in refused.value.message_dict


def test_a_rank_of_thousands_of_digits_is_a_gap_not_a_crash():
    with pytest.raises(services.RankGap):
        services.ranking_from_ranks({"1": "9" * 5000})


def test_editing_a_closed_ranked_poll_stores_its_tally_again(ranked):
    cast(ranked, "Ann")
    services.poll_close(poll=ranked)
    ranked.refresh_from_db()
    services.poll_edit(poll=ranked, by=ranked.author, description="Lunch on Friday.")
    ranked.refresh_from_db()
    assert StoredTally.objects.get(poll=ranked).revision == ranked.revision


@pytest.mark.postgres  # SQLite checks ranks as they are written, not deletions
def test_the_database_refuses_a_deletion_that_leaves_a_gap(ranked):
    ballot = Ballot.objects.create(poll=ranked, identity="open:w")
    first, second, third = ranked.options.all()[:3]
    for rank, option in enumerate([first, second, third], start=1):
        Choice.objects.create(ballot=ballot, poll=ranked, option=option, rank=rank)
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.filter(ballot=ballot, rank=2).delete()
    # A whole ballot's choices deleted together leave no gap.
    Choice.objects.filter(ballot=ballot).delete()
    assert not Choice.objects.filter(ballot=ballot).exists()
