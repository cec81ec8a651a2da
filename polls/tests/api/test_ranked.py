"""Ranked-choice polls in the API: the settings in and out, votes by `ranking` and every
refusal as a 400 with its code, and the tally (`ranked`) under the results-visibility rule, in
the poll, in results.json and in the schema, at a pinned cost."""

from datetime import timedelta

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import MAX_OPTIONS, Poll
from polls.services.checks import RANK_ALL_RANKED_ONLY, RANKED_TAKES_NO_LIMITS
from polls.tests.factories import PollFactory, UserFactory

LIST = "/api/polls/"
TENNESSEE_LABELS = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
# Wikipedia's Tennessee capital example, rankings by initials: IRV elects Knoxville, the
# Condorcet winner is Nashville.
TENNESSEE = {"MNCK": 42, "NCKM": 26, "CKNM": 15, "KCNM": 17}


def detail(poll) -> str:
    return f"/api/polls/{poll.public_id}/"


def votes_url(poll) -> str:
    return f"/api/polls/{poll.public_id}/votes/"


def results_json(poll) -> str:
    return reverse("polls:results", args=[poll.public_id])


def ids(poll) -> dict[str, int]:
    """Option ids by label, and by initial."""
    labels = dict(poll.options.values_list("label", "pk"))
    return labels | {label[0]: pk for label, pk in labels.items()}


def ranked_poll(ballots: dict[str, int] | None = None, *, labels=None, **fields) -> Poll:
    """A ranked poll (results always shown unless `fields` say otherwise) with `ballots`
    ({initials best first: how many}) cast through the domain, each by a new account."""
    fields.setdefault("results_visibility", "always")
    poll = PollFactory(voting_method="ranked", labels=labels or TENNESSEE_LABELS, **fields)
    option = ids(poll)
    for initials, count in (ballots or {}).items():
        for _ in range(count):
            ranking = [option[letter] for letter in initials]
            services.vote_cast(poll=poll, voter=UserFactory(), ranking=ranking)
    return poll


def tennessee(**fields) -> Poll:
    return ranked_poll(TENNESSEE, rank_all=True, **fields)


# --- Settings ----------------------------------------------------------------------------


def test_create_a_ranked_poll(authed):
    response = authed.post(
        LIST,
        {"title": "Capital?", "options": TENNESSEE_LABELS, "voting_method": "ranked"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["voting_method"], body["rank_all"]) == ("ranked", False)
    assert (body["min_choices"], body["max_choices"]) == (1, 1)
    assert body["my_ranking"] == []
    poll = Poll.objects.get(public_id=body["id"])
    assert poll.is_ranked
    assert not poll.rank_all


def test_create_a_ranked_poll_that_asks_for_every_option(authed):
    body = authed.post(
        LIST,
        {"title": "Q?", "options": ["A", "B"], "voting_method": "ranked", "rank_all": True},
        format="json",
    ).json()

    assert (body["voting_method"], body["rank_all"]) == ("ranked", True)


def test_every_poll_says_its_voting_method(api):
    poll = PollFactory()

    body = api.get(detail(poll)).json()

    assert (body["voting_method"], body["rank_all"], body["ranked"]) == ("choice", False, None)
    assert body["my_ranking"] == []


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        ({"voting_method": "borda"}, "voting_method", None),
        ({"voting_method": 1}, "voting_method", None),
        ({"voting_method": None}, "voting_method", None),
        ({"rank_all": "yes"}, "rank_all", None),
        ({"rank_all": 1}, "rank_all", None),
        ({"rank_all": True}, "rank_all", RANK_ALL_RANKED_ONLY),
        ({"voting_method": "ranked", "max_choices": 2}, "max_choices", RANKED_TAKES_NO_LIMITS),
        ({"voting_method": "ranked", "min_choices": 2}, "max_choices", RANKED_TAKES_NO_LIMITS),
    ],
)
def test_bad_ranked_settings_are_400_under_their_field(authed, settings, field, message):
    payload = {"title": "Q?", "options": ["A", "B", "C"], **settings}

    response = authed.post(LIST, payload, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert not Poll.objects.exists()


def test_patch_makes_a_poll_ranked_before_the_first_vote(authed, user):
    poll = PollFactory(author=user, min_choices=1, max_choices=2)

    response = authed.patch(
        detail(poll), {"voting_method": "ranked", "rank_all": True}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["voting_method"], body["rank_all"], body["max_choices"]) == ("ranked", True, 1)


def test_patch_cannot_change_the_voting_method_once_anyone_voted(authed, user):
    poll = ranked_poll({"MN": 1}, author=user)

    response = authed.patch(detail(poll), {"voting_method": "choice"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["voting_method"]
    assert Poll.objects.get(pk=poll.pk).is_ranked


def test_patch_refuses_rank_all_on_a_poll_that_chooses(authed, user):
    poll = PollFactory(author=user)

    response = authed.patch(detail(poll), {"rank_all": True}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"rank_all": [RANK_ALL_RANKED_ONLY]}


# --- Votes -------------------------------------------------------------------------------


def test_vote_with_a_ranking(authed):
    poll = ranked_poll()
    option = ids(poll)
    ranking = [option["K"], option["M"]]

    response = authed.post(votes_url(poll), {"ranking": ranking}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["my_ranking"] == ranking
    assert body["my_vote"] == option["K"]  # the first preference
    assert body["my_choices"] == [option["M"], option["K"]]  # in the author's order
    assert body["total_votes"] == 1
    assert [o["votes"] for o in body["options"]] == [0, 0, 0, 1]  # first preferences
    assert body["ranked"]["ballots"] == 1
    assert body["ranked"]["winners"] == [option["K"]]
    assert authed.get(detail(poll)).json()["my_ranking"] == ranking


def test_the_vote_answer_costs_one_query_more_than_a_choice(
    authed, shared_cache, django_assert_num_queries
):
    """The vote's statements and its options' read, as for any vote (test_votes), and the
    ranking counts the answer's tally reads."""
    poll = ranked_poll(labels=[f"Option {n}" for n in range(20)])
    ranking = list(poll.options.values_list("pk", flat=True))[:5]
    authed.get("/api/")  # the token is cached

    with django_assert_num_queries(RANKED_VOTE_QUERIES):
        response = authed.post(votes_url(poll), {"ranking": ranking}, format="json")

    assert response.status_code == 201


RANKED_VOTE_QUERIES = 9  # a choice's 7, the ranking count's upsert, the ranking counts' read


def bad_ranking(poll, kind):
    option = ids(poll)
    m, n = option["M"], option["N"]
    return {
        "repeated": {"ranking": [m, n, m]},
        "unknown": {"ranking": [m, PollFactory().options.first().pk]},
        "empty": {"ranking": []},
        "option_to_ranked": {"option": m},
        "options_to_ranked": {"options": [m, n]},
        "partial_where_all": {"ranking": [m, n]},
    }[kind]


@pytest.mark.parametrize(
    ("kind", "rank_all", "code"),
    [
        ("repeated", False, "rank_repeated"),
        ("unknown", False, "option_not_in_poll"),
        ("empty", False, "too_few_choices"),
        ("option_to_ranked", False, "ranking_expected"),
        ("options_to_ranked", False, "ranking_expected"),
        ("partial_where_all", True, "rank_all_required"),
    ],
)
def test_refused_rankings_are_400_with_the_domains_code(authed, user, kind, rank_all, code):
    poll = ranked_poll(rank_all=rank_all)
    body = bad_ranking(poll, kind)

    response = authed.post(votes_url(poll), body, format="json")

    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] == code
    assert list(answer["errors"]) == list(body)  # the field that was sent
    assert not Poll.objects.get(pk=poll.pk).ballot_count


def test_a_ranking_sent_to_a_poll_that_chooses_is_ranking_not_expected(authed, poll):
    response = authed.post(votes_url(poll), {"ranking": [poll.options.first().pk]}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "ranking_not_expected"
    assert response.json()["errors"] == {
        "ranking": ['This poll does not rank its options: send "option" or "options".']
    }


def test_choices_sent_to_a_ranked_poll_say_to_send_a_ranking(authed):
    poll = ranked_poll()

    response = authed.post(votes_url(poll), {"option": ids(poll)["M"]}, format="json")

    assert response.json()["errors"] == {
        "option": ['This poll ranks its options: send "ranking", option ids best first.']
    }


@pytest.mark.parametrize(
    "ranking",
    [
        "1,2",
        "12",
        None,
        True,
        12,
        1.5,
        {"1": 1},
        [[1]],
        [[1, 2], 3],
        [True],
        [False, 1],
        ["1"],
        [1.5],
        [None],
        [2**63],
        [2**70],
        [-1],
        [0],
        list(range(1, 101)),
        list(range(1, MAX_OPTIONS + 2)),
    ],
)
def test_odd_rankings_are_400_never_500(authed, ranking):
    poll = ranked_poll()

    response = authed.post(votes_url(poll), {"ranking": ranking}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["ranking"]
    assert not Poll.objects.get(pk=poll.pk).ballot_count


def test_a_ranking_of_too_many_ids_is_refused_before_reading_them(authed):
    poll = ranked_poll()

    response = authed.post(votes_url(poll), {"ranking": ["x"] * 10_000}, format="json")

    assert response.json()["code"] == "option_not_in_poll"
    assert response.json()["errors"] == {
        "ranking": [f"A poll has at most {MAX_OPTIONS} options: rank fewer."]
    }


@pytest.mark.parametrize(
    "body",
    [
        {"ranking": [1], "option": 1},
        {"ranking": [1], "options": [1]},
        {"ranking": [1], "option": 1, "options": [1]},
        {},
        {"code": "x"},
    ],
)
def test_exactly_one_of_option_options_and_ranking(authed, body):
    response = authed.post(votes_url(ranked_poll()), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_change_and_retract_a_ranking(authed, user):
    poll = ranked_poll(allow_vote_change=True)
    option = ids(poll)
    services.vote_cast(poll=poll, voter=user, ranking=[option["M"], option["N"]])

    response = authed.put(
        votes_url(poll), {"ranking": [option["N"], option["C"], option["M"]]}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["my_ranking"] == [option["N"], option["C"], option["M"]]
    assert [o["votes"] for o in body["options"]] == [0, 1, 0, 0]
    assert body["ranked"]["rounds"][0]["counts"][1] == {"option": option["N"], "ballots": 1}

    bad = authed.put(votes_url(poll), {"ranking": [option["N"]] * 2}, format="json")
    assert bad.json()["code"] == "rank_repeated"

    assert authed.delete(votes_url(poll)).status_code == 204
    body = authed.get(detail(poll)).json()
    assert (body["my_ranking"], body["total_votes"], body["ranked"]["ballots"]) == ([], 0, 0)
    assert body["ranked"]["rounds"] == []


# --- Results -----------------------------------------------------------------------------


def test_the_tennessee_tally_round_by_round(api):
    poll = tennessee()
    m, n, c, k = (ids(poll)[letter] for letter in "MNCK")

    ranked = api.get(detail(poll)).json()["ranked"]

    assert ranked["ballots"] == 100
    assert (ranked["winners"], ranked["is_tie"]) == ([k], False)
    assert ranked["tie_rule"] == services.TIE_RULE
    assert ranked["rounds"] == [
        {
            "number": 1,
            "counts": [
                {"option": m, "ballots": 42},
                {"option": n, "ballots": 26},
                {"option": c, "ballots": 15},
                {"option": k, "ballots": 17},
            ],
            "continuing": 100,
            "exhausted": 0,
            "eliminated": c,
            "tie_broken_by": None,
            "transfers": [{"option": k, "ballots": 15}],
        },
        {
            "number": 2,
            "counts": [
                {"option": m, "ballots": 42},
                {"option": n, "ballots": 26},
                {"option": k, "ballots": 32},
            ],
            "continuing": 100,
            "exhausted": 0,
            "eliminated": n,
            "tie_broken_by": None,
            "transfers": [{"option": k, "ballots": 26}],
        },
        {
            "number": 3,
            "counts": [{"option": m, "ballots": 42}, {"option": k, "ballots": 58}],
            "continuing": 100,
            "exhausted": 0,
            "eliminated": None,
            "tie_broken_by": None,
            "transfers": [],
        },
    ]
    pairwise = {(p["option"], p["against"]): p["ballots"] for p in ranked["pairwise"]}
    assert len(ranked["pairwise"]) == 12  # every ordered pair of 4 options
    assert pairwise == {
        (m, n): 42, (n, m): 58, (m, c): 42, (c, m): 58, (m, k): 42, (k, m): 58,
        (n, c): 68, (c, n): 32, (n, k): 68, (k, n): 32, (c, k): 83, (k, c): 17,
    }  # fmt: skip
    assert ranked["condorcet_winner"] == n
    assert ranked["schulze"] == [[n], [c], [k], [m]]


def test_results_json_holds_the_same_tally(api, client):
    poll = tennessee()

    page = client.get(results_json(poll)).json()

    assert page["ranked"] == api.get(detail(poll)).json()["ranked"]
    assert page["ranked"]["winners"] == [ids(poll)["K"]]


def test_the_outcome_and_winner_are_instant_runoffs_not_the_most_first_preferences(api):
    poll = tennessee()
    services.poll_close(poll=poll, by=poll.author)

    body = api.get(detail(poll)).json()

    assert body["outcome"] == {"kind": "winner", "options": [ids(poll)["K"]]}
    assert body["ranked"]["winners"] == [ids(poll)["K"]]
    memphis = body["options"][0]
    assert (memphis["label"], memphis["votes"]) == ("Memphis", 42)  # most first preferences


def test_exhausted_ballots_are_counted_and_moved(api):
    poll = ranked_poll({"M": 3, "NC": 2, "CN": 2, "K": 1})
    m, n, c, k = (ids(poll)[letter] for letter in "MNCK")

    rounds = api.get(detail(poll)).json()["ranked"]["rounds"]

    assert rounds[0]["eliminated"] == k
    assert rounds[0]["transfers"] == [{"option": None, "ballots": 1}]
    assert (rounds[1]["exhausted"], rounds[1]["continuing"]) == (1, 7)


def test_a_tie_broken_by_a_draw_is_said(api):
    poll = ranked_poll({"M": 2, "N": 1, "C": 1}, labels=TENNESSEE_LABELS[:3])

    rounds = api.get(detail(poll)).json()["ranked"]["rounds"]

    assert rounds[0]["tie_broken_by"] == "draw"


@pytest.mark.parametrize(
    ("visibility", "voted", "hidden_until"),
    [("after_vote", False, "vote"), ("after_close", True, "close"), ("author_only", True, "never")],
)
def test_the_tally_is_null_while_the_results_are_hidden(
    authed, user, visibility, voted, hidden_until
):
    poll = ranked_poll({"MN": 3, "NM": 1}, results_visibility=visibility)
    if voted:
        services.vote_cast(poll=poll, voter=user, ranking=[ids(poll)["C"]])

    body = authed.get(detail(poll)).json()

    assert body["results_hidden_until"] == hidden_until
    assert (body["ranked"], body["outcome"], body["total_votes"]) == (None, None, None)
    assert body["my_ranking"] == ([ids(poll)["C"]] if voted else [])


def test_the_author_sees_a_hidden_tally(api):
    poll = ranked_poll({"MN": 3}, results_visibility="author_only")
    api.force_authenticate(poll.author)

    assert api.get(detail(poll)).json()["ranked"]["ballots"] == 3


def test_results_json_hides_the_tally_until_the_vote(client):
    poll = ranked_poll({"MN": 3}, results_visibility="after_vote")

    body = client.get(results_json(poll)).json()

    assert (body["results_hidden_until"], body["ranked"]) == ("vote", None)


def test_a_voter_sees_the_tally_once_they_voted(authed):
    poll = ranked_poll({"MN": 3}, results_visibility="after_vote")
    assert authed.get(detail(poll)).json()["ranked"] is None

    body = authed.post(votes_url(poll), {"ranking": [ids(poll)["N"]]}, format="json").json()

    assert body["ranked"]["ballots"] == 4


# --- What it costs -----------------------------------------------------------------------


def test_a_ranked_polls_tally_costs_one_query_then_none(
    api, shared_cache, django_assert_num_queries
):
    """The poll, its options; then the ranking counts, once per revision (then cached)."""
    poll = tennessee()

    with django_assert_num_queries(2 + 1):
        assert api.get(detail(poll)).json()["ranked"]["ballots"] == 100
    with django_assert_num_queries(2):
        assert api.get(detail(poll)).json()["ranked"]["ballots"] == 100
    with django_assert_num_queries(2):  # the page's results.json: the same cache
        assert api.get(results_json(poll)).json()["ranked"]["ballots"] == 100


def test_a_closed_polls_tally_is_read_with_the_poll(api, shared_cache, django_assert_num_queries):
    """Stored at the close, and read in the poll's own query: no query of its own."""
    poll = tennessee()
    services.poll_close(poll=poll, by=poll.author)
    shared_cache.clear()

    with django_assert_num_queries(2):
        body = api.get(detail(poll)).json()

    assert body["ranked"]["winners"] == body["outcome"]["options"] == [ids(poll)["K"]]


def test_a_not_modified_answer_never_tallies(api, shared_cache):
    poll = tennessee()
    etag = api.get(detail(poll))["ETag"]
    shared_cache.clear()

    with CaptureQueriesContext(connection) as queries:
        response = api.get(detail(poll), HTTP_IF_NONE_MATCH=etag)
        page = api.get(results_json(poll), HTTP_IF_NONE_MATCH=etag)

    assert (response.status_code, page.status_code) == (304, 304)
    assert len(queries) == 2  # the poll's version, once per request
    assert not [q for q in queries if "ranking" in q["sql"] or "storedtally" in q["sql"]]


def test_a_new_ballot_changes_the_etag(api):
    poll = tennessee()
    etag = api.get(detail(poll))["ETag"]
    ranking = [ids(poll)[letter] for letter in "MKNC"]
    services.vote_cast(poll=poll, voter=UserFactory(), ranking=ranking)

    response = api.get(detail(poll), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["ranked"]["ballots"] == 101


@pytest.mark.parametrize("size", [1, 20])
def test_a_list_of_ranked_polls_costs_no_tally(api, size, shared_cache, django_assert_num_queries):
    """`ranked` is null in lists; closed polls' outcomes come from their stored tallies,
    read with the polls: the page count, the polls, their options."""
    author = UserFactory()
    for number in range(size):
        poll = ranked_poll({"MN": 2, "NM": 1}, author=author)
        if number % 2:
            services.poll_close(poll=poll, by=author)
    shared_cache.clear()

    with django_assert_num_queries(3):
        results = api.get(LIST, {"page_size": 50}).json()["results"]

    assert len(results) == size
    assert all(poll["ranked"] is None for poll in results)
    closed = [poll for poll in results if not poll["is_open"]]
    assert all(poll["outcome"]["kind"] == "winner" for poll in closed)


def test_a_past_closing_time_takes_no_more_ballots_but_shows_the_outcome(api):
    poll = tennessee()
    now = timezone.now()
    Poll.objects.filter(pk=poll.pk).update(
        created_at=now - timedelta(hours=1), closes_at=now - timedelta(seconds=1)
    )

    body = api.get(detail(poll)).json()

    assert body["outcome"]["options"] == [ids(poll)["K"]]


# --- Schema ------------------------------------------------------------------------------


def test_the_schema_documents_ranked_polls(api):
    document = yaml.safe_load(api.get("/api/schema/").content)
    schemas = document["components"]["schemas"]

    create = schemas["PollCreateInputRequest"]["properties"]
    assert create["voting_method"]["allOf"] == [{"$ref": "#/components/schemas/VotingMethodEnum"}]
    assert schemas["VotingMethodEnum"]["enum"] == ["choice", "ranked"]
    assert create["rank_all"]["type"] == "boolean"
    assert {"voting_method", "rank_all"} <= set(
        schemas["PatchedPollEditInputRequest"]["properties"]
    )
    vote = schemas["VoteInputRequest"]["properties"]["ranking"]
    assert (vote["type"], vote["items"]["type"], vote["maxItems"]) == ("array", "integer", 20)
    poll = schemas["Poll"]["properties"]
    assert {"voting_method", "rank_all", "ranked", "my_ranking"} <= set(poll)
    assert poll["ranked"]["allOf"] == [{"$ref": "#/components/schemas/RankedResults"}]
    ranked = schemas["RankedResults"]["properties"]
    assert list(ranked) == [
        "ballots",
        "winners",
        "is_tie",
        "tie_rule",
        "rounds",
        "pairwise",
        "condorcet_winner",
        "schulze",
    ]
    round = schemas["RankedRound"]["properties"]
    assert list(round) == [
        "number",
        "counts",
        "continuing",
        "exhausted",
        "eliminated",
        "tie_broken_by",
        "transfers",
    ]
    assert set(schemas["Pairwise"]["properties"]) == {"option", "against", "ballots"}
    codes = set(schemas["ErrorCodeEnum"]["enum"])
    assert {
        "ranking_expected",
        "ranking_not_expected",
        "rank_repeated",
        "rank_all_required",
        "too_few_choices",
        "option_not_in_poll",
    } <= codes
