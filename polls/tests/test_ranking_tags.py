"""polls/templatetags/ranking.py: the rank each select of a ranked ballot starts at."""

from types import SimpleNamespace

from polls.templatetags.ranking import ranking_rows

PIZZA, SUSHI, TACOS = (SimpleNamespace(id=n, label=label) for n, label in enumerate("PST", 1))
OPTIONS = [PIZZA, SUSHI, TACOS]


def test_each_option_keeps_its_place_and_takes_its_rank_from_the_ballot():
    assert ranking_rows(OPTIONS, [3, 1], rank_all=False) == [(PIZZA, 2), (SUSHI, None), (TACOS, 1)]


def test_no_ballot_leaves_every_option_unranked():
    assert ranking_rows(OPTIONS, [], rank_all=False) == [
        (PIZZA, None),
        (SUSHI, None),
        (TACOS, None),
    ]


def test_where_every_option_is_ranked_the_ones_left_out_follow_in_the_order_shown():
    assert ranking_rows(OPTIONS, [], rank_all=True) == [(PIZZA, 1), (SUSHI, 2), (TACOS, 3)]
    assert ranking_rows(OPTIONS, [2], rank_all=True) == [(PIZZA, 2), (SUSHI, 1), (TACOS, 3)]


def test_ids_not_among_the_options_leave_no_gap_and_string_ids_match():
    assert ranking_rows(OPTIONS, [99, "3", 3, 1], rank_all=False) == [
        (PIZZA, 2),
        (SUSHI, None),
        (TACOS, 1),
    ]
