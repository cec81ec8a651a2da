"""The create page's settings and its closing time at a date and time in a time zone
(polls/forms.py, templates/polls/create.html), through Django's test client."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from polls.local_time import FORMAT_HINT, PICK_ZONE
from polls.models import DESCRIPTION_MAX_LENGTH, Poll

pytestmark = pytest.mark.django_db

CREATE = reverse("polls:create")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def create_data(**overrides):
    data = {"title": "Lunch?", "options": ["Pizza", "Sushi", "Salad"]}
    data.update({"days": "1", "hours": "0", "minutes": "0"})
    data.update(overrides)
    return data


def errors_of(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    assert not Poll.objects.exists()
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


def local(moment: datetime, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


# --- The page ----------------------------------------------------------------------------------


def test_the_page_offers_every_setting_with_its_default(signed_in):
    html = signed_in.get(CREATE).content.decode()
    assert re.search(r'<textarea name="description"[^>]*maxlength="2000"', html)
    assert re.search(r'name="results_visibility"[^>]*value="after_vote"[^>]*checked', html)
    for value in ("always", "after_close", "author_only"):
        assert re.search(rf'name="results_visibility"[^>]*value="{value}"', html)
    for name in ("multiple", "allow_vote_change", "unlisted", "shuffle_options"):
        assert re.search(
            rf'<input type="checkbox" name="{name}" id="id_{name}"(?![^>]*checked)', html
        )
    assert 'name="min_choices"' in html
    assert 'name="max_choices"' in html
    assert "Voters may choose several options" in html
    assert "Voters may change their vote" in html
    assert "Unlisted: only people with the link" in html
    assert "Show options in a random order to each voter" in html


def test_the_closing_time_says_its_limits_up_front_and_offers_a_date_in_a_zone(signed_in):
    html = signed_in.get(CREATE).content.decode()
    assert "At least 1 minute and at most 30 days from the moment you press Create poll." in html
    assert re.search(r'name="closing" value="in" id="closing-in"[^>]*checked', html)
    assert re.search(r'<input type="datetime-local" name="closes_on"', html)
    # Without a script the zone is UTC; the script may pick the browser's (data-detect-zone).
    assert re.search(r'<select name="time_zone" id="id_time_zone" data-detect-zone', html)
    assert '<option value="UTC" selected>UTC</option>' in html
    assert '<option value="America/New_York">America/New York</option>' in html


# --- Settings ----------------------------------------------------------------------------------


def test_a_poll_is_created_with_every_setting(signed_in, user):
    response = signed_in.post(
        CREATE,
        create_data(
            description="Vote by Friday.\r\nThanks!",
            results_visibility="after_close",
            multiple="on",
            min_choices="1",
            max_choices="2",
            allow_vote_change="on",
            unlisted="on",
            shuffle_options="on",
        ),
    )
    poll = Poll.objects.get()
    assert response.url == poll.get_absolute_url()
    assert poll.description == "Vote by Friday.\nThanks!"
    assert poll.results_visibility == "after_close"
    assert (poll.min_choices, poll.max_choices) == (1, 2)
    assert (poll.allow_vote_change, poll.unlisted, poll.shuffle_options) == (True, True, True)


def test_without_settings_a_poll_is_single_choice_with_results_after_voting(signed_in):
    signed_in.post(CREATE, create_data())
    poll = Poll.objects.get()
    assert (poll.min_choices, poll.max_choices, poll.results_visibility) == (1, 1, "after_vote")
    assert (poll.allow_vote_change, poll.unlisted, poll.shuffle_options) == (False,) * 3


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"multiple": "on", "min_choices": "1", "max_choices": ""}, (1, 3)),
        ({"multiple": "on", "min_choices": "2", "max_choices": ""}, (2, 3)),
        ({"multiple": "on", "min_choices": "", "max_choices": "2"}, (1, 2)),
        ({"multiple": "on", "min_choices": "2", "max_choices": "2"}, (2, 2)),
        # Limits without the box ticked are not used: one option a ballot.
        ({"min_choices": "2", "max_choices": "3"}, (1, 1)),
        ({"min_choices": "abc", "max_choices": "-4"}, (1, 1)),
    ],
)
def test_choice_limits_from_the_page(signed_in, limits, expected):
    signed_in.post(CREATE, create_data(**limits))
    poll = Poll.objects.get()
    assert (poll.min_choices, poll.max_choices) == expected


def test_approval_voting_counts_only_the_options_filled_in(signed_in):
    signed_in.post(CREATE, create_data(options=["A", "", "B", " "], multiple="on", max_choices=""))
    assert Poll.objects.get().max_choices == 2


@pytest.mark.parametrize(
    ("limits", "errors"),
    [
        (
            {"min_choices": "4"},
            {"min_choices": ["A ballot cannot hold more options than the poll has (3)."]},
        ),
        (
            {"min_choices": "3", "max_choices": "2"},
            {
                "max_choices": [
                    "The most options a ballot holds (2) cannot be fewer than the fewest (3)."
                ]
            },
        ),
        ({"min_choices": "0"}, {"min_choices": ["A ballot holds at least 1 option."]}),
        (
            {"max_choices": "abc"},
            {"max_choices": ["“At most” must be a whole number from 1 to 20."]},
        ),
        (
            {"min_choices": "1.5"},
            {"min_choices": ["“At least” must be a whole number from 1 to 20."]},
        ),
    ],
)
def test_bad_choice_limits_are_errors_next_to_their_fields(signed_in, limits, errors):
    response = signed_in.post(CREATE, create_data(multiple="on", **limits))
    assert errors_of(response) == errors
    html = response.content.decode()
    assert 'id="choice-limits-errors"' in html
    for field in errors:
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)


def test_a_bad_description_is_an_error_next_to_it_and_is_kept(signed_in):
    response = signed_in.post(CREATE, create_data(description="Tab\there"))
    assert errors_of(response) == {
        "description": [
            "The description contains a control character (U+0009, character 4); "
            "only line breaks are allowed."
        ]
    }
    html = response.content.decode()
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*>Tab\there</textarea>', html)
    assert '<ul class="field-errors" id="description-errors">' in html


def test_a_description_too_long_is_an_error(signed_in):
    response = signed_in.post(CREATE, create_data(description="x" * (DESCRIPTION_MAX_LENGTH + 1)))
    assert list(errors_of(response)) == ["description"]


def test_an_unknown_results_visibility_is_an_error(signed_in):
    response = signed_in.post(CREATE, create_data(results_visibility="everyone"))
    assert errors_of(response) == {
        "results_visibility": ["Choose who sees the results from the list."]
    }


def test_a_description_in_html_is_shown_back_as_text(signed_in):
    response = signed_in.post(
        CREATE, create_data(title="", description="<script>alert(1)</script>")
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html


# --- Closing at a date and time ----------------------------------------------------------------


def test_a_poll_closes_at_the_date_and_time_picked_in_a_time_zone(signed_in):
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    closes = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = signed_in.post(
        CREATE, create_data(closing="at", closes_on=local(closes, tokyo), time_zone="Asia/Tokyo")
    )
    poll = Poll.objects.get()
    assert response.url == poll.get_absolute_url()
    assert poll.closes_at == closes


def test_a_date_and_time_without_a_zone_chosen_is_in_utc(signed_in):
    closes = (timezone.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    signed_in.post(CREATE, create_data(closing="at", closes_on=local(closes, UTC)))
    assert Poll.objects.get().closes_at == closes


def test_a_typed_date_with_a_space_is_accepted(signed_in):
    closes = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    text = closes.strftime("%Y-%m-%d %H:%M")
    signed_in.post(CREATE, create_data(closing="at", closes_on=text, time_zone="UTC"))
    assert Poll.objects.get().closes_at == closes


def test_the_duration_boxes_are_not_judged_when_a_date_is_picked(signed_in):
    closes = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    signed_in.post(
        CREATE,
        create_data(closing="at", closes_on=local(closes, UTC), days="abc", hours="99"),
    )
    assert Poll.objects.get().closes_at == closes


def test_the_date_is_not_judged_when_a_duration_is_picked(signed_in):
    signed_in.post(CREATE, create_data(closing="in", closes_on="garbage", time_zone="Nowhere"))
    assert Poll.objects.exists()


@pytest.mark.parametrize(
    ("closes_on", "zone", "field", "message"),
    [
        (
            "2030-03-31T01:30",
            "Europe/London",
            "closes_on",
            "31 March 2030, 01:30 does not exist in Europe/London: the clocks go forward then. "
            "Pick another time.",
        ),
        (
            "2030-10-27T01:30",
            "Europe/London",
            "closes_on",
            "27 October 2030, 01:30 happens twice in Europe/London: the clocks go back then. "
            "Pick another time, or give it in UTC.",
        ),
        ("", "UTC", "closes_on", "Pick the date and time the poll closes."),
        ("next friday", "UTC", "closes_on", FORMAT_HINT),
        ("2030-07-01T12:00", "Atlantis/Capital", "time_zone", PICK_ZONE),
        ("2030-07-01T12:00\x00", "UTC", "closes_on", "Null characters are not allowed."),
    ],
)
def test_a_date_and_time_that_names_no_single_instant_is_an_error_next_to_it(
    signed_in, closes_on, zone, field, message
):
    response = signed_in.post(
        CREATE, create_data(closing="at", closes_on=closes_on, time_zone=zone)
    )
    assert errors_of(response) == {field: [message]}
    html = response.content.decode()
    assert re.search(r'<ul class="field-errors" id="closes-on-errors">\s*<li', html)
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    # What was picked is kept.
    assert re.search(r'name="closing" value="at" id="closing-at"[^>]*checked', html)


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(seconds=-30), "The closing time must be at least 1 minute from now."),
        (timedelta(days=30, hours=1), "The closing time must be at most 30 days from now."),
    ],
)
def test_a_date_and_time_out_of_the_limits_is_an_error_next_to_it(signed_in, offset, message):
    closes = timezone.now() + offset
    response = signed_in.post(
        CREATE, create_data(closing="at", closes_on=local(closes, UTC), time_zone="UTC")
    )
    assert errors_of(response) == {"closes_on": [message]}
    assert f'value="{local(closes, UTC)}"' in response.content.decode()


def test_the_zone_picked_is_kept_and_not_replaced_by_the_browsers(signed_in):
    response = signed_in.post(
        CREATE, create_data(title="", closing="at", closes_on="", time_zone="Europe/Paris")
    )
    html = response.content.decode()
    assert '<option value="Europe/Paris" selected>' in html
    assert "data-detect-zone" not in html


def test_add_option_without_javascript_keeps_every_setting_typed(signed_in):
    response = signed_in.post(
        CREATE,
        create_data(
            add_option="1",
            description="Keep me",
            results_visibility="always",
            multiple="on",
            min_choices="2",
            unlisted="on",
            closing="at",
            closes_on="2030-01-02T03:04",
            time_zone="Asia/Tokyo",
        ),
    )
    html = response.content.decode()
    assert html.count('name="options"') == 4
    assert ">Keep me</textarea>" in html
    assert re.search(r'value="always"[^>]*checked', html)
    assert re.search(r'name="multiple"[^>]*checked', html)
    assert re.search(r'name="unlisted"[^>]*checked', html)
    assert re.search(r'name="shuffle_options" id="id_shuffle_options"(?![^>]*checked)', html)
    assert 'name="min_choices" id="id_min_choices" value="2"' in html
    assert re.search(r'name="closing" value="at" id="closing-at"[^>]*checked', html)
    assert 'value="2030-01-02T03:04"' in html
    assert '<option value="Asia/Tokyo" selected>' in html
    assert "data-error-for" not in html
    assert not Poll.objects.exists()
