"""Polls I voted in: the signed-in user's ballots, latest first, each with the poll, its
status, the choice and when it was cast; counts only where the visibility rule shows them."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import Ballot, Choice, Option, ResultsVisibility, user_identity

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

VOTED = reverse("polls:voted")


def vote(poll, voter, label: str | None = None):
    option = poll.options.get(label=label) if label else poll.options.first()
    return services.vote_cast(poll=poll, voter=voter, option_id=option.pk)


def titles(response) -> list[str]:
    return [voted.poll.title for voted in response.context["voted_polls"]]


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_page_needs_a_login(client):
    response = client.get(VOTED)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={VOTED}"


def test_the_header_links_to_it_next_to_my_polls_for_members_only(client, user):
    assert VOTED not in client.get(reverse("polls:index")).content.decode()

    client.force_login(user)
    html = client.get(VOTED).content.decode()

    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert nav.index(reverse("polls:mine")) < nav.index(VOTED)
    assert f'<a href="{VOTED}" aria-current="page">My votes</a>' in nav


def test_it_lists_the_polls_i_voted_in_latest_vote_first(signed_in, user):
    first, second, third = (PollFactory(title=f"Poll {n}?") for n in (1, 2, 3))
    PollFactory(title="Not voted?")
    vote(second, user)
    vote(first, user)
    vote(third, UserFactory())  # someone else's ballot
    Ballot.objects.filter(poll=second).update(cast_at=timezone.now() - timedelta(days=1))

    response = signed_in.get(VOTED)

    assert response.status_code == 200
    assert titles(response) == ["Poll 1?", "Poll 2?"]


def test_each_poll_shows_its_status_my_choice_and_when_i_voted(signed_in, user):
    open_poll = PollFactory(title="Lunch?", labels=["Pizza", "Sushi <raw>"])
    closed_poll = PollFactory(title="Dinner?")
    vote(open_poll, user, "Sushi <raw>")
    vote(closed_poll, user, "Option 2")
    services.poll_close(poll=closed_poll)

    html = signed_in.get(VOTED).content.decode()

    lunch = html[html.index("Lunch?") :]
    assert "You voted for <strong>Sushi &lt;raw&gt;</strong> <time" in lunch
    assert 'class="badge badge-open">Open</span>' in html
    assert 'class="badge badge-closed">Closed</span>' in html
    assert "You voted for <strong>Option 2</strong>" in html
    assert f'href="{open_poll.get_absolute_url()}"' in html


def test_several_choices_are_shown_in_the_polls_order(signed_in, user):
    """A ballot of several choices (multiple choice), as the database holds it."""
    poll = PollFactory(labels=["Red", "Green", "Blue"])
    ballot = Ballot.objects.create(poll=poll, voter=user, identity=user_identity(user.pk))
    blue, red = (
        Option.objects.get(poll=poll, label="Blue"),
        Option.objects.get(poll=poll, label="Red"),
    )
    Choice.objects.bulk_create(
        [
            Choice(ballot=ballot, poll=poll, option=blue),
            Choice(ballot=ballot, poll=poll, option=red),
        ]
    )

    html = signed_in.get(VOTED).content.decode()

    assert "You voted for <strong>Red, Blue</strong>" in html


def test_unlisted_polls_i_voted_in_are_listed(signed_in, user):
    poll = PollFactory(title="By link only?", unlisted=True)
    vote(poll, user)

    response = signed_in.get(VOTED)

    assert titles(response) == ["By link only?"]
    assert 'class="badge badge-unlisted">Unlisted</span>' in response.content.decode()


@pytest.mark.parametrize(
    ("visibility", "closed", "shown"),
    [
        (ResultsVisibility.ALWAYS, False, "2 votes so far."),
        (ResultsVisibility.AFTER_VOTE, False, "2 votes so far."),
        (ResultsVisibility.AFTER_CLOSE, False, "Results once the poll closes."),
        (ResultsVisibility.AFTER_CLOSE, True, "2 votes."),
        (ResultsVisibility.AUTHOR_ONLY, False, "Only the author sees the results."),
        (ResultsVisibility.AUTHOR_ONLY, True, "Only the author sees the results."),
    ],
)
def test_counts_follow_the_results_visibility_rule(signed_in, user, visibility, closed, shown):
    poll = PollFactory(results_visibility=visibility)
    vote(poll, user)
    vote(poll, UserFactory())
    if closed:
        services.poll_close(poll=poll)

    text = re.sub(r"<[^>]+>", "", signed_in.get(VOTED).content.decode())

    assert text.count(shown) == 1
    assert ("2 votes" in text) == shown.startswith("2 votes")


def test_the_author_sees_their_own_hidden_counts(client):
    author = UserFactory()
    poll = PollFactory(author=author, results_visibility=ResultsVisibility.AUTHOR_ONLY)
    vote(poll, author)
    client.force_login(author)

    html = client.get(VOTED).content.decode()

    assert "<strong>1</strong> vote so far." in html


def test_it_pages_twenty_at_a_time_newer_and_older(signed_in, user):
    polls = [PollFactory(title=f"Poll {n}?") for n in range(21)]
    now = timezone.now()
    for minutes, poll in enumerate(polls):
        vote(poll, user)
        Ballot.objects.filter(poll=poll).update(cast_at=now - timedelta(minutes=minutes))

    first = signed_in.get(VOTED)
    second = signed_in.get(VOTED, {"page": 2})

    assert titles(first) == [f"Poll {n}?" for n in range(20)]
    assert titles(second) == ["Poll 20?"]
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert 'rel="prev" href="?page=1"' in second.content.decode()
    assert signed_in.get(VOTED, {"page": 3}).status_code == 404
    assert signed_in.get(VOTED, {"page": "x"}).status_code == 404


def test_nobody_has_voted_yet_says_so(signed_in):
    html = signed_in.get(VOTED).content.decode()

    assert "You have not voted in any poll yet." in html


@pytest.mark.parametrize("hidden", [False, True])
def test_the_query_count_does_not_grow_with_polls(client, user, hidden):
    """Session, user, a page of ballots with their polls, their choices with options; and,
    when some count is hidden, the user's permissions once (two queries)."""
    visibility = ResultsVisibility.AFTER_CLOSE if hidden else ResultsVisibility.ALWAYS
    client.force_login(user)
    made = []
    for total in (3, 20):
        while Ballot.objects.filter(voter=user).count() < total:
            poll = PollFactory(results_visibility=visibility, unlisted=total % 2 == 0)
            vote(poll, user)
        client.get(VOTED)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(VOTED).context["voted_polls"]) == total
        made.append(len(queries))

    expected = 6 if hidden else 4
    assert made == [expected, expected]
