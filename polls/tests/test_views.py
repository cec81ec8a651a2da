"""The voter pages, through Django's test client: every page, every error path, and the number
of queries the busy pages make (which must not grow with the number of polls or options)."""

import re
from datetime import UTC, timedelta

import pytest
from django.contrib.messages import get_messages
from django.template import Context, Template
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from polls import services
from polls.models import AuditEntry, Ballot, Option, Poll, ResultsVisibility, User
from polls.search import NUL_REFUSED, SEARCH_MAX_LENGTH, TOO_LONG
from polls.services import checks
from polls.services import polls as services_polls
from polls.templatetags.votr import relative_text

from .factories import PASSWORD, PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def closed_poll(**kwargs) -> Poll:
    poll = PollFactory(**kwargs)
    services.poll_close(poll=poll)
    return poll


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


# --- Home ------------------------------------------------------------------------------------


def test_home_lists_open_polls_newest_first_with_votes_and_time_left(client):
    older = PollFactory(title="Older question?")
    older.created_at = timezone.now() - timedelta(hours=2)
    older.save(update_fields=["created_at"])
    newer = PollFactory(
        title="Newer question?",
        closes_at=timezone.now() + timedelta(hours=3, minutes=5),
        results_visibility=ResultsVisibility.ALWAYS,
    )
    services.vote_cast(poll=newer, voter=UserFactory(), option_id=newer.options.first().pk)

    response = client.get(reverse("polls:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Newer question?") < html.index("Older question?")
    assert "<strong>1</strong> vote so far" in html
    assert "Closes <time" in html
    assert "3\xa0hours from now</time>" in html
    assert "<title>Open polls · Votr</title>" in html


def test_home_shows_recently_closed_polls_after_the_open_ones(client):
    PollFactory(title="Still open?")
    closed_poll(title="All done?")

    html = client.get(reverse("polls:index")).content.decode()

    assert "Recently closed" in html
    assert html.index("Still open?") < html.index("Recently closed") < html.index("All done?")


def test_home_invites_visitors_to_sign_up_but_not_members(client, user):
    assert "Sign up free" in client.get(reverse("polls:index")).content.decode()
    client.force_login(user)
    assert "Sign up free" not in client.get(reverse("polls:index")).content.decode()


def test_home_search_matches_titles_ignoring_case(client):
    PollFactory(title="Best pizza topping?")
    PollFactory(title="Tabs or spaces?")

    html = client.get(reverse("polls:index"), {"q": "PIZZA"}).content.decode()

    assert "Best pizza topping?" in html
    assert "Tabs or spaces?" not in html
    assert "Open polls matching “PIZZA”" in html


def test_home_search_with_no_match_says_so(client):
    PollFactory(title="Tabs or spaces?")
    html = client.get(reverse("polls:index"), {"q": "nothing like this"}).content.decode()
    assert "No open poll matches" in html


def test_home_paginates_ten_polls_a_page_and_keeps_the_search(client):
    for number in range(12):
        PollFactory(title=f"Question number {number}?")

    first = client.get(reverse("polls:index"), {"q": "number"})
    second = client.get(reverse("polls:index"), {"q": "number", "page": 2})

    assert len(first.context["polls"]) == 10
    assert len(second.context["polls"]) == 2
    assert "q=number&amp;page=2" in first.content.decode()


def test_home_page_out_of_range_is_a_404(client):
    response = client.get(reverse("polls:index"), {"page": 99})
    assert response.status_code == 404


@pytest.mark.parametrize("page", ["last", "0", "-1", "1.5"])
def test_home_page_that_is_not_a_page_number_is_a_404(client, page):
    PollFactory()
    assert client.get(reverse("polls:index"), {"page": page}).status_code == 404


def test_home_pages_link_newer_and_older_without_counting(client):
    """No total: a page reads one poll more than it shows to know that an older page follows."""
    for number in range(11):
        PollFactory(title=f"Question number {number}?")

    first = client.get(reverse("polls:index")).content.decode()
    second = client.get(reverse("polls:index"), {"page": 2}).content.decode()

    assert 'rel="next" href="?page=2"' in first
    assert 'rel="prev"' not in first
    assert "<span>Page 1</span>" in first
    assert 'rel="prev" href="?page=1"' in second
    assert 'rel="next"' not in second


@pytest.mark.parametrize("count", [1, 10])
def test_home_query_count_does_not_grow_with_polls(client, user, django_assert_num_queries, count):
    for _ in range(count):
        PollFactory()
    for _ in range(count):
        closed_poll()
    client.force_login(user)
    # session, user, open polls page (one row more than shown, no count), the user's ballots in
    # them, the user's permissions and their groups' (the open polls hide their results from a
    # user who has not voted, unless they hold polls.view_results), recently closed
    with django_assert_num_queries(7):
        response = client.get(reverse("polls:index"))
    assert response.status_code == 200


# --- Poll page -------------------------------------------------------------------------------


def test_poll_page_shows_options_as_radio_buttons_in_a_fieldset(signed_in, poll):
    response = signed_in.get(poll.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<fieldset>" in html
    assert "<legend>Pick one answer</legend>" in html
    for option in poll.options.all():
        assert f'id="option-{option.pk}" value="{option.pk}"' in html
    assert ">Vote</button>" in html
    assert f"<title>{poll.title} · Votr</title>" in html


def test_poll_page_title_slug_decorates_the_url_but_the_id_finds_the_poll(client, poll):
    url = reverse("polls:detail-slug", kwargs={"public_id": poll.public_id, "slug": "anything"})
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["poll"] == poll


def test_unknown_poll_is_a_real_404_page_with_a_way_home(client):
    response = client.get(reverse("polls:detail", kwargs={"public_id": "no-such-poll"}))

    assert response.status_code == 404
    html = response.content.decode()
    assert "We can’t find that page" in html
    assert f'href="{reverse("polls:index")}"' in html


def test_visitors_see_the_poll_and_are_asked_to_log_in_to_vote(client, poll):
    html = client.get(poll.get_absolute_url()).content.decode()

    assert "Log in to vote" in html
    assert f"?next={poll.get_absolute_url()}" in html
    assert ">Vote</button>" not in html


def test_poll_page_after_voting_shows_results_and_your_choice(signed_in, user, poll):
    first, second, _ = poll.options.all()
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=first.pk)
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=second.pk)

    html = signed_in.get(poll.get_absolute_url()).content.decode()

    assert "You voted for <strong>Option 1</strong>" in html
    text = " ".join(strip_tags(html).split())
    assert "Option 1 your vote 2 votes · 66.7%" in text
    assert "Option 2 1 vote · 33.3%" in text
    assert "Option 3 0 votes · 0%" in text
    assert "3 votes in total so far." in text
    assert 'type="radio"' not in html
    assert 'aria-live="polite"' in html


def test_closed_poll_shows_final_results_and_closing_date(client, poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    services.poll_close(poll=poll)
    html = client.get(poll.get_absolute_url()).content.decode()
    assert "Closed on" in html
    assert "in total." in html
    assert "Log in to vote" not in html


def test_poll_page_has_a_share_link_with_the_title_as_decoration(client):
    poll = PollFactory(title="Best pizza topping?")
    html = client.get(poll.get_absolute_url()).content.decode()
    assert f"http://testserver/polls/{poll.public_id}/best-pizza-topping/" in html
    assert "data-copy" in html


@pytest.mark.parametrize("options", [2, 20])
def test_poll_page_query_count_does_not_grow_with_options(
    client, user, django_assert_num_queries, options
):
    poll = PollFactory(labels=[f"Choice {n}" for n in range(options)])
    services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)
    client.force_login(user)
    # session, user, poll with total, its options, my choice
    with django_assert_num_queries(5):
        response = client.get(poll.get_absolute_url())
    assert response.context["show_results"]


# --- Voting ----------------------------------------------------------------------------------


def test_vote_is_counted_and_redirects_back_to_the_poll(signed_in, user, poll):
    option = poll.options.last()

    response = signed_in.post(reverse("polls:vote", args=[poll.public_id]), {"option": option.pk})

    assert response.status_code == 302
    assert response.url == poll.get_absolute_url()
    assert flashes(response) == ["Your vote is counted. Thank you!"]
    option.refresh_from_db()
    assert option.votes == 1


def test_vote_query_count_is_fixed(signed_in, poll, database_cache, django_assert_num_queries):
    option_id = poll.options.first().pk
    # poll, session, user, the votes throttle (read, upsert), then vote_cast: savepoint,
    # option with its poll, ballot, choice, counter, release (the flash message travels in a
    # cookie)
    with django_assert_num_queries(11):
        response = signed_in.post(
            reverse("polls:vote", args=[poll.public_id]), {"option": option_id}
        )
    assert flashes(response) == ["Your vote is counted. Thank you!"]


def test_second_vote_is_refused_with_a_message_and_no_change(signed_in, user, poll):
    first, second, _ = poll.options.all()
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    response = signed_in.post(
        reverse("polls:vote", args=[poll.public_id]), {"option": second.pk}, follow=True
    )

    assert "You have already voted in this poll." in response.content.decode()
    assert [o.votes for o in poll.options.all()] == [1, 0, 0]


def test_vote_on_closed_poll_is_refused_with_a_message(signed_in, poll):
    services.poll_close(poll=poll)
    response = signed_in.post(
        reverse("polls:vote", args=[poll.public_id]), {"option": poll.options.first().pk}
    )
    assert flashes(response) == ["This poll is closed."]
    assert not Ballot.objects.exists()


def test_vote_without_a_choice_asks_for_one(signed_in, poll):
    response = signed_in.post(reverse("polls:vote", args=[poll.public_id]), {})
    assert flashes(response) == ["Choose an option, then press Vote."]
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("option", ["abc", "999999", "1.5"])
def test_vote_for_a_bad_option_is_refused(signed_in, poll, option):
    response = signed_in.post(reverse("polls:vote", args=[poll.public_id]), {"option": option})
    assert response.status_code == 302
    assert flashes(response) == ["That option is not part of this poll."]


def test_vote_for_another_polls_option_is_refused(signed_in, poll):
    other = PollFactory()
    response = signed_in.post(
        reverse("polls:vote", args=[poll.public_id]), {"option": other.options.first().pk}
    )
    assert flashes(response) == ["That option is not part of this poll."]
    assert not Ballot.objects.exists()


def test_visitor_vote_goes_to_login_and_comes_back_to_the_poll(client, poll):
    response = client.post(
        reverse("polls:vote", args=[poll.public_id]), {"option": poll.options.first().pk}
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={poll.get_absolute_url()}"
    assert not Ballot.objects.exists()


def test_vote_on_unknown_poll_is_404(signed_in):
    response = signed_in.post(reverse("polls:vote", args=["nope"]), {"option": 1})
    assert response.status_code == 404


def test_vote_page_refuses_get(signed_in, poll):
    assert signed_in.get(reverse("polls:vote", args=[poll.public_id])).status_code == 405


# --- Live results and autocomplete endpoints -------------------------------------------------


def test_results_json_gives_counts_and_percentages(client, poll):
    Poll.objects.filter(pk=poll.pk).update(results_visibility=ResultsVisibility.ALWAYS)
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)

    data = client.get(reverse("polls:results", args=[poll.public_id])).json()

    assert data["is_open"] is True
    assert data["total_votes"] == 1
    assert [o["votes"] for o in data["options"]] == [1, 0, 0]
    assert [o["percent"] for o in data["options"]] == [100.0, 0.0, 0.0]


def test_results_json_is_revalidated_each_time(client, poll):
    """Kept by the browser but asked again every time (the ETag rules: test_live.py)."""
    response = client.get(reverse("polls:results", args=[poll.public_id]))
    assert "no-cache" in response["Cache-Control"]
    assert response["ETag"]


def test_results_json_for_unknown_poll_is_a_json_404(client):
    response = client.get(reverse("polls:results", args=["nope"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no poll with that address."}


@pytest.mark.parametrize("options", [2, 20])
def test_results_json_query_count_is_fixed(client, poll, django_assert_num_queries, options):
    poll = PollFactory(labels=[f"Choice {n}" for n in range(options)])
    with django_assert_num_queries(2):
        client.get(reverse("polls:results", args=[poll.public_id]))


def test_label_suggestions_come_from_earlier_polls_prefix_first(client):
    PollFactory(labels=["Pineapple", "Apple pie", "Apple", "Banana"])
    PollFactory(labels=["apple", "Cherry"])
    data = client.get(reverse("polls:labels"), {"q": "app"}).json()
    assert data["labels"] == ["Apple", "Apple pie", "Pineapple"]


def test_label_suggestions_need_a_query(client):
    PollFactory()
    assert client.get(reverse("polls:labels")).json() == {"labels": []}


def test_results_json_is_the_apis_results_of_the_poll(client, poll):
    """One JSON contract: the page script reads the API's serializer, field for field."""
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)

    page = client.get(reverse("polls:results", args=[poll.public_id])).json()
    api = client.get(f"/api/polls/{poll.public_id}/").json()

    fields = ["is_open", "closes_at", "closed_at", "results_visibility", "results_hidden_until"]
    assert page == {name: api[name] for name in [*fields, "total_votes", "options", "ranked"]}


def test_label_suggestions_are_the_apis_answer(client):
    PollFactory(labels=["Apple", "Apple pie", "Banana"])

    page = client.get(reverse("polls:labels"), {"q": "app"}).json()

    assert page == client.get("/api/options/", {"search": "app"}).json()


def test_live_results_do_not_spend_the_apis_anonymous_throttle(client, poll, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/minute")

    for _ in range(3):
        assert client.get(reverse("polls:results", args=[poll.public_id])).status_code == 200
        assert client.get(reverse("polls:labels"), {"q": "o"}).status_code == 200
    assert client.get("/api/options/").status_code == 200
    assert client.get("/api/options/").status_code == 429


def test_home_search_has_the_apis_limit_and_says_why_it_refuses(client):
    PollFactory(title="x" * 200)
    longest = "x" * SEARCH_MAX_LENGTH

    found = client.get(reverse("polls:index"), {"q": longest})
    refused = client.get(reverse("polls:index"), {"q": longest + "x"})

    assert found.context["query"] == longest
    assert len(found.context["polls"]) == 1
    assert refused.status_code == 200
    assert refused.context["query"] == ""
    assert f"Search: {TOO_LONG}" in refused.content.decode()
    api = client.get("/api/polls/", {"search": longest + "x"}).json()
    assert api["errors"] == {"search": [TOO_LONG]}


def test_home_search_with_a_nul_is_refused_in_the_apis_words(client):
    response = client.get(reverse("polls:index"), {"q": "a\x00b"})

    assert response.status_code == 200
    assert f"Search: {NUL_REFUSED}" in response.content.decode()


# --- Create a poll ---------------------------------------------------------------------------


def create_data(**overrides):
    data = {"title": "Lunch?", "options": ["Pizza", "Sushi", "Salad"]}
    data.update({"days": "1", "hours": "0", "minutes": "0"})
    data.update(overrides)
    return data


def test_create_page_needs_login(client):
    response = client.get(reverse("polls:create"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('polls:create')}"


def test_create_page_starts_with_two_rows_and_24_hours(signed_in):
    response = signed_in.get(reverse("polls:create"))
    html = response.content.decode()
    assert html.count('name="options"') == 2
    assert 'name="days" id="id_days" value="1"' in html
    assert 'name="hours" id="id_hours" value="0"' in html
    assert 'list="label-suggestions"' in html


def test_create_poll_with_three_options_closing_from_the_submit(signed_in, user):
    before = timezone.now()
    response = signed_in.post(
        reverse("polls:create"), create_data(days="0", hours="2", minutes="30")
    )
    poll = Poll.objects.get()

    assert response.status_code == 302
    assert response.url == poll.get_absolute_url()
    assert poll.author == user
    assert [o.label for o in poll.options.all()] == ["Pizza", "Sushi", "Salad"]
    expected = before + timedelta(hours=2, minutes=30)
    assert expected <= poll.closes_at <= timezone.now() + timedelta(hours=2, minutes=30)


def test_create_ignores_blank_option_rows(signed_in):
    signed_in.post(reverse("polls:create"), create_data(options=["Pizza", "", "Sushi", "  "]))
    assert list(Option.objects.values_list("label", flat=True)) == ["Pizza", "Sushi"]


def test_create_errors_appear_next_to_fields_and_nothing_typed_is_lost(signed_in):
    response = signed_in.post(
        reverse("polls:create"),
        create_data(title="  ", options=["Pizza", "pizza", "Sushi"], days="0", hours="0"),
    )

    assert response.status_code == 200
    assert not Poll.objects.exists()
    errors = response.context["form"].errors
    assert errors["title"] == ["The question cannot be blank."]
    assert errors["options"] == ['Option 2 ("pizza") is already in this poll.']
    assert errors["days"] == ["The closing time must be at least 1 minute from now."]
    html = response.content.decode()
    for label in ("Pizza", "pizza", "Sushi"):
        assert f'value="{label}"' in html
    assert 'aria-invalid="true"' in html


def test_create_needs_two_options(signed_in):
    response = signed_in.post(reverse("polls:create"), create_data(options=["Only one", ""]))
    assert response.context["form"].errors["options"] == ["A poll needs at least 2 options."]
    assert response.content.decode().count('name="options"') == 2


def test_create_with_600000_option_fields_is_a_small_400_and_looks_at_no_label(
    signed_in, monkeypatch
):
    looked_at = []
    for module in (checks, services_polls):
        monkeypatch.setattr(module, "label_key", lambda label: looked_at.append(label))
    body = "title=Q%3F&days=1&hours=0&minutes=0&" + "options=x&" * 600_000

    response = signed_in.post(
        reverse("polls:create"), body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert len(response.content) < 20_000
    assert looked_at == []
    assert not Poll.objects.exists()


def test_a_form_with_more_fields_than_any_votr_form_has_is_a_400(signed_in):
    """DATA_UPLOAD_MAX_NUMBER_FIELDS: 300, above the admin's largest form."""
    response = signed_in.post(
        reverse("polls:create"), create_data(options=[f"Option {n}" for n in range(400)])
    )

    assert response.status_code == 400
    assert not Poll.objects.exists()


def test_create_with_more_options_than_allowed_is_refused_on_the_count_alone(
    signed_in, monkeypatch
):
    looked_at = []
    for module in (checks, services_polls):
        monkeypatch.setattr(module, "label_key", lambda label: looked_at.append(label))

    response = signed_in.post(
        reverse("polls:create"), create_data(options=[f"Option {n}" for n in range(250)])
    )

    assert response.context["form"].errors["options"] == [
        "A poll can have at most 20 options (it has 250)."
    ]
    assert looked_at == []
    assert response.content.decode().count('name="options"') == 20


def test_create_with_labels_that_look_the_same_shows_the_duplicate_error(signed_in):
    response = signed_in.post(reverse("polls:create"), create_data(options=["I", "\u0130"]))

    assert response.context["form"].errors["options"] == [
        'Option 2 ("\u0130") is already in this poll.'
    ]


def test_create_refuses_more_than_30_days(signed_in):
    response = signed_in.post(reverse("polls:create"), create_data(days="30", hours="1"))
    assert response.context["form"].errors["days"] == [
        "The closing time must be at most 30 days from now."
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Hours cannot be negative."),
        ("abc", "Hours must be a whole number from 0 to 23."),
        ("", "Hours must be a whole number from 0 to 23."),
        ("99999999999999999999", "Hours must be at most 23."),
    ],
)
def test_create_refuses_a_bad_duration_number(signed_in, value, message):
    response = signed_in.post(reverse("polls:create"), create_data(hours=value))
    assert response.status_code == 200
    assert response.context["form"].errors["hours"] == [message]
    assert not Poll.objects.exists()


def test_every_picker_error_names_its_field(signed_in):
    response = signed_in.post(
        reverse("polls:create"), create_data(days="400", hours="24", minutes="60")
    )
    items = re.findall(
        r"<li[^>]*>([^<]*)</li>", response.content.decode().split('id="duration-errors"')[1]
    )
    assert items[:3] == [
        "Days must be at most 30.",
        "Hours must be at most 23.",
        "Minutes must be at most 59.",
    ]
    html = response.content.decode()
    for name in ("days", "hours", "minutes"):
        assert re.search(rf'<input [^>]*name="{name}"[^>]*aria-invalid="true"', html)


def test_add_option_without_javascript_adds_a_row_and_keeps_the_typing(signed_in):
    response = signed_in.post(
        reverse("polls:create"), create_data(title="Kept?", options=["A", "B"], add_option="1")
    )
    html = response.content.decode()
    assert html.count('name="options"') == 3
    assert 'value="Kept?"' in html
    assert 'value="A"' in html
    assert 'value="B"' in html
    assert not Poll.objects.exists()


def test_add_option_stops_at_twenty(signed_in):
    options = [f"O{n}" for n in range(20)]
    response = signed_in.post(reverse("polls:create"), create_data(options=options, add_option="1"))
    assert response.content.decode().count('name="options"') == 20


def test_remove_option_without_javascript_removes_that_row(signed_in):
    response = signed_in.post(
        reverse("polls:create"), create_data(options=["A", "B", "C"], remove_option="1")
    )
    assert response.context["rows"] == ["A", "C"]


def test_remove_option_keeps_at_least_two_rows(signed_in):
    response = signed_in.post(
        reverse("polls:create"), create_data(options=["A", "B"], remove_option="0")
    )
    assert response.context["rows"] == ["A", "B"]


# --- My polls and closing --------------------------------------------------------------------


def test_my_polls_lists_only_mine_with_a_close_button(signed_in, user):
    mine = PollFactory(author=user, title="Mine?")
    PollFactory(title="Someone else's?")
    html = signed_in.get(reverse("polls:mine")).content.decode()
    assert "Mine?" in html
    assert "Someone else&#x27;s?" not in html
    assert reverse("polls:close", args=[mine.public_id]) in html


def test_my_polls_pages_twenty_at_a_time_newest_first(signed_in, user):
    polls = [PollFactory(author=user, title=f"Mine {number}?") for number in range(21)]

    first = signed_in.get(reverse("polls:mine"))
    second = signed_in.get(reverse("polls:mine"), {"page": 2})

    assert len(first.context["polls"]) == 20
    assert [poll.title for poll in second.context["polls"]] == [polls[0].title]
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert signed_in.get(reverse("polls:mine"), {"page": 3}).status_code == 404


def test_my_polls_needs_login(client):
    assert client.get(reverse("polls:mine")).status_code == 302


@pytest.mark.parametrize("count", [1, 10])
def test_my_polls_query_count_does_not_grow(signed_in, user, django_assert_num_queries, count):
    for _ in range(count):
        PollFactory(author=user)
    with django_assert_num_queries(3):  # session, user, the page (no count)
        signed_in.get(reverse("polls:mine"))


def test_close_now_closes_my_poll(signed_in, user):
    poll = PollFactory(author=user, title="Close me?")
    response = signed_in.post(reverse("polls:close", args=[poll.public_id]))
    poll.refresh_from_db()
    assert poll.closed_at is not None
    assert response.url == reverse("polls:mine")
    assert flashes(response) == ["“Close me?” is closed. Its results are final."]


def test_close_twice_says_it_was_already_closed(signed_in, user):
    poll = PollFactory(author=user, title="Close me?")
    signed_in.post(reverse("polls:close", args=[poll.public_id]))
    response = signed_in.post(reverse("polls:close", args=[poll.public_id]))
    assert flashes(response)[-1] == "“Close me?” was already closed."


def test_close_someone_elses_poll_is_refused(signed_in, poll):
    response = signed_in.post(reverse("polls:close", args=[poll.public_id]))
    poll.refresh_from_db()
    assert poll.closed_at is None
    assert flashes(response) == ["Only the poll's author or staff can close it."]


def test_staff_without_change_poll_cannot_close_someone_elses_poll(client, poll):
    client.force_login(UserFactory(is_staff=True))
    response = client.post(reverse("polls:close", args=[poll.public_id]))
    poll.refresh_from_db()
    assert poll.closed_at is None
    assert flashes(response) == ["Only the poll's author or staff can close it."]
    assert not AuditEntry.objects.exists()


def test_staff_with_change_poll_closes_someone_elses_poll_and_it_is_audited(client, poll):
    staff = staff_with("polls.change_poll")
    client.force_login(staff)
    client.post(reverse("polls:close", args=[poll.public_id]))
    poll.refresh_from_db()
    assert poll.closed_at is not None
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (
        staff,
        AuditEntry.Action.CLOSE,
        str(poll.pk),
    )


def test_close_by_a_visitor_goes_to_login_then_back_to_the_poll(client, poll):
    response = client.post(reverse("polls:close", args=[poll.public_id]))
    assert response.url == f"{reverse('login')}?next={poll.get_absolute_url()}"
    poll.refresh_from_db()
    assert poll.closed_at is None


def test_close_from_the_poll_page_returns_to_it(signed_in, user):
    poll = PollFactory(author=user)
    response = signed_in.post(
        reverse("polls:close", args=[poll.public_id]), {"next": poll.get_absolute_url()}
    )
    assert response.url == poll.get_absolute_url()


def test_close_ignores_a_next_on_another_site(signed_in, user):
    poll = PollFactory(author=user)
    response = signed_in.post(
        reverse("polls:close", args=[poll.public_id]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("polls:mine")


# --- Accounts --------------------------------------------------------------------------------


def test_sign_up_asks_to_check_the_email_and_logs_nobody_in(client, poll):
    """Issue 10: the account is activated from an emailed link (tests/accounts/test_signup.py)."""
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password": PASSWORD,
            "next": poll.get_absolute_url(),
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("signup_done")
    assert flashes(response) == []
    assert not client.get(reverse("polls:index")).context["user"].is_authenticated
    assert User.objects.get(username="newbie").is_active is False
    assert b"Check your email" in client.get(response.url).content


def test_sign_up_errors_appear_next_to_fields(client, user):
    response = client.post(
        reverse("signup"), {"username": user.username.upper(), "email": "bad", "password": "123"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["username"] == ["That username is taken."]
    assert "Enter a valid email address." in errors["email"]
    assert errors["password"]
    html = response.content.decode()
    assert f'value="{user.username.upper()}"' in html
    assert 'aria-describedby="id_username_error"' in html
    assert 'id="id_username_error"' in html
    assert User.objects.count() == 1


def test_the_headers_log_in_and_sign_up_links_keep_the_page_you_were_on(client, poll):
    here = poll.get_absolute_url()
    html = client.get(here).content.decode()
    assert f'href="{reverse("login")}?next={here}">Log in</a>' in html
    assert f'href="{reverse("signup")}?next={here}">Sign up</a>' in html

    # From the login or sign-up page, they pass on where that page returns to.
    for name in ("login", "signup"):
        html = client.get(f"{reverse(name)}?next={here}").content.decode()
        assert f'href="{reverse("login")}?next={here}">Log in</a>' in html
        assert f'href="{reverse("signup")}?next={here}">Sign up</a>' in html
    html = client.get(reverse("signup")).content.decode()
    assert f'href="{reverse("login")}">Log in</a>' in html
    assert f'href="{reverse("signup")}">Sign up</a>' in html


def test_log_in_returns_where_you_were_with_a_welcome(client, user, poll):
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD, "next": poll.get_absolute_url()},
    )
    assert response.url == poll.get_absolute_url()
    assert flashes(response) == [f"Welcome back, {user.username}!"]


def test_log_in_with_a_wrong_password_says_so(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Username or password is incorrect. Please try again." in response.content.decode()


def test_log_out_is_a_post_with_a_message(signed_in):
    assert signed_in.get(reverse("logout")).status_code == 405
    response = signed_in.post(reverse("logout"))
    assert response.url == reverse("polls:index")
    assert flashes(response) == ["You are logged out. See you soon!"]
    assert not signed_in.get(reverse("polls:index")).context["user"].is_authenticated


def test_change_password(signed_in, user):
    response = signed_in.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-Strong-pass-77",
            "new_password2": "another-Strong-pass-77",
        },
    )
    assert response.url == reverse("polls:index")
    assert flashes(response) == ["Your password is changed."]
    user.refresh_from_db()
    assert user.check_password("another-Strong-pass-77")


def test_changing_the_password_revokes_the_users_api_tokens(signed_in, user):
    Token.objects.create(user=user)
    signed_in.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-Strong-pass-77",
            "new_password2": "another-Strong-pass-77",
        },
    )
    assert not Token.objects.filter(user=user).exists()


def test_change_password_with_wrong_old_password_shows_the_error(signed_in):
    response = signed_in.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "x-Strong-77", "new_password2": "x-Strong-77"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]


@pytest.mark.parametrize(
    "name", ["polls:index", "signup", "login", "polls:create", "polls:mine", "password_change"]
)
def test_every_page_has_a_title_and_the_favicon(signed_in, name):
    html = signed_in.get(reverse(name), follow=True).content.decode()
    assert "<title>" in html
    assert " · Votr</title>" in html
    assert 'rel="icon"' in html


def test_favicon_ico_is_the_static_icon_cached_without_the_database(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")
    assert response["Cache-Control"] == "max-age=86400, public"
    assert "Vary" not in response
    assert not response.cookies


def test_pages_have_no_inline_script_or_style(signed_in, user):
    """The Content-Security-Policy allows scripts and styles from the site's files only."""
    poll = PollFactory(author=user)
    for url in (reverse("polls:index"), reverse("polls:create"), poll.get_absolute_url()):
        html = signed_in.get(url).content.decode()
        assert "style=" not in html
        assert "<script>" not in html
        assert "onclick" not in html


# --- Times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=3, minutes=20), "3 hours from now"),
        (timedelta(minutes=59, seconds=30), "59 minutes from now"),
        (timedelta(minutes=1, seconds=30), "a minute from now"),
        (timedelta(hours=1, minutes=1), "an hour from now"),
        (timedelta(hours=23, minutes=59, seconds=30), "23 hours from now"),
        (timedelta(days=1, minutes=1), "1 day from now"),
        (timedelta(days=29, hours=23, minutes=59, seconds=30), "4 weeks, 1 day from now"),
        (-timedelta(days=2, hours=5), "2 days, 5 hours ago"),
        (-timedelta(hours=1, minutes=30), "an hour ago"),
        (-timedelta(minutes=2, seconds=30), "2 minutes ago"),
        (timedelta(seconds=20), "in less than a minute"),
        (-timedelta(seconds=20), "just now"),
    ],
)
def test_relative_text(delta, text):
    """Django's naturaltime, none of the original's slips: no "0 hours" under an hour or a day,
    "1 hour" said as people say it, past times in the past. Seconds are not counted."""
    # Django keeps a number and its unit together with a no-break space.
    assert relative_text(timezone.now() + delta).replace("\xa0", " ") == text


def test_relative_time_tag_holds_the_moment_and_djangos_wording():
    moment = timezone.now() + timedelta(hours=3, minutes=20)
    html = Template("{% load votr %}{% relative_time moment %}").render(Context({"moment": moment}))
    assert html == (
        f'<time datetime="{moment.isoformat()}" data-relative '
        f'title="{moment.astimezone(UTC):%-d %b %Y, %H:%M} UTC">3\xa0hours from now</time>'
    )


# --- Error pages -----------------------------------------------------------------------------


def test_403_and_500_pages_are_in_the_sites_look(client):
    from django.template.loader import render_to_string

    for name in ("403.html", "403_csrf.html", "500.html"):
        html = render_to_string(name)
        assert 'class="site-header"' in html
        assert "Back to the polls" in html


def test_a_server_error_shows_the_500_page(client, monkeypatch):
    from polls import views

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.PollListView, "get_queryset", broken)
    client.raise_request_exception = False
    response = client.get(reverse("polls:index"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_a_form_without_its_csrf_token_shows_the_expired_form_page(poll, user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("polls:vote", args=[poll.public_id]), {"option": 1})
    assert response.status_code == 403
    assert "That form has expired" in response.content.decode()
    assert not Ballot.objects.exists()
