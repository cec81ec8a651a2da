"""polls/services/checks.py: the rules for a poll's words and closing time (through poll_create,
which every face calls)."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from polls import services
from polls.models import Poll
from polls.services import checks
from polls.services import polls as services_polls

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def create_errors(**overrides):
    arguments = {
        "author": UserFactory(),
        "title": "Lunch?",
        "option_labels": ["Pizza", "Sushi"],
    } | overrides
    with pytest.raises(ValidationError) as caught:
        services.poll_create(**arguments)
    return caught.value.message_dict


def test_poll_create_refuses_a_blank_title():
    assert create_errors(title="   ") == {"title": ["The question cannot be blank."]}


def test_poll_create_refuses_a_title_over_200_characters():
    assert "at most 200 characters" in create_errors(title="x" * 201)["title"][0]


def test_poll_create_refuses_fewer_than_two_options():
    errors = create_errors(option_labels=["Only"])
    assert errors == {"options": ["A poll needs at least 2 options."]}


def test_poll_create_refuses_more_than_twenty_options():
    errors = create_errors(option_labels=[f"Option {n}" for n in range(21)])
    assert errors == {"options": ["A poll can have at most 20 options (it has 21)."]}


def test_poll_create_refuses_blank_and_duplicate_labels_ignoring_case():
    errors = create_errors(option_labels=["Yes", " ", "YES "])
    assert errors == {
        "options": ["Option 2 cannot be blank.", 'Option 3 ("YES") is already in this poll.']
    }


def test_poll_create_refuses_labels_over_100_characters_and_non_text():
    errors = create_errors(option_labels=["a" * 101, 7])
    assert errors["options"][0].startswith("Option 1 must be at most 100 characters")
    assert errors["options"][1] == "Option 2 must be text."


@pytest.mark.parametrize(
    "labels",
    [
        ["I", "\u0130"],  # PostgreSQL's lower() calls them equal, Python's casefold() did not
        ["Yes", "\u03a5es"],  # a Greek capital upsilon
        ["Yes", "Ye\u200bs"],  # a zero-width space
        ["Yes", "Ye\u0301s"],  # a combining accent
    ],
)
def test_poll_create_refuses_labels_that_look_the_same(labels):
    errors = create_errors(option_labels=labels)

    assert errors == {"options": [f'Option 2 ("{labels[1]}") is already in this poll.']}


def test_poll_create_stores_each_options_label_key(user):
    poll = services.poll_create(author=user, title="Q", option_labels=["Yes", "No"])

    assert [(o.label, o.label_key) for o in poll.options.all()] == [("Yes", "yes"), ("No", "no")]


def test_poll_create_refuses_a_label_that_shows_nothing():
    errors = create_errors(option_labels=["\u200b\u200b", "Pizza", "Sushi"])

    assert errors == {"options": ["Option 1 cannot be blank."]}


def test_poll_create_counts_the_options_before_looking_at_any_label(monkeypatch):
    looked_at = []
    real_text_errors = checks._text_errors
    for module in (checks, services_polls):
        monkeypatch.setattr(
            module,
            "_text_errors",
            lambda value, **kwargs: looked_at.append(value) or real_text_errors(value, **kwargs),
        )
        monkeypatch.setattr(module, "label_key", lambda label: looked_at.append(label))

    errors = create_errors(option_labels=["x"] * 600_000)

    assert errors == {"options": ["A poll can have at most 20 options (it has 600000)."]}
    assert looked_at == ["Lunch?"]  # the title only


def test_poll_create_reports_a_handful_of_label_problems_at_most():
    errors = create_errors(option_labels=["x" * 101] * 20)

    assert len(errors["options"]) == services.MAX_MESSAGES_PER_FIELD
    assert errors["options"][-1] == "And 16 more problems."


def test_poll_create_refuses_options_that_are_not_a_list():
    assert create_errors(option_labels="Yes,No") == {
        "options": ["Give the options as a list of labels."]
    }


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=-5), "The closing time must be at least 1 minute from now."),
        (timedelta(seconds=30), "The closing time must be at least 1 minute from now."),
        (timedelta(days=30, minutes=1), "The closing time must be at most 30 days from now."),
    ],
)
def test_poll_create_refuses_closing_times_out_of_range(offset, message):
    assert create_errors(closes_at=timezone.now() + offset) == {"closes_at": [message]}


def test_poll_create_refuses_a_naive_closing_time():
    naive = datetime.now() + timedelta(hours=2)  # noqa: DTZ005 (the point of the test)
    assert create_errors(closes_at=naive) == {
        "closes_at": ["The closing time must include a time zone."]
    }


def test_poll_create_reports_every_field_at_once_and_writes_nothing():
    errors = create_errors(title="", option_labels=["x"], closes_at=timezone.now())
    assert set(errors) == {"title", "options", "closes_at"}
    assert not Poll.objects.exists()


# --- The public checks forms call before writing ----------------------------------------------


def test_poll_errors_says_what_poll_create_refuses_and_writes_nothing():
    now = timezone.now()
    arguments = {
        "title": " ",
        "option_labels": ["Tea", " tea"],
        "closes_at": now + timedelta(days=40),
    }
    errors = services.poll_errors(**arguments, now=now)
    with pytest.raises(ValidationError) as caught:
        services.poll_create(author=UserFactory(), **arguments, now=now)
    assert errors == caught.value.message_dict
    assert set(errors) == {"title", "options", "closes_at"}
    assert not Poll.objects.exists()


def test_poll_errors_is_empty_for_a_poll_poll_create_accepts():
    errors = services.poll_errors(
        title="Lunch?", option_labels=["Pizza", "Sushi"], closes_at=timezone.now() + timedelta(1)
    )
    assert errors == {}


def test_closing_time_errors_matches_poll_reschedules_rule(poll):
    too_late = timezone.now() + timedelta(days=31)
    assert services.closing_time_errors(closes_at=too_late) == [
        "The closing time must be at most 30 days from now."
    ]
    assert services.closing_time_errors(closes_at=timezone.now() + timedelta(days=1)) == []


def test_poll_wording_errors_checks_title_and_labels_without_writing(poll):
    first, second, _ = poll.options.all()
    errors = services.poll_wording_errors(poll=poll, title="", labels={second.pk: first.label})
    assert errors == {
        "title": ["The question cannot be blank."],
        "options": [f'Option 2 ("{first.label}") is already in this poll.'],
    }
    assert services.poll_wording_errors(poll=poll, title="Better?", labels={first.pk: "A"}) == {}
    assert services.poll_wording_errors(poll=poll, labels={-1: "A"}) == {
        "options": ["That option is not part of this poll."]
    }
    assert [option.label for option in poll.options.all()] == ["Option 1", "Option 2", "Option 3"]


def test_poll_wording_errors_refuses_any_change_once_voted(poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    assert services.poll_wording_errors(poll=poll, title="New?") == {
        "options": [services.WORDING_FIXED]
    }
