"""A poll's description: plain text under the question, line breaks kept, web addresses made
links safely; a one-line excerpt on home's cards."""

import re

import pytest
from django.urls import reverse

from polls.templatetags.votr import description_excerpt, poll_description

from .factories import PollFactory

REL = 'rel="nofollow noopener ugc"'


def html_of(text: str) -> str:
    return str(poll_description(text))


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


def test_plain_text_is_a_paragraph():
    assert html_of("Which day suits you?") == "<p>Which day suits you?</p>"


def test_line_breaks_are_kept_and_blank_lines_make_paragraphs():
    text = "First line\r\nsecond line\n\n\n  \nNew paragraph\rlast line  \n"

    assert html_of(text) == ("<p>First line<br>second line</p><p>New paragraph<br>last line</p>")


def test_an_empty_description_is_nothing():
    assert html_of("") == html_of("  \n \n") == ""


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<a href='javascript:alert(1)'>click</a>",
        "</p><p>forged",
        "&lt;already escaped&gt; &amp;",
    ],
)
def test_html_is_shown_as_text(hostile):
    html = html_of(hostile)

    assert "<" not in html.removeprefix("<p>").removesuffix("</p>")
    assert "&lt;" in html or "&amp;" in html


def test_web_addresses_become_links_with_safe_rel():
    html = html_of("Menu at https://example.com/menu?day=fri&veg=1 or http://example.org.")

    assert links(html) == ["https://example.com/menu?day=fri&amp;veg=1", "http://example.org"]
    assert html.count(REL) == 2
    assert html.endswith("example.org</a>.</p>")


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "ftp://example.com/file",
        "www.example.com",
        "//example.com/protocol-relative",
        "http://",
        "https://[not-an-address",
    ],
)
def test_no_other_scheme_or_broken_address_becomes_a_link(text):
    html = html_of(text)

    assert "<a" not in html


def test_an_address_hidden_behind_javascript_links_only_its_web_part():
    html = html_of("javascript:https://example.com/x")

    assert links(html) == ["https://example.com/x"]
    assert html.startswith("<p>javascript:<a ")


def test_quotes_cannot_leave_the_href():
    html = html_of('https://example.com/"onmouseover="alert(1) and https://example.com/\'x')

    assert links(html) == ["https://example.com/", "https://example.com/"]
    assert "onmouseover=&quot;" in html
    assert '"onmouseover' not in html


def test_an_address_in_brackets_keeps_the_brackets_out_and_its_own_in():
    html = html_of("(see https://en.wikipedia.org/wiki/Vote_(disambiguation)) [https://a.example]")

    assert links(html) == [
        "https://en.wikipedia.org/wiki/Vote_(disambiguation)",
        "https://a.example",
    ]
    assert html.endswith(
        "</a>) [<a " + 'href="https://a.example" ' + REL + ">https://a.example</a>]</p>"
    )


def test_a_2000_character_word_or_address_is_kept_whole():
    word = "a" * 2000
    address = "https://example.com/" + "b" * 1980

    assert html_of(word) == f"<p>{word}</p>"
    assert links(html_of(address)) == [address]


def test_a_description_made_of_brackets_takes_no_time():
    """The closing brackets are counted once, not once per bracket taken off."""
    html = html_of("https://example.com/" + ")" * 1980)

    assert links(html) == ["https://example.com/"]


def test_the_excerpt_is_the_first_line_shortened_and_plain():
    assert description_excerpt("\n  First   line <b>here</b>\nsecond") == "First line <b>here</b>"
    assert len(description_excerpt("x" * 2000)) == 140
    assert description_excerpt("") == ""


@pytest.mark.django_db
def test_the_poll_page_shows_the_description_under_the_question(client):
    poll = PollFactory(
        title="Team lunch?", description="Pick a day.\nMenus: https://example.com/menus <b>"
    )

    html = client.get(poll.get_absolute_url()).content.decode()

    question = html.index("<h1>Team lunch?</h1>")
    description = html.index('<div class="poll-description">')
    assert question < description
    assert (
        '<p>Pick a day.<br>Menus: <a href="https://example.com/menus" '
        f"{REL}>https://example.com/menus</a> &lt;b&gt;</p>"
    ) in html


@pytest.mark.django_db
def test_a_poll_without_a_description_shows_none(client):
    poll = PollFactory()

    assert "poll-description" not in client.get(poll.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_home_cards_show_an_escaped_one_line_excerpt(client, django_assert_num_queries):
    PollFactory(title="With words?", description="Bring <snacks>\nand more")
    PollFactory(title="Without?")

    with django_assert_num_queries(2):  # open polls, recently closed: the excerpt is free
        html = client.get(reverse("polls:index")).content.decode()

    assert '<p class="poll-card-excerpt">Bring &lt;snacks&gt;</p>' in html
    assert html.count("poll-card-excerpt") == 1
