"""A ranked poll's results on its page: first choices (never a plurality "winner"), instant-runoff
round by round with eliminations, transfers, exhausted ballots and broken ties, the head-to-head
table and the Condorcet and Schulze view; none of it where the results are hidden; and the
queries it costs."""

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from polls import services
from polls.models import Poll, ResultsVisibility
from polls.ranked_results import transfers_sentence

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

# Wikipedia's Tennessee capital example: IRV elects Knoxville, the Condorcet winner is Nashville.
TENNESSEE_LABELS = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
TENNESSEE = {
    ("Memphis", "Nashville", "Chattanooga", "Knoxville"): 42,
    ("Nashville", "Chattanooga", "Knoxville", "Memphis"): 26,
    ("Chattanooga", "Knoxville", "Nashville", "Memphis"): 15,
    ("Knoxville", "Chattanooga", "Nashville", "Memphis"): 17,
}


def ranked_poll(labels, ballots: dict[tuple[str, ...], int], *, closed=True, **fields) -> Poll:
    """A ranked poll of `labels` with `ballots` ({ranking as labels: how many}) really cast,
    its results shown to everyone unless `fields` say otherwise."""
    fields.setdefault("results_visibility", ResultsVisibility.ALWAYS)
    poll = PollFactory(voting_method="ranked", labels=labels, **fields)
    ids = dict(poll.options.values_list("label", "pk"))
    for ranking, count in ballots.items():
        for _ in range(count):
            services.vote_cast(
                poll=poll, voter=UserFactory(), ranking=[ids[label] for label in ranking]
            )
    if closed:
        services.poll_close(poll=poll)
    poll.refresh_from_db()
    return poll


SAME = "—the same option"  # the diagonal: a dash shown, words for screen readers


@pytest.fixture
def tennessee(db):
    return ranked_poll(TENNESSEE_LABELS, TENNESSEE)


def text_of(html: str) -> str:
    return " ".join(strip_tags(html).split())


def page(client, poll) -> str:
    response = client.get(poll.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def round_blocks(html: str) -> list[str]:
    section = html.split('<ol class="irv-rounds">', 1)[1].split("</ol>", 1)[0]
    return [text_of(block) for block in section.split('<li class="irv-round">')[1:]]


def matrix_rows(html: str) -> list[list[str]]:
    table = html.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


# --- Tennessee ---------------------------------------------------------------------------------


def test_tennessee_shows_each_round_with_its_ballots_eliminations_and_transfers(client, tennessee):
    html = page(client, tennessee)
    first, second, last = round_blocks(html)

    assert first.startswith("Round 1")
    for part in (
        "Memphis 42 ballots · 42%",
        "Nashville 26 ballots · 26%",
        "Chattanooga ✕ eliminated 15 ballots · 15%",
        "Knoxville 17 ballots · 17%",
        "100 continuing ballots.",
        "“Chattanooga” is eliminated. Where its ballots went: 15 to “Knoxville”.",
    ):
        assert part in first
    assert "Chattanooga" not in second.split("continuing")[0]
    assert "Nashville ✕ eliminated 26 ballots · 26%" in second
    assert "Knoxville 32 ballots · 32%" in second
    assert "Where its ballots went: 26 to “Knoxville”." in second
    assert "Memphis 42 ballots · 42%" in last
    assert "Knoxville ★ winner 58 ballots · 58%" in last
    assert "“Knoxville” has more than half of the continuing ballots and wins." in last
    assert "★ “Knoxville” won by instant-runoff in round 3" in text_of(html)


def test_tennessee_head_to_head_names_nashville_the_condorcet_winner(client, tennessee):
    html = page(client, tennessee)
    text = text_of(html)

    header, memphis, nashville, chattanooga, knoxville = matrix_rows(html)
    assert header == ["", "over Memphis", "over Nashville", "over Chattanooga", "over Knoxville"]
    # A winning pairing is bold, and says so to a screen reader.
    assert nashville == ["Nashville", "58 (wins)", SAME, "68 (wins)", "68 (wins)"]
    assert memphis == ["Memphis", SAME, "42", "42", "42"]
    assert chattanooga[3] == SAME
    assert knoxville[:4] == ["Knoxville", "58 (wins)", "32", "17"]
    assert "Condorcet winner: “Nashville” (beats every other option head to head)." in text
    schulze = html.split("data-schulze>", 1)[1].split("</ol>", 1)[0]
    assert re.findall(r"<li>(.*?)</li>", schulze) == [
        "Nashville",
        "Chattanooga",
        "Knoxville",
        "Memphis",
    ]
    assert '<th scope="col">' in html
    assert '<th scope="row">Nashville</th>' in html
    assert (
        "<caption><span>Voters preferring the row’s option over the column’s</span></caption>"
        in html
    )
    assert 'class="table-scroll matrix-scroll" tabindex="0" role="region"' in html


def test_first_preferences_are_first_choices_and_no_plurality_winner(client, tennessee):
    html = page(client, tennessee)
    first_choices = text_of(html.split('id="first-choices-title"', 1)[1].split("</ol>", 1)[0])

    assert "Memphis 42 first choices · 42%" in first_choices
    assert "Chattanooga 15 first choices · 15%" in first_choices
    assert "winner" not in first_choices  # Memphis leads on first choices and does not win
    assert "100 ballots in total." in text_of(html)
    assert "vote" not in first_choices


def test_the_tie_rule_is_stated_in_a_details(client, tennessee):
    html = page(client, tennessee)
    details = html.split('<details class="tie-rule">', 1)[1].split("</details>", 1)[0]
    assert "<summary>How ties are broken</summary>" in details
    assert text_of(services.TIE_RULE) in text_of(details).replace("&quot;", '"')


def test_the_viewers_first_choice_is_marked(client):
    poll = ranked_poll(["Ann", "Bob", "Cy"], {("Ann", "Bob"): 2}, closed=False)
    voter = UserFactory()
    ids = dict(poll.options.values_list("label", "pk"))
    services.vote_cast(poll=poll, voter=voter, ranking=[ids["Bob"], ids["Ann"]])
    client.force_login(voter)

    html = page(client, poll)

    assert text_of(html).count("your first choice") == 1
    assert f'class="result is-mine" data-option-id="{ids["Bob"]}"' in html


# --- Exhausted ballots, ties ---------------------------------------------------------------------


def test_exhausted_ballots_are_counted_and_shown(client):
    poll = ranked_poll(
        ["Ann", "Bob", "Cy"], {("Ann",): 4, ("Bob",): 3, ("Cy",): 1, ("Cy", "Ann"): 1}
    )
    first, last = round_blocks(page(client, poll))

    assert "“Cy” is eliminated. Where its ballots went: 1 to “Ann”, 1 exhausted." in first
    assert "9 continuing ballots." in first
    assert "Ann ★ winner 5 ballots · 62.5%" in last  # of the 8 continuing ballots
    assert "8 continuing ballots, 1 exhausted so far." in last


def test_a_tie_broken_by_an_earlier_round_says_so(client):
    # Round 1: Ann 5, Bob 4, Cy 3, Di 2 → Di out; round 2: Ann 6, Bob 4, Cy 4 → Cy had fewer
    # in round 1.
    poll = ranked_poll(
        ["Ann", "Bob", "Cy", "Di"],
        {("Ann",): 5, ("Bob",): 4, ("Cy",): 3, ("Di", "Cy"): 1, ("Di", "Ann"): 1},
    )
    second = round_blocks(page(client, poll))[1]

    assert (
        "“Cy” is eliminated: it was tied for the fewest ballots with “Bob”, and the tie was broken "
        "by an earlier round." in second
    )


def test_a_tie_broken_by_a_draw_says_so(client):
    # Bob and Cy tie for the fewest in round 1: no earlier round, so a draw.
    poll = ranked_poll(
        ["Ann", "Bob", "Cy", "Di"], {("Ann",): 2, ("Bob", "Ann"): 1, ("Cy", "Ann"): 1, ("Di",): 2}
    )
    first = round_blocks(page(client, poll))[0]

    assert re.search(
        "“(Bob|Cy)” is eliminated: it was tied for the fewest ballots with “(Bob|Cy)”", first
    )
    assert "the tie was broken by a draw." in first
    assert "Where its ballots went: 1 to “Ann”." in first


def test_a_tie_all_the_way_marks_both_and_says_it_is_a_tie(client):
    poll = ranked_poll(["Ann", "Bob"], {("Ann", "Bob"): 2, ("Bob", "Ann"): 2})
    html = page(client, poll)
    (only,) = round_blocks(html)

    assert "Ann ★ tied first 2 ballots · 50%" in only
    assert "Bob ★ tied first 2 ballots · 50%" in only
    assert "the poll is a tie." in only
    assert "No Condorcet winner: no option beats every other one head to head." in text_of(html)
    schulze = html.split("data-schulze>", 1)[1].split("</ol>", 1)[0]
    assert re.findall(r"<li>(.*?)</li>", schulze) == ["Ann = Bob"]


def test_no_ballots_show_no_rounds(client):
    poll = ranked_poll(["Ann", "Bob"], {}, closed=False)
    html = page(client, poll)
    assert "0 ballots in total so far." in text_of(html)
    assert "Instant-runoff, round by round" not in html
    assert "Head to head" not in html


def test_transfers_are_in_the_authors_order_with_the_exhausted_last():
    labels = {3: "Cy", 1: "Ann", 2: "Bob"}
    assert transfers_sentence({None: 2, 2: 1, 3: 4}, labels) == "4 to “Cy”, 1 to “Bob”, 2 exhausted"
    assert transfers_sentence({}, labels) == ""


# --- Hidden results -----------------------------------------------------------------------------


def test_hidden_results_show_no_rounds_and_no_matrix(client):
    poll = ranked_poll(
        ["Ann", "Bob"],
        {("Ann", "Bob"): 3, ("Bob", "Ann"): 2},
        closed=False,
        results_visibility=ResultsVisibility.AFTER_CLOSE,
    )
    html = page(client, poll)

    assert "Instant-runoff" not in html
    assert "matrix" not in html
    assert "data-votes" not in html  # no first-choice count (the ballot still says what rank 1 is)
    assert "Ann = Bob" not in html


# --- Live updates -------------------------------------------------------------------------------


def test_the_page_carries_what_the_live_update_needs(client):
    poll = ranked_poll(["Ann", "Bob"], {("Ann", "Bob"): 1}, closed=False)
    html = page(client, poll)
    assert "data-live" in html
    assert "data-ranked" in html
    assert "data-ranked-stale hidden" in html
    assert f'href="{poll.get_absolute_url()}" data-reload' in html


# --- Queries ------------------------------------------------------------------------------------


def queries(client, url, django_assert_num_queries, expected):
    client.get(url)  # warm the session, the content types, the cache
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.fixture
def memory_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_a_closed_ranked_poll_page_costs_what_a_choice_polls_does(
    client, memory_cache, django_assert_num_queries
):
    """The stored tally comes with the poll: poll, its options; then the anonymous viewer's
    nothing more (the closed poll's tally is not counted again)."""
    choice = PollFactory(labels=["Ann", "Bob"])
    services.vote_cast(poll=choice, voter=UserFactory(), option_id=choice.options.first().pk)
    services.poll_close(poll=choice)
    ranked = ranked_poll(["Ann", "Bob"], {("Ann", "Bob"): 3, ("Bob",): 2})

    client.get(choice.get_absolute_url())
    with django_assert_num_queries(2) as captured:
        client.get(choice.get_absolute_url())
    choice_queries = len(captured)
    with django_assert_num_queries(choice_queries):
        assert client.get(ranked.get_absolute_url()).status_code == 200


def test_an_open_ranked_poll_page_reads_the_ranking_counts_once_then_the_cache(
    client, memory_cache, django_assert_num_queries
):
    choice = PollFactory(labels=["Ann", "Bob"])
    services.vote_cast(poll=choice, voter=UserFactory(), option_id=choice.options.first().pk)
    ranked = ranked_poll(["Ann", "Bob"], {("Ann", "Bob"): 3, ("Bob",): 2}, closed=False)
    client.get(choice.get_absolute_url())
    with django_assert_num_queries(2) as captured:  # the poll, its options
        client.get(choice.get_absolute_url())
    choice_queries = len(captured)

    with django_assert_num_queries(choice_queries + 1):  # the ranking counts
        assert client.get(ranked.get_absolute_url()).status_code == 200
    with django_assert_num_queries(choice_queries):  # the tally of this revision is cached
        assert client.get(ranked.get_absolute_url()).status_code == 200


def test_a_signed_in_voters_ranked_page_costs_one_query_more_than_a_choice_polls_at_most(
    client, memory_cache, django_assert_num_queries
):
    voter = UserFactory()
    choice = PollFactory(labels=["Ann", "Bob"])
    services.vote_cast(poll=choice, voter=voter, option_id=choice.options.first().pk)
    ranked = ranked_poll(["Ann", "Bob"], {("Ann", "Bob"): 3}, closed=False)
    ids = dict(ranked.options.values_list("label", "pk"))
    services.vote_cast(poll=ranked, voter=voter, ranking=[ids["Bob"]])
    client.force_login(voter)

    client.get(choice.get_absolute_url())
    with django_assert_num_queries(5) as captured:  # session, user, poll, options, my ballot
        client.get(choice.get_absolute_url())
    choice_queries = len(captured)
    client.get(ranked.get_absolute_url())
    with django_assert_num_queries(choice_queries):
        assert client.get(ranked.get_absolute_url()).status_code == 200


def test_results_json_of_a_ranked_poll_answers(client):
    poll = ranked_poll(["Ann", "Bob"], {("Ann", "Bob"): 3}, closed=False)
    body = client.get(reverse("polls:results", args=[poll.public_id])).json()
    assert [option["votes"] for option in body["options"]] == [3, 0]
    assert body["total_votes"] == 3
