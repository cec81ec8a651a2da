"""The admin's poll and ballot lists at scale: search, sorting and counts that read indexes and
counters instead of every row (polls/admin/polls.py, polls/admin/ballots.py)."""

import pytest
from django.urls import reverse

from polls import services
from polls.models import Poll

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

POLLS = reverse("admin:polls_poll_changelist")
BALLOTS = reverse("admin:polls_ballot_changelist")


def vote(poll, voter=None):
    option = poll.options.first()
    return services.vote_cast(poll=poll, voter=voter or UserFactory(), option_id=option.pk)


def listed(response) -> list[str]:
    return [str(row) for row in response.context["cl"].result_list]


def test_poll_search_finds_words_in_titles_or_authors_usernames(admin_client):
    PollFactory(title="Best lunch spot?", author=UserFactory(username="zed"))
    PollFactory(title="Tabs or spaces?", author=UserFactory(username="lunchlover"))
    PollFactory(title="Coffee or tea?", author=UserFactory(username="amy"))

    found = listed(admin_client.get(POLLS, {"q": "LUNCH"}))

    assert sorted(found) == ["Best lunch spot?", "Tabs or spaces?"]
    assert admin_client.get(POLLS, {"q": "lunch"}).context["cl"].result_count == 2


def test_poll_search_needs_every_word_somewhere(admin_client):
    PollFactory(title="Best lunch spot?", author=UserFactory(username="amy"))
    PollFactory(title="Best lunch spot ever?", author=UserFactory(username="bob"))

    assert listed(admin_client.get(POLLS, {"q": "lunch amy"})) == ["Best lunch spot?"]
    assert listed(admin_client.get(POLLS, {"q": '"spot ever"'})) == ["Best lunch spot ever?"]
    assert listed(admin_client.get(POLLS, {"q": "nobody"})) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [("6", ["ballot_count", "pk"]), ("-6", ["-ballot_count", "-pk"]), ("3", ["created_at", "pk"])],
)
def test_poll_list_breaks_ties_by_id_in_the_direction_of_the_column(admin_client, order, expected):
    """So each sortable column reads its (column, id) index: Django appends -pk either way."""
    response = admin_client.get(POLLS, {"o": order})

    assert list(response.context["cl"].queryset.query.order_by) == expected


def test_poll_list_sorts_only_by_columns_with_an_index(admin_client):
    PollFactory()
    response = admin_client.get(POLLS)
    assert response.context["cl"].sortable_by == ["created_at", "closes_at", "total_votes"]


def test_poll_list_sorted_by_votes_lists_ties_in_id_order(admin_client):
    polls = [PollFactory(title=f"Tie {number}?") for number in range(3)]
    vote(polls[1])

    ascending = listed(admin_client.get(POLLS, {"o": "6"}))
    descending = listed(admin_client.get(POLLS, {"o": "-6"}))

    assert ascending == ["Tie 0?", "Tie 2?", "Tie 1?"]
    assert descending == ascending[::-1]


def test_poll_list_counts_match_the_polls(admin_client):
    for _ in range(3):
        PollFactory()
    services.poll_close(poll=PollFactory())

    everything = admin_client.get(POLLS).context["cl"]
    closed = admin_client.get(POLLS, {"status": "closed"}).context["cl"]

    assert (everything.result_count, everything.full_result_count) == (4, 4)
    assert (closed.result_count, closed.full_result_count) == (1, 4)


@pytest.mark.parametrize(
    ("query", "expected"), [({}, 3), ({"status": "open"}, 2), ({"status": "closed"}, 1)]
)
def test_ballot_list_count_adds_up_the_polls_ballot_counts_exactly(admin_client, query, expected):
    busy, ended = PollFactory(), PollFactory()
    vote(busy)
    vote(busy)
    vote(ended)
    services.poll_close(poll=ended)

    cl = admin_client.get(BALLOTS, query).context["cl"]

    assert cl.result_count == expected == len(cl.result_list)


def test_ballot_list_filtered_otherwise_counts_the_ballots(admin_client):
    poll = PollFactory(title="Lunch?")
    vote(poll, UserFactory(username="amy"))
    vote(poll, UserFactory(username="bob"))

    cl = admin_client.get(BALLOTS, {"q": "amy"}).context["cl"]

    assert cl.result_count == 1
    assert [ballot.voter.username for ballot in cl.result_list] == ["amy"]


def test_ballot_list_is_newest_first_and_not_sortable(admin_client):
    poll = PollFactory()
    first, second = vote(poll), vote(poll)

    cl = admin_client.get(BALLOTS, {"o": "1"}).context["cl"]

    assert [ballot.voter_id for ballot in cl.result_list] == [second.voter_id, first.voter_id]
    assert cl.sortable_by == []
    assert Poll.objects.get().ballot_count == 2


def test_poll_list_ignores_a_sort_by_a_column_without_an_index(admin_client):
    response = admin_client.get(POLLS, {"o": "1.-6.x.99"})  # title, then votes, then junk

    assert response.status_code == 200
    assert list(response.context["cl"].queryset.query.order_by) == ["-ballot_count", "-pk"]
