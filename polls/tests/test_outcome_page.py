"""A closed poll's page states its outcome above the results and marks the winner or the tied
options (in words, not colour alone), only for viewers who may see the results."""

from html.parser import HTMLParser

import pytest
from django.utils.html import strip_tags

from polls import services
from polls.models import ResultsVisibility

from .factories import UserFactory
from .tallies import poll_with_votes

pytestmark = pytest.mark.django_db


def page_text(client, poll) -> str:
    response = client.get(poll.get_absolute_url())
    assert response.status_code == 200
    return " ".join(strip_tags(response.content.decode()).split())


class Marks(HTMLParser):
    """The labels of the result rows that carry a winner mark."""

    def __init__(self):
        super().__init__()
        self.marked, self._row, self._label, self._in_tag = [], None, False, False

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class", "") or ""
        if "result-label" in classes:
            self._label, self._row = True, ""
        elif "winner-tag" in classes:
            self._in_tag = True

    def handle_endtag(self, tag):
        if self._in_tag and tag == "span":
            self._in_tag = False
            self.marked.append(self._row.strip())
            self._label = False

    def handle_data(self, data):
        if self._label and not self._in_tag and self._row is not None:
            self._row += data


def marked_labels(client, poll) -> list[str]:
    parser = Marks()
    parser.feed(client.get(poll.get_absolute_url()).content.decode())
    return parser.marked


def test_a_winner_is_stated_and_marked(client):
    poll = poll_with_votes({"Pizza": 12, "Sushi": 5, "Tacos": 3})

    text = page_text(client, poll)

    assert "★ “Pizza” won with 12 of 20 votes (60%)." in text
    assert text.index("won with") < text.index("Pizza ★ winner 12 votes · 60%")
    assert marked_labels(client, poll) == ["Pizza"]
    # The star is decoration; the word is what a screen reader says.
    html = client.get(poll.get_absolute_url()).content.decode()
    assert '<span class="winner-tag"><span aria-hidden="true">★ </span>winner</span>' in html


def test_a_tie_names_every_tied_option_and_marks_each(client):
    poll = poll_with_votes({"A": 5, "B": 1, "C": 5})

    text = page_text(client, poll)

    assert "A tie between “A” and “C”, 5 votes each." in text
    assert "A ★ tied first 5 votes" in text
    assert marked_labels(client, poll) == ["A", "C"]


def test_a_poll_nobody_voted_in_says_so_instead_of_empty_bars(client):
    poll = poll_with_votes({"Tea": 0, "Coffee": 0})

    response = client.get(poll.get_absolute_url())
    html = response.content.decode()

    assert "Nobody voted in this poll." in html
    assert "The options were: “Tea” and “Coffee”." in html
    assert "<progress" not in html
    assert "winner-tag" not in html


def test_an_open_poll_states_no_outcome(client, user):
    poll = poll_with_votes({"A": 2, "B": 1}, closed=False)
    services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)
    client.force_login(user)

    html = client.get(poll.get_absolute_url()).content.decode()

    assert "data-outcome" not in html
    assert "winner-tag" not in html
    assert "won with" not in html


def test_the_outcome_labels_are_escaped(client):
    poll = poll_with_votes({"<script>alert(1)</script>": 2, "B": 1})

    html = client.get(poll.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;” won with 2 of 3 votes" in html


def test_a_hidden_outcome_is_not_stated_to_those_who_may_not_see_results(client):
    poll = poll_with_votes({"A": 2, "B": 1}, results_visibility=ResultsVisibility.AUTHOR_ONLY)

    for viewer in (None, UserFactory()):
        if viewer:
            client.force_login(viewer)
        html = client.get(poll.get_absolute_url()).content.decode()
        assert "won with" not in html
        assert "winner-tag" not in html
        assert "Download the results" not in html

    client.force_login(poll.author)
    assert "“A” won with 2 of 3 votes" in client.get(poll.get_absolute_url()).content.decode()


def test_the_closed_poll_page_query_count_is_unchanged_by_the_outcome(
    client, user, django_assert_num_queries
):
    poll = poll_with_votes({"A": 2, "B": 1})
    client.force_login(user)
    # session, user, poll with author, its options, my choice
    with django_assert_num_queries(5):
        response = client.get(poll.get_absolute_url())
    assert response.context["outcome"].kind == services.OutcomeKind.WINNER
