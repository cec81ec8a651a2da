"""Sharing a poll: the QR code of its link (SVG drawn by Votr), the picture and the Open Graph
and Twitter card tags a link preview reads, and the share section of the page."""

import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import segno
from django.utils import timezone
from PIL import Image

from polls import cards, services
from polls.models import Poll, ResultsVisibility

from .factories import PollFactory, UserFactory
from .tallies import poll_with_votes

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


# --- QR code ---------------------------------------------------------------------------------


def qr_modules(svg: bytes) -> set[tuple[int, int]]:
    """The dark modules (row, column) of a QR code drawn as segno draws it: one path of
    horizontal runs ("M x y", "m dx dy", "h length") at half-module heights."""
    root = ET.fromstring(svg)  # noqa: S314 (our own SVG; well-formed, or this raises)
    (path,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "qrline"]
    x = y = 0.0
    dark = set()
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", path.get("d")):
        values = [float(n) for n in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:  # h: a run of dark modules
            length = values[0] if command == "h" else values[0] - x
            dark |= {(int(y - 0.5), int(x) + step) for step in range(int(length))}
            x += length
    return dark


def segno_modules(text: str, *, border: int = 4) -> set[tuple[int, int]]:
    matrix = segno.make(text, error="m").matrix
    return {
        (row + border, column + border)
        for row, line in enumerate(matrix)
        for column, module in enumerate(line)
        if module
    }


def test_the_qr_code_is_an_svg_of_the_polls_absolute_link(client):
    poll = PollFactory()

    response = client.get(f"/polls/{poll.public_id}/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # noqa: S314 (our own SVG)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    link = f"http://testserver/polls/{poll.public_id}/"
    assert root.find(f"{SVG}title").text == f"QR code: {link}"
    assert qr_modules(response.content) == segno_modules(link)


def test_the_qr_code_follows_the_host_the_site_is_reached_at(client, settings):
    settings.ALLOWED_HOSTS = ["votr.example.com"]
    poll = PollFactory()

    response = client.get(f"/polls/{poll.public_id}/qr.svg", HTTP_HOST="votr.example.com")

    link = f"http://votr.example.com/polls/{poll.public_id}/"
    assert qr_modules(response.content) == segno_modules(link)


def test_the_qr_code_is_cached_publicly_and_revalidated_for_free(client, django_assert_num_queries):
    poll = PollFactory()
    url = f"/polls/{poll.public_id}/qr.svg"

    first = client.get(url)
    assert "public" in first["Cache-Control"]
    assert "max-age=86400" in first["Cache-Control"]
    assert "Cookie" not in first.get("Vary", "")
    with django_assert_num_queries(1):
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_the_qr_code_of_no_poll_is_a_404(client):
    assert client.get("/polls/nothing-here/qr.svg").status_code == 404


# --- Preview picture -------------------------------------------------------------------------


def card(client, poll):
    response = client.get(f"/polls/{poll.public_id}/card.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.verify()  # a whole, valid PNG
    return response, image


def test_the_card_is_a_1200_by_630_png(client):
    _, image = card(client, PollFactory(title="Where should we eat on Friday?"))
    assert (image.format, image.size) == ("PNG", (1200, 630))


@pytest.mark.parametrize(
    "title",
    [
        "W" * 200,  # one word wider than the picture
        "Which one? " * 18,  # more lines than fit
        "Что выбрать на обед: пиццу или суши?",
        "هل تفضل القهوة أم الشاي؟",
        "你更喜欢哪一个？茶还是咖啡？",
        "Emoji 🍕🍣🌮 and a zero-width\u200bjoiner",
        '<script>alert(1)</script> & "quotes"',
    ],
)
def test_long_and_non_latin_questions_draw_a_card(client, title):
    _, image = card(client, PollFactory(title=title))
    assert image.size == (1200, 630)


def test_the_card_draws_with_pillows_own_font_where_dejavu_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(cards, "FONT_FILES", {True: tmp_path / "no.ttf", False: tmp_path / "no"})
    cards._font.cache_clear()
    try:
        png = cards.poll_card_png(question="Tea or coffee?", author="ada", site="votr.test")
    finally:
        cards._font.cache_clear()
    assert Image.open(io.BytesIO(png)).size == (1200, 630)


def test_long_questions_wrap_within_the_picture_and_end_with_an_ellipsis():
    lines, font = cards.question_lines("Which one? " * 30, 1040, 330)
    assert len(lines) <= cards.QUESTION_MAX_LINES
    assert lines[-1].endswith("…")
    assert all(font.getlength(line) <= 1040 for line in lines)


def test_the_card_is_cached_and_redrawn_only_when_the_question_changes(
    client, django_assert_num_queries
):
    poll = PollFactory(title="Tea or coffee?")
    first, _ = card(client, poll)
    assert "public" in first["Cache-Control"]

    with django_assert_num_queries(1):
        unchanged = client.get(
            f"/polls/{poll.public_id}/card.png", HTTP_IF_NONE_MATCH=first["ETag"]
        )
    assert unchanged.status_code == 304

    Poll.objects.filter(pk=poll.pk).update(title="Coffee or tea?")
    changed = client.get(f"/polls/{poll.public_id}/card.png", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_the_card_of_no_poll_is_a_404(client):
    assert client.get("/polls/nothing-here/card.png").status_code == 404


# --- Open Graph and Twitter card tags --------------------------------------------------------


class MetaTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("property") or attributes.get("name")
        if tag == "meta" and name and ("og:" in name or "twitter:" in name):
            self.tags[name] = attributes.get("content")


def preview_tags(client, poll) -> dict[str, str]:
    parser = MetaTags()
    parser.feed(client.get(poll.get_absolute_url()).content.decode())
    return parser.tags


def test_the_page_has_open_graph_and_twitter_card_tags(client):
    poll = PollFactory(title="Tea or coffee?", labels=["Tea", "Coffee"])

    tags = preview_tags(client, poll)

    link = f"http://testserver/polls/{poll.public_id}/"
    assert tags["og:title"] == tags["twitter:title"] == "Tea or coffee?"
    assert tags["og:type"] == "website"
    assert tags["og:site_name"] == "Votr"
    assert tags["og:url"] == link
    assert tags["og:image"] == tags["twitter:image"] == f"{link}card.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:description"] == tags["twitter:description"]
    assert tags["og:description"].startswith(
        f"A poll by {poll.author.username} with 2 options: Tea, Coffee."
    )


def test_the_description_is_the_polls_own_when_it_has_one(client):
    poll = PollFactory(description="Friday's lunch.\nVote by noon.\n" + "x" * 300)

    description = preview_tags(client, poll)["og:description"]

    assert description.startswith("Friday's lunch. Vote by noon. xxx")
    assert len(description) < 300


def test_the_tags_are_escaped(client):
    poll = PollFactory(title='"><script>alert(1)</script>', labels=['"><b>x', "B"])

    html = client.get(poll.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in html
    assert "<b>x" not in html
    assert preview_tags(client, poll)["og:title"] == '"><script>alert(1)</script>'


def test_the_preview_of_a_closed_public_poll_states_its_outcome(client):
    poll = poll_with_votes({"Pizza": 7, "Sushi": 3}, results_visibility=ResultsVisibility.ALWAYS)

    description = preview_tags(client, poll)["og:description"]

    assert description.endswith("“Pizza” won with 7 of 10 votes (70%).")


def test_the_preview_of_an_open_public_poll_counts_its_votes(client):
    poll = poll_with_votes({"A": 4, "B": 3}, closed=False, results_visibility="always")
    assert preview_tags(client, poll)["og:description"].endswith("Open for votes: 7 votes so far.")


HIDDEN_COUNT = 7


@pytest.mark.parametrize("visibility", list(ResultsVisibility))
@pytest.mark.parametrize("closed", [False, True])
def test_a_link_preview_never_shows_a_hidden_count(client, visibility, closed):
    """Crawlers are anonymous: where anyone at all may not see the results, no tag holds a
    count, a share or the outcome, whoever views the page (the author included)."""
    poll = poll_with_votes(
        {"Alpha": HIDDEN_COUNT, "Beta": 0},
        closed=closed,
        results_visibility=visibility,
        title="Which?",
    )
    public = services.results_public(poll=poll)
    voter = UserFactory()

    for viewer in (None, voter, poll.author):
        if viewer:
            client.force_login(viewer)
        tags = preview_tags(client, poll)
        shown = " ".join(tags.values())
        counts = re.findall(r"\b\d+ (?:of \d+ )?votes?\b", shown)
        if public:
            assert counts == [f"{HIDDEN_COUNT} votes" if not closed else "7 of 7 votes"] * 2
        else:
            assert counts == []
            assert "%" not in shown
            assert "won" not in shown
        client.logout()


def test_a_poll_past_its_closing_time_previews_as_closed(client):
    poll = poll_with_votes({"A": 1, "B": 0}, closed=False, results_visibility="after_close")
    Poll.objects.filter(pk=poll.pk).update(
        created_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(days=1)
    )
    description = preview_tags(client, Poll.objects.get(pk=poll.pk))["og:description"]
    assert description.endswith("“A” won with 1 of 1 vote (100%).")


# --- The share section -----------------------------------------------------------------------


def test_the_share_section_offers_the_link_the_share_sheet_and_the_qr_code(client):
    poll = PollFactory(title="Tea or coffee?")

    html = client.get(poll.get_absolute_url()).content.decode()

    assert f'value="http://testserver/polls/{poll.public_id}/tea-or-coffee/"' in html
    assert 'data-copy="#share-url" hidden>Copy link</button>' in html
    assert (
        'data-share="#share-url" data-share-title="Tea or coffee?" hidden>Share…</button>' in html
    )
    qr = f"/polls/{poll.public_id}/qr.svg"
    assert f'<img src="{qr}" width="148" height="148" alt="QR code of this poll’s link, ' in html
    assert f'<a href="{qr}" download="tea-or-coffee-qr.svg">Download the QR code' in html
