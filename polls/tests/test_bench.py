"""The benchmark's own logic (bench/): how it judges a vote run, reads wrk's and pgbench's
output, lays out its data, and its reference views. `.ci/run` runs the benchmark itself once,
in its quick mode; nothing here is timed."""

import psycopg2
import pytest
from django.db import connection
from django.test import override_settings

from bench import load, rankings, report, wrk


def test_a_run_whose_counters_match_its_answers_lost_and_doubled_nothing():
    counted = {"ballots": 10, "choices": 10, "option votes": 10, "ballot_count": 10}
    assert report.lost_and_doubled(answered=10, counted=counted, in_flight=0) == (0, 0)


def test_requests_cut_off_by_the_end_of_a_run_may_have_been_counted():
    counted = {"ballots": 12, "option votes": 12}
    assert report.lost_and_doubled(answered=10, counted=counted, in_flight=2) == (0, 0)
    assert report.lost_and_doubled(answered=10, counted=counted, in_flight=1) == (0, 1)


def test_an_acknowledged_vote_missing_from_any_counter_is_lost():
    counted = {"ballots": 10, "option votes": 9, "ballot_count": 10}
    assert report.lost_and_doubled(answered=10, counted=counted, in_flight=3) == (1, 0)


def test_the_table_leaves_a_figure_that_was_not_measured_blank_with_its_reason():
    rows = [
        report.Row("ceiling", 8, 2000.0, 1.5, 4.25),
        report.Row("votes", 8, 500.0, 10.0, 30.0, unit="votes/s", note="lost: 0, doubled: 0"),
        report.Row("304", 8, None, None, None, note="n/a: no ETag in the answer"),
    ]
    table = report.markdown(report.with_ratios(rows, 2000.0)).splitlines()
    assert table[2] == "| ceiling | 8 | 2,000 req/s | 1.50 | 4.25 | 1.000 |  |  |"
    assert table[3] == "| votes | 8 | 500 votes/s | 10.0 | 30.0 | 0.250 |  | lost: 0, doubled: 0 |"
    assert table[4] == "| 304 | 8 |  |  |  |  |  | n/a: no ETag in the answer |"


TALLY = {
    "loaded": 100_000,
    "ballots": 100_000,
    "options": 10,
    "distinct": 32_310,
    "seconds": 0.4567,
    "irv": 0.123,
    "condorcet": 0.2,
    "read": 0.1,
    "repeats": 3,
    "queries": 1,
    "rounds": 9,
}


def test_the_ranked_tally_is_a_row_of_its_own_with_its_seconds_and_their_parts():
    row = report.tally_row(TALLY)
    assert row.what == "ranked tally, 100,000 ballots of 10 options (32,310 distinct rankings)"
    assert row.note.startswith("0.46 s (IRV 0.12 s + Condorcet 0.20 s + read 0.10 s)")
    assert (row.rate, row.queries, row.problems) == (None, 1, [])
    (line,) = report.markdown(report.with_ratios([row], 2000.0)).splitlines()[2:]
    assert line.startswith(f"| {row.what} | 1 |  |  |  |  | 1 | 0.46 s (IRV")


def test_a_ranked_tally_that_misses_ballots_is_wrong():
    row = report.tally_row(TALLY | {"ballots": 99_999})
    assert row.problems == ["counted 99,999 ballots of 100,000"]


def test_the_ranked_tallys_ballots_are_seeded_partial_rankings_of_distinct_options():
    ballots = rankings.random_rankings(5_000)
    assert ballots == rankings.random_rankings(5_000)
    assert ballots.total() == 5_000
    for ranking in ballots:
        assert len(set(ranking)) == len(ranking)
        assert set(ranking) <= set(range(rankings.OPTIONS))
    assert {len(ranking) for ranking in ballots} == set(range(1, rankings.OPTIONS + 1))
    assert 100 < len(ballots) < 5_000  # some rankings are common, most are rare
    assert {ranking[0] for ranking in ballots} == set(range(rankings.OPTIONS))


def test_wrk_results_are_read_from_the_line_the_lua_scripts_print():
    output = (
        "Running 3s test @ http://127.0.0.1:8000/\n"
        'BENCH_JSON {"duration_us":2000000,"requests":100,"sent":108,"p50_us":1500,'
        '"p99_us":9000,"max_us":12000,"mean_us":2000.0,"errors":{"connect":0,"read":0,'
        '"write":0,"timeout":2},"statuses":{"201":98,"409":2}}\n'
    )
    measurement = wrk.parse_wrk(output)
    assert (measurement.rate, measurement.rate_of("201")) == (50.0, 49.0)
    assert (measurement.p50_ms, measurement.p99_ms) == (1.5, 9.0)
    assert measurement.in_flight == 8
    assert measurement.errors == {"timeout": 2}
    with pytest.raises(RuntimeError, match="no results"):
        wrk.parse_wrk("wrk: connection refused\n")


def test_pgbench_latencies_come_from_its_transaction_log(tmp_path):
    (tmp_path / "tx.1").write_text("0 0 1500 0 1700000000 1\n1 0 2500 0 1700000000 2\n")
    (tmp_path / "tx.1.1").write_text("2 0 500 0 1700000000 3\n")
    latencies = sorted(wrk.pgbench_latencies(tmp_path))
    assert latencies == [0.5, 1.5, 2.5]
    assert wrk.percentile(latencies, 0.5) == pytest.approx(1.5)


def test_each_vote_run_has_polls_of_its_own():
    dataset = load.Dataset(polls=10_000, ballots=1, users=7, popular=0, reserved=4_010)
    hot = [dataset.hot(index) for index in range(9)]
    spread = [poll for index in range(4) for poll in dataset.spread(index)]
    everything = [dataset.spare, *hot, *spread]
    assert len(set(everything)) == len(everything)
    assert min(everything) == dataset.first_target
    assert max(everything) <= dataset.polls


def test_the_vote_scripts_read_each_poll_with_its_options(tmp_path):
    path = load.write_targets(tmp_path / "targets.txt", [1, 12])
    assert path.read_text() == "p0000000001 1 2 3 4\np0000000012 45 46 47 48\n"
    assert len(load.token(12)) == 40


@pytest.mark.django_db
def test_the_reference_views_exist_only_under_the_benchmark_settings(
    client, django_assert_num_queries
):
    assert client.get("/bench/ceiling/").status_code == 404
    with override_settings(ROOT_URLCONF="bench.urls"):
        with django_assert_num_queries(0):
            assert client.get("/bench/ceiling/").content == b"ok"
        assert client.get("/bench/drf/bare/").json() == {"ok": True}
        assert client.get("/bench/drf/defaults/").json() == {"ok": True}
        assert client.get("/").status_code == 200  # Votr's own pages are still there


INVARIANTS = {
    # Each should be 0.
    "ballots not counted on their poll": """
        SELECT count(*) FROM polls_poll p
        WHERE ballot_count <> (SELECT count(*) FROM polls_ballot b WHERE b.poll_id = p.id)""",
    "choices not counted on their option": """
        SELECT count(*) FROM polls_option o
        WHERE votes <> (SELECT count(*) FROM polls_choice c WHERE c.option_id = o.id)""",
    "ballots without one choice": """
        SELECT count(*) FROM polls_ballot b
        WHERE (SELECT count(*) FROM polls_choice c WHERE c.ballot_id = b.id) <> 1""",
    "choices of an option of another poll": """
        SELECT count(*) FROM polls_choice c JOIN polls_option o ON o.id = c.option_id
        JOIN polls_ballot b ON b.id = c.ballot_id
        WHERE o.poll_id <> c.poll_id OR b.poll_id <> c.poll_id""",
    "ballots of unknown voters or with another identity": """
        SELECT count(*) FROM polls_ballot b LEFT JOIN polls_user u ON u.id = b.voter_id
        WHERE u.id IS NULL OR b.identity <> 'user:' || b.voter_id""",
    "polls of unknown authors": """
        SELECT count(*) FROM polls_poll p LEFT JOIN polls_user u ON u.id = p.author_id
        WHERE u.id IS NULL""",
    "chosen ballots' choices with a rank": """
        SELECT count(*) FROM polls_choice WHERE rank IS NOT NULL""",
    "users without their token": """
        SELECT count(*) FROM polls_user u LEFT JOIN authtoken_token t ON t.user_id = u.id
        WHERE t.key IS DISTINCT FROM 'bench' || lpad(u.id::text, 35, '0')""",
    "vote targets with ballots, or closed": """
        SELECT count(*) FROM polls_poll
        WHERE id >= %(first_target)s
            AND (ballot_count > 0 OR closed_at IS NOT NULL OR closes_at <= now())""",
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_loaded_data_keeps_votrs_invariants_and_a_reused_one_is_emptied_of_votes():
    """Counters, identities and ownership as the services keep them; the database checks the
    foreign keys itself."""
    settings = connection.settings_dict
    raw = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    )
    dataset = load.Dataset(polls=50, ballots=300, users=101, popular=20, reserved=10)
    try:
        assert load.ensure(raw, dataset) is True
        with raw.cursor() as cursor:
            for name, query in INVARIANTS.items():
                cursor.execute(query, {"first_target": dataset.first_target})
                assert cursor.fetchone()[0] == 0, name
            cursor.execute("SELECT count(*), sum(ballot_count) FROM polls_poll")
            assert cursor.fetchone() == (50, 300)
            cursor.execute("SELECT ballot_count FROM polls_poll WHERE id = 1")
            assert cursor.fetchone() == (20,)
            cursor.execute(
                "INSERT INTO polls_ballot (poll_id, voter_id, identity, cast_at)"
                " VALUES (%s, 1, 'user:1', now())",
                [dataset.spare],
            )
        raw.commit()
        assert load.ensure(raw, dataset) is False
        with raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM polls_ballot WHERE poll_id = %s", [dataset.spare])
            assert cursor.fetchone() == (0,)
    finally:
        raw.close()
