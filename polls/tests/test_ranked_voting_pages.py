"""A ranked poll's ballot on the poll page (templates/polls/_ranking_fields.html) and its rank
fields read by polls/views/voting.py, through Django's test client: what works with
JavaScript off is all the server ever sees."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import reverse

from polls import services
from polls.models import Ballot, Option, Poll

from .factories import PollFactory

pytestmark = pytest.mark.django_db

COUNTED = "Your vote is counted. Thank you!"
CHANGED = "Your vote is changed."


def ranked(**kwargs) -> Poll:
    """A ranked poll of Pizza, Sushi, Tacos and Curry."""
    return PollFactory(
        voting_method="ranked", labels=["Pizza", "Sushi", "Tacos", "Curry"], **kwargs
    )


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def pk(poll, label: str) -> int:
    return poll.options.get(label=label).pk


def ranks(poll, *labels) -> dict[str, str]:
    """The form's fields ranking `labels` 1, 2, 3…; every other option "Not ranked"."""
    fields = {f"rank_{option.pk}": "" for option in poll.options.all()}
    fields.update({f"rank_{pk(poll, label)}": str(n) for n, label in enumerate(labels, start=1)})
    return fields


def stored(poll, voter) -> list[str]:
    """The labels `voter`'s ballot ranks, best first."""
    ballot = Ballot.objects.get(poll=poll, voter=voter)
    return list(ballot.choices.order_by("rank").values_list("option__label", flat=True))


def counts(poll) -> dict[str, int]:
    return dict(Option.objects.filter(poll=poll).values_list("label", "votes"))


def url(name: str, poll) -> str:
    return reverse(f"polls:{name}", args=[poll.public_id])


def selected(html: str) -> dict[str, str]:
    """Each rank select's chosen value, by its option's label."""
    found = {}
    for label, select in re.findall(
        r'<label for="rank-\d+">([^<]+)</label>\s*(<select.*?</select>)', html, re.S
    ):
        chosen = re.search(r'<option value="(\d*)"[^>]* selected>', select)
        found[label] = chosen.group(1) if chosen else None
    return found


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


# --- The ballot on the page -----------------------------------------------------------------


def test_a_ranked_poll_asks_for_a_rank_per_option_and_says_how(signed_in):
    poll = ranked()

    response = signed_in.get(poll.get_absolute_url())

    html = response.content.decode()
    assert "Rank the options" in html
    assert "1 is your first choice" in html
    assert "Rank as many options as you like, at least one" in html
    assert 'type="radio"' not in html
    assert 'type="checkbox"' not in html
    assert "data-ranking-ballot" in html
    assert '<script src="/static/js/ranking.js" defer></script>' in html
    for option in poll.options.all():
        assert f'<label for="rank-{option.pk}">{option.label}</label>' in html
        assert f'<select name="rank_{option.pk}" id="rank-{option.pk}">' in html
    assert html.count('<option value="">Not ranked</option>') == 0  # preselected, below
    assert html.count('<option value="" selected>Not ranked</option>') == 4
    assert html.count('<option value="4">4</option>') == 4
    assert response.context["my_ranking"] == []


def test_where_every_option_must_be_ranked_there_is_no_not_ranked(signed_in):
    poll = ranked(rank_all=True)

    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "Rank every option." in html
    assert "Not ranked" not in html
    assert "data-rank-all" in html
    # Each select starts at a different rank, in the order the page lists the options.
    assert selected(html) == {"Pizza": "1", "Sushi": "2", "Tacos": "3", "Curry": "4"}


def test_a_voter_who_may_change_sees_their_ranking_preselected(signed_in, user):
    poll = ranked(allow_vote_change=True)
    services.vote_cast(poll=poll, voter=user, ranking=[pk(poll, "Tacos"), pk(poll, "Pizza")])

    response = signed_in.get(poll.get_absolute_url())

    assert response.context["my_ranking"] == [pk(poll, "Tacos"), pk(poll, "Pizza")]
    html = response.content.decode()
    assert "Change your vote</h2>" in html
    assert f'action="{url("vote-change", poll)}"' in html
    assert selected(html) == {"Pizza": "2", "Sushi": "", "Tacos": "1", "Curry": ""}


def test_a_visitor_who_may_not_vote_sees_the_ballot_disabled():
    poll = ranked()

    html = Client().get(poll.get_absolute_url()).content.decode()

    assert html.count('<select name="rank_') == 4
    assert html.count(" disabled>") == 4
    assert "Log in to vote" in html


def test_a_closed_poll_shows_no_ballot(signed_in):
    poll = ranked()
    services.poll_close(poll=poll)

    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "rank_" not in html
    assert "ranking.js" not in html


def test_a_single_choice_poll_has_no_rank_fields(signed_in, poll):
    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "rank_" not in html
    assert "data-ranking-ballot" not in html
    assert "ranking.js" not in html


@pytest.mark.parametrize("options", [2, 20])
def test_poll_page_query_count_with_a_ranked_ballot(
    client, user, django_assert_num_queries, options
):
    poll = PollFactory(
        voting_method="ranked",
        labels=[f"Choice {n}" for n in range(options)],
        allow_vote_change=True,
    )
    services.vote_cast(
        poll=poll, voter=user, ranking=list(poll.options.values_list("pk", flat=True))
    )
    client.force_login(user)
    # As for a ballot of several (test_voting_pages): session, user, poll with total, its
    # options, my ballot with its choices and their ranks; then, the results being visible to a
    # voter, the tally: its cache entry (the database cache here), missed, so the ranking
    # counts and the entry written.
    # Redis answers the cache outside the database.
    in_database = not isinstance(caches["default"], RedisCache)
    with django_assert_num_queries(6 + (2 if in_database else 0)):
        response = client.get(poll.get_absolute_url())
    assert len(response.context["my_ranking"]) == options
    # Cached: the entry read, no ranking count.
    with django_assert_num_queries(5 + (1 if in_database else 0)):
        client.get(poll.get_absolute_url())


# --- Casting and changing a ranking ---------------------------------------------------------


def test_a_ranking_by_rank_fields_is_stored_best_first(signed_in, user):
    poll = ranked()

    response = signed_in.post(url("vote", poll), ranks(poll, "Tacos", "Pizza", "Curry"))

    assert response.status_code == 302
    assert response.url == poll.get_absolute_url()
    assert flashes(response) == [COUNTED]
    assert stored(poll, user) == ["Tacos", "Pizza", "Curry"]
    # Counters hold first preferences.
    assert counts(poll) == {"Pizza": 0, "Sushi": 0, "Tacos": 1, "Curry": 0}


def test_the_order_of_the_fields_does_not_matter_only_their_ranks(signed_in, user):
    poll = ranked(rank_all=True)
    fields = {
        f"rank_{pk(poll, 'Curry')}": "2",
        f"rank_{pk(poll, 'Pizza')}": "4",
        f"rank_{pk(poll, 'Sushi')}": "1",
        f"rank_{pk(poll, 'Tacos')}": "3",
    }

    assert flashes(signed_in.post(url("vote", poll), fields)) == [COUNTED]
    assert stored(poll, user) == ["Sushi", "Curry", "Tacos", "Pizza"]


def test_changing_a_ranking_replaces_it(signed_in, user):
    poll = ranked(allow_vote_change=True)
    services.vote_cast(poll=poll, voter=user, ranking=[pk(poll, "Pizza"), pk(poll, "Sushi")])

    response = signed_in.post(url("vote-change", poll), ranks(poll, "Curry", "Sushi", "Pizza"))

    assert flashes(response) == [CHANGED]
    assert stored(poll, user) == ["Curry", "Sushi", "Pizza"]
    assert counts(poll) == {"Pizza": 0, "Sushi": 0, "Tacos": 0, "Curry": 1}


def test_a_refused_change_keeps_the_ranking_as_it_was(signed_in, user):
    poll = ranked(allow_vote_change=True)
    services.vote_cast(poll=poll, voter=user, ranking=[pk(poll, "Pizza"), pk(poll, "Sushi")])
    fields = ranks(poll, "Curry")
    fields[f"rank_{pk(poll, 'Tacos')}"] = "3"

    response = signed_in.post(url("vote-change", poll), fields)

    assert flashes(response) == [services.RankGap(2).message]
    assert stored(poll, user) == ["Pizza", "Sushi"]


# --- Rankings the server refuses ------------------------------------------------------------


def gap(poll):
    return {**ranks(poll, "Pizza"), f"rank_{pk(poll, 'Sushi')}": "3"}


def repeat(poll):
    return {**ranks(poll, "Pizza", "Sushi"), f"rank_{pk(poll, 'Tacos')}": "2"}


def not_a_number(poll):
    return {**ranks(poll), f"rank_{pk(poll, 'Pizza')}": "first"}


def nothing(poll):
    return ranks(poll)


def unknown_id(poll):
    return {**ranks(poll, "Pizza"), "rank_banana": "2"}


def another_polls_option(poll):
    other = PollFactory(voting_method="ranked", labels=["Elsewhere", "Nowhere"])
    return {**ranks(poll, "Pizza"), f"rank_{pk(other, 'Elsewhere')}": "2"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (gap, "Number your choices 1, 2, 3… without leaving a rank out. Rank 2 is missing."),
        (repeat, services.RankRepeated.message),
        (not_a_number, services.RankGap().message),
        (nothing, services.RankingEmpty.message),
        (unknown_id, services.OptionNotInPoll.message),
        (another_polls_option, services.OptionNotInPoll.message),
    ],
)
def test_a_ranking_with_gaps_repeats_or_unknown_options_is_refused(signed_in, fields, message):
    poll = ranked()

    response = signed_in.post(url("vote", poll), fields(poll))

    assert response.status_code == 302
    assert response.url == poll.get_absolute_url()
    assert flashes(response) == [message]
    assert not Ballot.objects.exists()
    assert counts(poll) == {"Pizza": 0, "Sushi": 0, "Tacos": 0, "Curry": 0}


def test_leaving_an_option_out_where_all_must_be_ranked_is_refused(signed_in):
    poll = ranked(rank_all=True)

    response = signed_in.post(url("vote", poll), ranks(poll, "Pizza", "Sushi", "Tacos"))

    assert flashes(response) == ["This poll asks you to rank all 4 options."]
    assert not Ballot.objects.exists()


def test_a_form_with_no_fields_at_all_asks_for_a_ranking(signed_in):
    poll = ranked()

    response = signed_in.post(url("vote", poll), {})

    assert flashes(response) == [services.RankingEmpty.message]
    assert not Ballot.objects.exists()


def test_a_choice_sent_to_a_ranked_poll_is_refused(signed_in):
    poll = ranked()

    response = signed_in.post(url("vote", poll), {"option": pk(poll, "Pizza")})

    assert flashes(response) == [services.RankingExpected.message]
    assert not Ballot.objects.exists()


def test_ranks_sent_to_a_choice_poll_are_refused(signed_in, poll):
    response = signed_in.post(url("vote", poll), {f"rank_{poll.options.first().pk}": "1"})

    assert flashes(response) == [services.RankingNotExpected.message]
    assert not Ballot.objects.exists()


def test_a_ranking_sent_to_a_closed_poll_is_refused(signed_in):
    poll = ranked()
    services.poll_close(poll=poll)

    response = signed_in.post(url("vote", poll), ranks(poll, "Pizza"))

    assert flashes(response) == [services.PollClosed.message]
    assert not Ballot.objects.exists()


def test_visitors_are_sent_to_log_in_before_their_ranking_is_read():
    poll = ranked()

    response = Client().post(url("vote", poll), ranks(poll, "Pizza"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={poll.get_absolute_url()}"
    assert not Ballot.objects.exists()


def test_a_ranked_vote_needs_the_csrf_token(user):
    poll = ranked()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(url("vote", poll), ranks(poll, "Pizza")).status_code == 403
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("options", [2, 20])
def test_ranked_vote_query_count_is_fixed(
    signed_in, database_cache, django_assert_num_queries, options
):
    poll = PollFactory(voting_method="ranked", labels=[f"Choice {n}" for n in range(options)])
    fields = {f"rank_{option.pk}": str(n) for n, option in enumerate(poll.options.all(), 1)}
    # Session, user, the votes throttle (read, upsert); reading the ranks costs nothing; then
    # vote_cast: savepoint, first preference counted, ballot, choices, the ranking's count, the
    # poll's counter, its options, release.
    with django_assert_num_queries(12):
        response = signed_in.post(url("vote", poll), fields)
    assert flashes(response) == [COUNTED]


def test_the_page_says_the_voters_ranking_in_its_order(signed_in, user):
    poll = ranked()
    signed_in.post(url("vote", poll), ranks(poll, "Tacos", "Pizza"))

    page = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "You ranked <strong>1. Tacos</strong>, <strong>2. Pizza</strong> on" in page


def test_a_rank_of_thousands_of_digits_is_a_form_error_not_a_500(signed_in, user):
    poll = ranked()
    fields = ranks(poll, "Pizza")
    fields[f"rank_{pk(poll, 'Sushi')}"] = "9" * 5000

    response = signed_in.post(url("vote", poll), fields)

    assert response.status_code == 302
    assert flashes(response) == [services.RankGap().message]
    assert not Ballot.objects.filter(poll=poll).exists()
