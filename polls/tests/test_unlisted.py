"""Unlisted polls: reachable by their link, absent from every public list (home, recently
closed, search, option-label suggestions), on their author's My polls marked "Unlisted"."""

import pytest
from django.urls import reverse

from polls import services
from polls.models import Option, Poll

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("polls:index")


def closed_poll(**kwargs) -> Poll:
    poll = PollFactory(**kwargs)
    services.poll_close(poll=poll)
    return poll


def titles(response, name: str) -> list[str]:
    return [poll.title for poll in response.context[name]]


def test_listed_leaves_unlisted_polls_out():
    shown = PollFactory(title="Shown?")
    PollFactory(title="Hidden?", unlisted=True)

    assert list(Poll.objects.listed()) == [shown]
    assert list(Poll.objects.listed().open()) == [shown]
    assert list(Poll.objects.closed().listed()) == []


def test_home_leaves_unlisted_polls_out_of_open_and_recently_closed(client):
    PollFactory(title="Open and listed?")
    PollFactory(title="Open but unlisted?", unlisted=True)
    closed_poll(title="Closed and listed?")
    closed_poll(title="Closed but unlisted?", unlisted=True)

    response = client.get(HOME)

    assert titles(response, "polls") == ["Open and listed?"]
    assert titles(response, "recently_closed") == ["Closed and listed?"]
    assert "unlisted" not in response.content.decode()


def test_home_search_leaves_unlisted_polls_out(client):
    PollFactory(title="Lunch on Friday?")
    PollFactory(title="Lunch with the board?", unlisted=True)
    closed_poll(title="Lunch last week?", unlisted=True)

    response = client.get(HOME, {"q": "lunch"})

    assert titles(response, "polls") == ["Lunch on Friday?"]
    assert titles(response, "recently_closed") == []


def test_home_pages_count_only_listed_polls(client):
    """Ten listed polls fill one page: the unlisted ones add no older page."""
    for _ in range(10):
        PollFactory()
    for _ in range(3):
        PollFactory(unlisted=True)

    response = client.get(HOME)

    assert len(response.context["polls"]) == 10
    assert not response.context["page_obj"].has_next()


def test_an_unlisted_poll_is_reachable_by_its_link_by_anyone(client):
    poll = PollFactory(title="Only with the link?", unlisted=True)

    response = client.get(poll.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Only with the link?" in html
    assert "Only people with its link can find this poll." in html
    assert '<meta name="robots" content="noindex">' in html  # nor in search engines
    assert client.get(reverse("polls:results", args=[poll.public_id])).status_code == 200


def test_a_listed_poll_page_says_nothing_about_links(client):
    poll = PollFactory()

    html = client.get(poll.get_absolute_url()).content.decode()
    assert "Only people with its link" not in html
    assert "noindex" not in html


def test_my_polls_shows_my_unlisted_polls_marked_unlisted(client, user):
    PollFactory(author=user, title="My secret poll?", unlisted=True)
    PollFactory(author=user, title="My public poll?")
    PollFactory(title="Someone else's unlisted poll?", unlisted=True)
    client.force_login(user)

    response = client.get(reverse("polls:mine"))

    assert titles(response, "polls") == ["My public poll?", "My secret poll?"]
    html = response.content.decode()
    assert html.count('class="badge badge-unlisted">Unlisted</span>') == 1
    assert "Someone else" not in html


# --- Option-label suggestions ----------------------------------------------------------------


def suggestions(client, search: str) -> list[str]:
    page = client.get(reverse("polls:labels"), {"q": search}).json()
    api = client.get("/api/options/", {"search": search}).json()
    assert page == api
    return page["labels"]


def test_suggestions_leave_out_labels_used_only_in_unlisted_polls(client):
    PollFactory(labels=["Apple", "Banana"])
    PollFactory(labels=["Apple crumble", "Apple secret"], unlisted=True)
    closed_poll(labels=["Apple closed", "Other"], unlisted=True)

    assert suggestions(client, "apple") == ["Apple"]


def test_suggestions_count_only_uses_in_listed_polls(client):
    """A label used often but mostly in unlisted polls ranks by its listed uses alone."""
    for _ in range(3):
        PollFactory(labels=["Often hidden", "Filler"], unlisted=True)
    PollFactory(labels=["Often hidden", "Twice shown"])
    PollFactory(labels=["Twice shown", "Filler two"])

    assert suggestions(client, "e") == ["Twice shown", "Filler two", "Often hidden"]


def test_a_label_in_both_kinds_of_poll_is_suggested_in_a_listed_spelling(client):
    PollFactory(labels=["yes", "no"])
    PollFactory(labels=["YES", "NO"], unlisted=True)

    assert suggestions(client, "ye") == ["yes"]


def test_suggestions_stay_one_query(django_assert_num_queries):
    PollFactory(labels=["Apple", "Banana"])
    PollFactory(labels=["Apple pie", "Cherry"], unlisted=True)

    with django_assert_num_queries(1):
        assert Option.objects.label_suggestions(search="app") == ["Apple"]


def test_suggestions_follow_a_poll_listed_again(client):
    poll = PollFactory(labels=["Mango", "Kiwi"], unlisted=True)
    assert suggestions(client, "mango") == []

    Poll.objects.filter(pk=poll.pk).update(unlisted=False)

    assert suggestions(client, "mango") == ["Mango"]


def test_another_users_lists_never_show_my_unlisted_polls(client):
    author = UserFactory()
    PollFactory(author=author, title="Private planning?", unlisted=True)
    client.force_login(UserFactory())

    for url in (HOME, reverse("polls:mine"), f"{HOME}?q=private"):
        assert "Private planning?" not in client.get(url).content.decode()
