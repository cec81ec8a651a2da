"""Ranked ballots at the same instant from many connections (PostgreSQL, real threads): votes,
changes, retractions, removals and a close racing each other leave every option counter equal
to its first preferences, each ranking's count equal to the ballots holding it, every ballot's
ranks gapless, and a closed poll's stored tally equal to its ballots; and no deadlock (the one
lock order: options by id, the ballot, the ranking count's row, the poll)."""

import threading
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction

from polls import services
from polls.models import Ballot, Choice, Poll, RankingCount, StoredTally, ranking_key

from .factories import PollFactory, UserFactory, staff_with
from .test_concurrency_ballots import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LABELS = ["Ann", "Bob", "Cy", "Di", "Ed"]


@pytest.fixture
def ranked():
    return PollFactory(voting_method="ranked", labels=LABELS, allow_vote_change=True)


def rankings_of(poll) -> list[list[int]]:
    """A few distinct rankings of `poll`'s options, of several lengths and first preferences."""
    a, b, c, d, e = poll.options.order_by("position").values_list("pk", flat=True)
    return [[a, b, c], [b, a], [c], [a, c, b, d, e], [d, e, a]]


def assert_ranked_counts_exact(poll) -> Counter:
    """Every count a ranked ballot keeps, against the ballots' own choices: option counters
    equal first preferences, the ballot count equals the ballots, each ranking's count equals
    the ballots holding it, and each ballot's ranks are 1 to its number of choices. Returns
    {ranking key: ballots} as the choices say."""
    poll.refresh_from_db()
    ranks: dict[int, dict[int, int]] = {}
    for ballot_id, option_id, rank in Choice.objects.filter(poll=poll).values_list(
        "ballot_id", "option_id", "rank"
    ):
        ranks.setdefault(ballot_id, {})[rank] = option_id
    ballots = set(Ballot.objects.filter(poll=poll).values_list("pk", flat=True))
    assert set(ranks) == ballots  # no ballot without choices
    for held in ranks.values():
        assert sorted(held) == list(range(1, len(held) + 1)), held
    first = Counter(held[1] for held in ranks.values())
    counters = dict(poll.options.values_list("pk", "votes"))
    assert counters == {pk: first.get(pk, 0) for pk in counters}
    assert poll.ballot_count == len(ballots)
    held_rankings = Counter(
        ranking_key(held[rank] for rank in sorted(held)) for held in ranks.values()
    )
    counted = dict(RankingCount.objects.filter(poll=poll).values_list("ranking", "ballots"))
    assert {key: n for key, n in counted.items() if n} == dict(held_rankings)
    assert sum(counted.values()) == len(ballots)
    return held_rankings


def test_20_ranked_ballots_at_once_are_20_ballots_counted_on_their_first_preferences(ranked):
    rankings = rankings_of(ranked)
    sent = [rankings[n % len(rankings)] for n in range(20)]
    voters = UserFactory.create_batch(20)
    outcomes = run_at_once(
        [
            (lambda v=voter, r=ranking: services.vote_cast(poll=ranked, voter=v, ranking=r))
            for voter, ranking in zip(voters, sent, strict=True)
        ]
    )
    assert outcomes == ["done"] * 20
    held = assert_ranked_counts_exact(ranked)
    assert held == Counter(ranking_key(ranking) for ranking in sent)
    assert ranked.ballot_count == 20
    assert dict(ranked.options.values_list("pk", "votes")) == {
        pk: sum(1 for ranking in sent if ranking[0] == pk)
        for pk in ranked.options.values_list("pk", flat=True)
    }


def test_one_voter_sending_20_ranked_votes_at_once_casts_one_ballot(ranked):
    rankings = rankings_of(ranked)
    voter = UserFactory()
    outcomes = run_at_once(
        [
            (lambda n=n: services.vote_cast(poll=ranked, voter=voter, ranking=rankings[n % 5]))
            for n in range(20)
        ]
    )
    assert Counter(outcomes) == {"done": 1, "AlreadyVoted": 19}
    assert assert_ranked_counts_exact(ranked).total() == 1


def test_ranked_votes_changes_and_retractions_racing_keep_every_count_exact(ranked):
    """Two changes of one ballot at once, a change racing its retraction, two retractions of
    one ballot at once, and new votes beside them: each ends done or refused, never
    deadlocked, and the counts follow whichever won."""
    rankings = rankings_of(ranked)
    settled = UserFactory.create_batch(20)
    for n, voter in enumerate(settled):
        services.vote_cast(poll=ranked, voter=voter, ranking=rankings[n % 5])
    newcomers = UserFactory.create_batch(10)

    def cast(voter, ranking):
        return lambda: services.vote_cast(poll=ranked, voter=voter, ranking=ranking)

    def change(voter, ranking):
        return lambda: services.vote_change(poll=ranked, voter=voter, ranking=ranking)

    def retract(voter):
        return lambda: services.vote_retract(poll=ranked, voter=voter)

    actions = []
    for n, voter in enumerate(settled[:8]):
        actions += [change(voter, rankings[(n + 1) % 5]), change(voter, rankings[(n + 2) % 5])]
    for n, voter in enumerate(settled[8:14]):
        actions += [change(voter, rankings[(n + 3) % 5]), retract(voter)]
    for voter in settled[14:]:
        actions += [retract(voter), retract(voter)]
    for n, voter in enumerate(newcomers):
        actions += [cast(voter, rankings[n % 5]), change(voter, rankings[(n + 1) % 5])]
    outcomes = run_at_once(actions)

    assert set(outcomes) <= {"done", "NotVoted"}, Counter(outcomes)
    assert outcomes.count("NotVoted") >= 6  # one of each pair of retractions
    assert_ranked_counts_exact(ranked)
    for n, voter in enumerate(settled[:8]):  # one of the two changes was last
        held = list(
            Choice.objects.filter(ballot__voter=voter).order_by("rank").values_list("option_id")
        )
        assert [option for (option,) in held] in (rankings[(n + 1) % 5], rankings[(n + 2) % 5])
    assert not Ballot.objects.filter(voter__in=settled[14:]).exists()
    assert Ballot.objects.filter(voter__in=newcomers).count() == 10


def test_ballot_removals_racing_new_ranked_votes_keep_the_counts_exact(ranked):
    rankings = rankings_of(ranked)
    for n, voter in enumerate(UserFactory.create_batch(10)):
        services.vote_cast(poll=ranked, voter=voter, ranking=rankings[n % 5])
    staff = staff_with("polls.delete_ballot")
    doomed = list(Ballot.objects.filter(poll=ranked).order_by("id")[:5])
    removed = []
    actions = [
        (lambda b=ballot: removed.append(services.ballot_remove(ballot=b, by=staff)))
        for ballot in doomed + doomed[:2]  # two ballots are removed twice at once
    ]
    actions += [
        (lambda v=voter, n=n: services.vote_cast(poll=ranked, voter=v, ranking=rankings[n % 5]))
        for n, voter in enumerate(UserFactory.create_batch(15))
    ]
    assert set(run_at_once(actions)) == {"done"}
    assert Counter(removed) == {True: 5, False: 2}
    assert assert_ranked_counts_exact(ranked).total() == 20


def test_a_close_racing_ranked_votes_stores_the_tally_of_exactly_the_ballots_counted(ranked):
    rankings = rankings_of(ranked)
    for n, voter in enumerate(UserFactory.create_batch(5)):
        services.vote_cast(poll=ranked, voter=voter, ranking=rankings[n % 5])
    counted = threading.Semaphore(0)

    def vote(voter, ranking):
        services.vote_cast(poll=ranked, voter=voter, ranking=ranking)
        counted.release()

    def close():
        # Once a few votes are in, so that the close lands among the others.
        for _ in range(3):
            counted.acquire(timeout=30)
        services.poll_close(poll=ranked, by=ranked.author)

    actions = [close]
    actions += [
        (lambda v=voter, n=n: vote(v, rankings[n % 5]))
        for n, voter in enumerate(UserFactory.create_batch(30))
    ]
    outcomes = run_at_once(actions)

    assert set(outcomes) <= {"done", "PollClosed"}, Counter(outcomes)
    assert outcomes.count("done") >= 4  # the close and the votes it waited for
    held = assert_ranked_counts_exact(ranked)
    assert ranked.ballot_count == 5 + outcomes.count("done") - 1
    stored = StoredTally.objects.get(poll=ranked)
    assert (stored.revision, stored.tally["ballots"]) == (ranked.revision, ranked.ballot_count)
    tally = services.ranked_tally(poll=Poll.objects.with_results().get(pk=ranked.pk))
    assert tally.ballots == held.total() == ranked.ballot_count
    assert tally.irv.rounds[0].continuing + tally.irv.rounds[0].exhausted == tally.ballots


def ballot_written(poll, identity: str, options, ranks, written: list) -> Ballot:
    """A ballot of `options` with `ranks`, its choices inserted raw, each statement noted in
    `written` once the database took it, in one transaction."""
    with transaction.atomic():
        ballot = Ballot.objects.create(poll=poll, identity=identity)
        with connection.cursor() as cursor:
            for option, rank in zip(options, ranks, strict=True):
                cursor.execute(
                    "INSERT INTO polls_choice (ballot_id, poll_id, option_id, rank)"
                    " VALUES (%s, %s, %s, %s)",
                    [ballot.pk, poll.pk, option.pk, rank],
                )
                written.append(rank)
    return ballot


def test_the_deferred_gapless_check_refuses_ranks_1_and_3_at_the_commit(ranked):
    """Raw inserts of ranks 1 and 3 are each taken (the trigger is deferred, so a ballot may be
    written in any order within its transaction); the commit is refused and leaves nothing."""
    first, _, third = ranked.options.order_by("position")[:3]
    written = []
    with pytest.raises(IntegrityError, match="not 1 to its count"):
        ballot_written(ranked, "open:gapped", [first, third], [1, 3], written)
    assert written == [1, 3]
    assert not Ballot.objects.filter(poll=ranked).exists()
    assert not Choice.objects.filter(poll=ranked).exists()

    # Out of order, but gapless at the commit: taken.
    ballot = ballot_written(ranked, "open:any-order", [third, first], [2, 1], [])
    assert list(ballot.choices.order_by("rank").values_list("option_id", flat=True)) == [
        first.pk,
        third.pk,
    ]
