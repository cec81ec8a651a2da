"""Exports of a poll's results from the pages (results.csv, export.json): who may download
them, and files a spreadsheet opens safely."""

import csv
import io
import json
from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser

from polls import exports, services
from polls.models import ResultsVisibility
from polls.services.exports import BALLOTS_AFTER_CLOSE

from .api.test_ranked import TENNESSEE, TENNESSEE_LABELS, ranked_poll, tennessee
from .factories import PollFactory, UserFactory, staff_with
from .tallies import poll_with_votes

pytestmark = pytest.mark.django_db

ALWAYS, AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY = list(ResultsVisibility)


def csv_url(poll) -> str:
    return f"/polls/{poll.public_id}/results.csv"


def json_url(poll) -> str:
    return f"/polls/{poll.public_id}/export.json"


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- Who may download ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "closed", "anyone_may"),
    [
        (ALWAYS, False, True),
        (AFTER_VOTE, False, False),
        (AFTER_VOTE, True, True),
        (AFTER_CLOSE, False, False),
        (AFTER_CLOSE, True, True),
        (AUTHOR_ONLY, False, False),
        (AUTHOR_ONLY, True, False),
    ],
)
def test_downloads_follow_the_results_visibility(client, visibility, closed, anyone_may):
    poll = poll_with_votes({"A": 2, "B": 1}, closed=closed, results_visibility=visibility)
    auditor = staff_with(services.VIEW_RESULTS)

    for viewer, may in [
        (None, anyone_may),
        (UserFactory(), anyone_may),
        (poll.author, True),
        (auditor, True),
    ]:
        client.logout()
        if viewer:
            client.force_login(viewer)
        for url in (csv_url(poll), json_url(poll)):
            response = client.get(url)
            assert response.status_code == (200 if may else 403), (viewer, url)


def test_a_voter_may_download_the_results_of_an_after_vote_poll(client, user):
    poll = poll_with_votes({"A": 2, "B": 1}, closed=False, results_visibility=AFTER_VOTE)
    client.force_login(user)
    assert client.get(csv_url(poll)).status_code == 403

    services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)

    assert client.get(csv_url(poll)).status_code == 200
    assert json.loads(client.get(json_url(poll)).content)["total_voters"] == 4


@pytest.mark.parametrize(
    ("visibility", "message"),
    [
        (AFTER_VOTE, "You can export this poll&#x27;s results once you have voted in it."),
        (AFTER_CLOSE, "You can export this poll&#x27;s results once it has closed."),
        (AUTHOR_ONLY, "Only the poll&#x27;s author can export its results."),
    ],
)
def test_a_refusal_says_why_on_the_sites_403_page(client, visibility, message):
    poll = poll_with_votes({"A": 2, "B": 1}, closed=False, results_visibility=visibility)

    response = client.get(csv_url(poll))

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert "Content-Disposition" not in response


@pytest.mark.parametrize("suffix", ["results.csv", "export.json"])
def test_no_poll_is_a_404(client, suffix):
    assert client.get(f"/polls/nothing-here/{suffix}").status_code == 404


# --- What the files hold ---------------------------------------------------------------------


def test_the_csv_holds_the_poll_and_each_option(client):
    poll = poll_with_votes(
        {"Pizza": 12, "Sushi": 5, "Tacos": 3},
        title="Lunch?",
        description="Café déjà vu",
        results_visibility=ALWAYS,
    )

    response = client.get(csv_url(poll))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(response)
    facts = dict(row for row in rows if len(row) == 2)
    assert facts["Question"] == "Lunch?"
    assert facts["Description"] == "Café déjà vu"
    assert facts["Status"] == "closed"
    assert facts["Results visibility"] == "always"
    assert facts["Voters"] == "20"
    assert facts["Outcome"] == "winner"
    assert facts["Closed at (UTC)"].endswith("+00:00")
    assert facts["Exported at (UTC)"].endswith("+00:00")
    table = rows[rows.index(["Option", "Votes", "Percent of voters", "Winner"]) :]
    assert table[1:] == [
        ["Pizza", "12", "60.0", "yes"],
        ["Sushi", "5", "25.0", "no"],
        ["Tacos", "3", "15.0", "no"],
    ]


def test_the_json_is_the_export(client):
    poll = poll_with_votes({"A": 1, "B": 1}, results_visibility=ALWAYS)

    response = client.get(json_url(poll))

    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert set(body) == {
        "poll",
        "options",
        "total_voters",
        "total_choices",
        "outcome",
        "ranked",
        "exported_at",
    }
    assert body["outcome"]["kind"] == "tie"
    assert [option["winner"] for option in body["options"]] == [True, True]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Plain", "Plain"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_made_text(typed, written):
    assert exports.spreadsheet_safe(typed) == written


def test_formulas_in_the_question_description_and_labels_are_inert_in_the_file(client):
    poll = poll_with_votes(
        {"=cmd|' /C calc'!A0": 2, "@SUM(1)": 1, "-1": 0, "+1": 0},
        title="=1+1",
        description="\tdescription",
        results_visibility=ALWAYS,
    )

    rows = csv_rows(client.get(csv_url(poll)))

    cells = [cell for row in rows for cell in row]
    assert "'=1+1" in cells
    assert "'\tdescription" in cells
    labels = [
        row[0] for row in rows[rows.index(["Option", "Votes", "Percent of voters", "Winner"]) + 1 :]
    ]
    assert labels == ["'=cmd|' /C calc'!A0", "'@SUM(1)", "'-1", "'+1"]
    assert not any(cell.startswith(exports.FORMULA_STARTS) for cell in cells)


@pytest.mark.parametrize(
    ("title", "filename"),
    [
        ("Where should we eat?", "where-should-we-eat-results"),
        ('a"b\r\nSet-Cookie: session=1', "ab-set-cookie-session1-results"),
        ("../../etc/passwd", "etcpasswd-results"),
        ("Café à Paris ?", "cafe-a-paris-results"),
        ("你更喜欢哪一个", "poll-results"),
        ("x" * 200, "x" * 60 + "-results"),
    ],
)
def test_the_file_name_is_safe_ascii_from_the_title(client, title, filename):
    poll = PollFactory(title=title, results_visibility=ALWAYS)

    for url, extension in ((csv_url(poll), "csv"), (json_url(poll), "json")):
        disposition = client.get(url)["Content-Disposition"]
        assert disposition == f'attachment; filename="{filename}.{extension}"'
        assert disposition.isascii()
        assert not {"\r", "\n", "\\"} & set(disposition)


def test_the_file_never_names_a_voter(client):
    poll = PollFactory(results_visibility=ALWAYS)
    voter = UserFactory(username="secret-voter")
    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)

    for url in (csv_url(poll), json_url(poll)):
        assert b"secret-voter" not in client.get(url).content


# --- Links and cost --------------------------------------------------------------------------


def test_the_poll_page_links_the_downloads_for_those_who_may_see_results(client):
    shown = poll_with_votes({"A": 1, "B": 0}, results_visibility=ALWAYS)
    hidden = poll_with_votes({"A": 1, "B": 0}, results_visibility=AUTHOR_ONLY)

    assert csv_url(shown) in client.get(shown.get_absolute_url()).content.decode()
    assert json_url(shown) in client.get(shown.get_absolute_url()).content.decode()
    assert csv_url(hidden) not in client.get(hidden.get_absolute_url()).content.decode()
    client.force_login(hidden.author)
    assert csv_url(hidden) in client.get(hidden.get_absolute_url()).content.decode()


def test_my_polls_links_each_polls_downloads(client, user):
    poll = PollFactory(author=user, results_visibility=AUTHOR_ONLY)
    client.force_login(user)

    html = client.get("/polls/mine/").content.decode()

    assert f'href="{csv_url(poll)}" download>CSV' in html
    assert f'href="{json_url(poll)}" download>JSON' in html


@pytest.mark.parametrize("options", [2, 20])
def test_the_download_query_count_is_fixed(client, user, options, django_assert_num_queries):
    poll = PollFactory(author=user, labels=[f"Choice {n}" for n in range(options)])
    client.force_login(user)
    # session, user, poll with author, its options, my ballot
    with django_assert_num_queries(5):
        assert client.get(csv_url(poll)).status_code == 200
    client.logout()
    always = PollFactory(results_visibility=ALWAYS, labels=[f"C{n}" for n in range(options)])
    with django_assert_num_queries(2):  # poll with author, its options
        assert client.get(json_url(always)).status_code == 200


def test_an_anonymous_refusal_reads_no_permission(django_assert_num_queries):
    """Anonymous visitors hold no permission: the rule does not ask the database."""
    poll = PollFactory(results_visibility=AUTHOR_ONLY)
    with django_assert_num_queries(0), pytest.raises(services.NotAllowed):
        services.poll_export(poll=poll, viewer=AnonymousUser(), voted=False)


# --- Ranked polls ----------------------------------------------------------------------------


def section(rows, title) -> list[list[str]]:
    """The rows from the one starting with `title` to the next blank row."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == title)
    end = next((i for i in range(start, len(rows)) if not rows[i]), len(rows))
    return rows[start:end]


def test_a_ranked_csv_has_a_section_per_round_and_the_pairwise_table(client):
    poll = tennessee()

    rows = csv_rows(client.get(csv_url(poll)))

    assert ["Voting method", "ranked"] in rows
    assert ["Every option ranked", "yes"] in rows
    assert section(rows, "Instant-runoff round 1") == [
        ["Instant-runoff round 1", "Ballots"],
        ["Memphis", "42"],
        ["Nashville", "26"],
        ["Chattanooga", "15"],
        ["Knoxville", "17"],
        ["Continuing", "100"],
        ["Exhausted so far", "0"],
        ["Eliminated", "Chattanooga"],
        ["Moved to Knoxville", "15"],
    ]
    assert section(rows, "Instant-runoff round 3")[1:3] == [["Memphis", "42"], ["Knoxville", "58"]]
    assert section(rows, "Ballots ranking the row above the column") == [
        ["Ballots ranking the row above the column", *TENNESSEE_LABELS],
        ["Memphis", "", "42", "42", "42"],
        ["Nashville", "58", "", "68", "68"],
        ["Chattanooga", "58", "32", "", "83"],
        ["Knoxville", "58", "32", "17", ""],
    ]
    assert ["Instant-runoff winner", "Knoxville"] in rows
    assert ["Condorcet winner", "Nashville"] in rows
    assert ["Schulze ranking", "Nashville > Chattanooga > Knoxville > Memphis"] in rows
    assert rows[-1] == ["Ballots", BALLOTS_AFTER_CLOSE]  # open: no ballot


def test_a_closed_ranked_csv_has_a_row_per_ballot_as_labels(client):
    poll = tennessee()
    services.poll_close(poll=poll, by=poll.author)

    rows = csv_rows(client.get(csv_url(poll)))

    header = "Ballots: one per row, its ranking best first as option labels, in a random order"
    ballots = rows[rows.index([header]) + 1 :]
    by_initials = Counter("".join(label[0] for label in ballot) for ballot in ballots)
    assert by_initials == TENNESSEE
    assert json.loads(client.get(json_url(poll)).content)["ballots"]


def test_a_ranked_csv_makes_labels_inert_in_every_section(client):
    poll = ranked_poll({"=": 1}, labels=["=A", "B"])  # ballots by initials
    services.poll_close(poll=poll, by=poll.author)

    rows = csv_rows(client.get(csv_url(poll)))

    cells = [cell for row in rows for cell in row]
    assert "'=A" in cells
    assert not any(cell.startswith(exports.FORMULA_STARTS) for cell in cells)
    assert rows[-1] == ["'=A"]
