"""polls/services/results.py: counts and percentages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from polls import services
from polls.models import Option, Poll

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


# --- poll_results -------------------------------------------------------------------------


def test_poll_results_give_counts_percentages_and_total(poll):
    voters = UserFactory.create_batch(3)
    first, second, _ = poll.options.all()
    for voter, option in zip(voters, [first, first, second], strict=True):
        services.vote_cast(poll=poll, voter=voter, option_id=option.pk)

    results = services.poll_results(poll=Poll.objects.with_results().get(pk=poll.pk))

    assert results.total_votes == 3
    assert [(r.label, r.votes, r.percent) for r in results.options] == [
        ("Option 1", 2, 66.7),
        ("Option 2", 1, 33.3),
        ("Option 3", 0, 0.0),
    ]


def test_poll_results_without_votes_are_all_zero(poll):
    results = services.poll_results(poll=poll)
    assert results.total_votes == 0
    assert {r.percent for r in results.options} == {0.0}


def test_poll_results_read_counters_and_never_count_ballots(poll):
    """The cost of reading results does not depend on how many ballots exist."""
    Option.objects.filter(poll=poll).update(votes=1_000_000)
    Poll.objects.filter(pk=poll.pk).update(ballot_count=3_000_000)
    with CaptureQueriesContext(connection) as captured:
        results = services.poll_results(poll=Poll.objects.with_results().get(pk=poll.pk))
    assert results.total_votes == 3_000_000
    assert len(captured) == 2  # the poll with its author and ballot count, then its options
    assert not any("polls_ballot" in query["sql"] for query in captured.captured_queries)
