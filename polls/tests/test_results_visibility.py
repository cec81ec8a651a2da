"""Results visibility on every path that reads a count, a share or an order by votes: each
setting × each kind of viewer × an open and a closed poll, against a table written out here
independently of the rule (polls.services.visibility). Export and link previews are checked
where they are built (the "sharing" tests)."""

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from polls import services
from polls.models import Poll, ResultsVisibility, User

from .factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

MODES = ResultsVisibility.values
VIEWERS = ["anonymous", "not_voted", "voted", "author", "holder", "staff"]
STATES = ["open", "closed"]
LABELS = ["Red", "Green", "Blue"]
VOTES = [2, 1, 0]  # the voter and another for Red, a third voter for Green
TOTAL = sum(VOTES)
PERCENTS = [66.7, 33.3, 0.0]
# What a moderator holds to read the admin's polls (and their options) and ballots.
STAFF_PERMISSIONS = ("polls.view_poll", "polls.view_option", "polls.view_ballot")

# What the poll page says while results are hidden (the hidden state, or the vote form's small
# print, with the same words).
PAGE_SAYS = {
    services.UNTIL_VOTE: "Results appear once you have voted.",
    services.UNTIL_CLOSE: "Results appear when the poll closes on <time",
    services.NEVER: "Only the author sees the results.",
}
CARD_SAYS = {
    services.UNTIL_VOTE: "Results once you vote",
    services.UNTIL_CLOSE: "Results hidden until it closes",
    services.NEVER: "Results seen by the author only",
}


def expected_until(mode: str, viewer: str, state: str) -> str | None:
    """The issue's table: the author and holders of polls.view_results always see the
    results; others by the setting (after a vote: everyone once the poll closes)."""
    if mode == ResultsVisibility.ALWAYS or viewer in ("author", "holder"):
        return None
    if mode == ResultsVisibility.AFTER_VOTE:
        return None if state == "closed" or viewer == "voted" else services.UNTIL_VOTE
    if mode == ResultsVisibility.AFTER_CLOSE:
        return None if state == "closed" else services.UNTIL_CLOSE
    return services.NEVER


def public(mode: str, state: str) -> bool:
    """Whether the count is everyone's: what ordering=total_votes may sort by."""
    return expected_until(mode, "anonymous", state) is None


@dataclass
class Scene:
    poll: Poll
    reference: Poll  # always visible, one vote: what the subject poll is ordered against
    users: dict[str, User | None]
    state: str

    def client(self, viewer: str) -> Client:
        client = Client()
        if self.users[viewer] is not None:
            client.force_login(self.users[viewer])
        return client


def make_scene(mode: str, state: str) -> Scene:
    author = UserFactory()
    voter = UserFactory()
    users = {
        "anonymous": None,
        "not_voted": UserFactory(),
        "voted": voter,
        "author": author,
        "holder": staff_with("polls.view_results", *STAFF_PERMISSIONS),
        "staff": staff_with(*STAFF_PERMISSIONS),
    }
    poll = PollFactory(author=author, labels=LABELS, results_visibility=mode)
    red, green, _ = poll.options.order_by("position")
    for who, option in [(voter, red), (UserFactory(), red), (UserFactory(), green)]:
        services.vote_cast(poll=poll, voter=who, option_id=option.pk)
    reference = PollFactory(results_visibility=ResultsVisibility.ALWAYS)
    services.vote_cast(poll=reference, voter=UserFactory(), option_id=reference.options.first().pk)
    if state == "closed":
        services.poll_close(poll=poll)
        services.poll_close(poll=reference)
    return Scene(Poll.objects.get(pk=poll.pk), reference, users, state)


def assert_results(body: dict, *, mode: str, until: str | None) -> None:
    assert body["results_visibility"] == mode
    assert body["results_hidden_until"] == until
    assert [option["label"] for option in body["options"]] == LABELS
    assert all(isinstance(option["id"], int) for option in body["options"])
    if until is None:
        assert body["total_votes"] == TOTAL
        assert [option["votes"] for option in body["options"]] == VOTES
        assert [option["percent"] for option in body["options"]] == PERCENTS
    else:
        assert body["total_votes"] is None
        assert all(option["votes"] is None for option in body["options"])
        assert all(option["percent"] is None for option in body["options"])


def card_of(html: str, title: str) -> str:
    """The poll card (home, recently closed) of the poll with this title."""
    cards = re.findall(r'<li class="poll-card.*?</li>', html, flags=re.DOTALL)
    (card,) = [card for card in cards if f">{title}</a>" in card]
    return card


def admin_cell(html: str, field: str) -> list[str]:
    return [cell.strip() for cell in re.findall(rf'<td class="field-{field}">(.*?)</td>', html)]


def check_poll_page(scene: Scene, client: Client, until: str | None) -> None:
    html = client.get(scene.poll.get_absolute_url()).content.decode()
    if until is None:
        assert f"<strong data-total>{TOTAL}</strong> vote<span data-total-plural>s</span>" in html
        assert "data-live" in html
    else:
        assert PAGE_SAYS[until] in html
        assert "data-total" not in html
        assert "data-votes" not in html
        assert "in total" not in html
        assert "data-live" not in html


def check_live_answers(scene: Scene, client: Client, mode: str, until: str | None) -> None:
    for url in live_urls(scene.poll):
        assert_results(client.get(url).json(), mode=mode, until=until)


def check_api_list(scene: Scene, client: Client, mode: str, until: str | None) -> None:
    results = client.get("/api/polls/", {"page_size": 100}).json()["results"]
    (listed,) = [poll for poll in results if poll["id"] == scene.poll.public_id]
    assert_results(listed, mode=mode, until=until)


def check_ordering(scene: Scene, client: Client, mode: str) -> None:
    """The same order for every viewer: by the count everyone sees, hidden ones as -1."""
    subject, reference = scene.poll.public_id, scene.reference.public_id
    busiest_first = [subject, reference] if public(mode, scene.state) else [reference, subject]
    for ordering, expected in [
        ("-total_votes", busiest_first),
        ("total_votes", busiest_first[::-1]),
    ]:
        results = client.get("/api/polls/", {"ordering": ordering}).json()["results"]
        assert [poll["id"] for poll in results] == expected, ordering


def check_cards(scene: Scene, client: Client, until: str | None) -> None:
    """Home: the open polls' cards, or for a closed poll its recently closed card."""
    html = client.get(reverse("polls:index")).content.decode()
    open_polls, _, recently_closed = html.partition('id="closed-title"')
    card = card_of(open_polls if scene.state == "open" else recently_closed, scene.poll.title)
    if until is None:
        so_far = " so far" if scene.state == "open" else ""
        assert f"<strong>{TOTAL}</strong> votes{so_far}</span>" in card
    else:
        assert CARD_SAYS[until] in card
        assert "<strong>" not in card


def check_my_polls(scene: Scene, client: Client, viewer: str) -> None:
    response = client.get(reverse("polls:mine"))
    if viewer == "anonymous":
        assert response.status_code == 302
        return
    html = response.content.decode()
    if viewer == "author":  # always the author's own counts
        assert f"<strong>{TOTAL}</strong> votes" in html
    else:
        assert scene.poll.title not in html


def check_admin(scene: Scene, client: Client, viewer: str, mode: str) -> None:
    """Staff see what the rule shows them without reading their ballots (as one who has not
    voted); holders of polls.view_results see everything; nobody else gets in."""
    polls = client.get(reverse("admin:polls_poll_changelist"), {"q": scene.poll.title})
    ballots = client.get(reverse("admin:polls_ballot_changelist"), {"q": scene.poll.title})
    change = client.get(reverse("admin:polls_poll_change", args=[scene.poll.pk]))
    if viewer not in ("holder", "staff"):
        assert {polls.status_code, ballots.status_code, change.status_code} == {302}
        return
    until = expected_until(mode, "holder" if viewer == "holder" else "not_voted", scene.state)
    assert admin_cell(polls.content.decode(), "total_votes") == [
        str(TOTAL) if until is None else "hidden"
    ]
    chosen = admin_cell(ballots.content.decode(), "chosen")
    # A hidden poll's ballots are not listed at all: their number is the poll's count. Listed,
    # a secret ballot's choices stay secret (test_admin_ballots.py shows public ones').
    assert chosen == (["secret ballot"] * TOTAL if until is None else [])
    readonly = re.search(
        r'field-total_votes.*?<div class="readonly">(.*?)</div>',
        change.content.decode(),
        flags=re.DOTALL,
    )
    assert readonly.group(1) == (str(TOTAL) if until is None else "hidden")
    votes_column = 'class="column-votes"' in change.content.decode()
    assert votes_column == (until is None)


def live_urls(poll: Poll) -> list[str]:
    return [reverse("polls:results", args=[poll.public_id]), f"/api/polls/{poll.public_id}/"]


def check_etag_follows_the_setting(scene: Scene, client: Client, mode: str) -> None:
    """A new setting is a new answer (results_visibility at least), even with no write that
    raises the poll's revision."""
    etags = {url: client.get(url)["ETag"] for url in live_urls(scene.poll)}
    for url, etag in etags.items():
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    other = MODES[(MODES.index(mode) + 1) % len(MODES)]
    Poll.objects.filter(pk=scene.poll.pk).update(results_visibility=other)
    for url, etag in etags.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200
        assert response.json()["results_visibility"] == other
    Poll.objects.filter(pk=scene.poll.pk).update(results_visibility=mode)


def check_etag_follows_the_permission(scene: Scene, client: Client, viewer: str, mode: str):
    """Given polls.view_results (or losing it, for its holder): a new answer exactly when
    what the viewer sees changes."""
    user = scene.users[viewer]
    if user is None:
        return
    before = expected_until(mode, viewer, scene.state)
    etags = {url: client.get(url)["ETag"] for url in live_urls(scene.poll)}
    permission = Permission.objects.get(content_type__app_label="polls", codename="view_results")
    if viewer == "holder":
        user.user_permissions.remove(permission)
        after = expected_until(mode, "not_voted", scene.state)
    else:
        user.user_permissions.add(permission)
        after = None
    for url, etag in etags.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        if before == after:
            assert response.status_code == 304, url
        else:
            assert response.status_code == 200, url
            assert response.json()["results_hidden_until"] == after


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("mode", MODES)
def test_every_read_path_shows_counts_exactly_when_the_rule_does(mode, viewer, state):
    scene = make_scene(mode, state)
    client = scene.client(viewer)
    until = expected_until(mode, viewer, state)

    check_poll_page(scene, client, until)
    check_live_answers(scene, client, mode, until)
    check_api_list(scene, client, mode, until)
    check_ordering(scene, client, mode)
    check_cards(scene, client, until)
    check_my_polls(scene, client, viewer)
    check_admin(scene, client, viewer, mode)
    check_etag_follows_the_setting(scene, client, mode)
    check_etag_follows_the_permission(scene, client, viewer, mode)


# --- The poll page around the results ----------------------------------------------------------


def test_the_author_sees_the_results_without_voting_and_may_still_vote():
    scene = make_scene(ResultsVisibility.AFTER_VOTE, "open")
    html = scene.client("author").get(scene.poll.get_absolute_url()).content.decode()

    assert "<strong data-total>3</strong>" in html
    assert 'class="vote-form"' in html
    assert (
        "You see these results as the poll's author. Voters see them once they have voted." in html
    )


def test_a_voter_waiting_for_the_close_sees_their_choice_and_no_form():
    scene = make_scene(ResultsVisibility.AFTER_CLOSE, "open")
    html = scene.client("voted").get(scene.poll.get_absolute_url()).content.decode()

    assert "You voted for <strong>Red</strong>." in html
    assert 'class="vote-form"' not in html
    assert PAGE_SAYS[services.UNTIL_CLOSE] in html


def test_a_closed_poll_whose_results_are_the_authors_offers_no_form():
    scene = make_scene(ResultsVisibility.AUTHOR_ONLY, "closed")
    html = scene.client("not_voted").get(scene.poll.get_absolute_url()).content.decode()

    assert 'class="vote-form"' not in html
    assert PAGE_SAYS[services.NEVER] in html
