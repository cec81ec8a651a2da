"""The settings poll_create takes (docs/poll-settings.md): each stored, each refused when bad."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from polls import services
from polls.models import DESCRIPTION_MAX_LENGTH, Poll, ResultsVisibility

pytestmark = pytest.mark.django_db

LABELS = ["Red", "Green", "Blue"]


def create(user, **settings) -> Poll:
    return services.poll_create(author=user, title="Colour?", option_labels=LABELS, **settings)


def refusal(user, **settings) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        create(user, **settings)
    assert not Poll.objects.exists()
    return raised.value.message_dict


def test_a_poll_created_without_settings_gets_the_defaults(user):
    poll = Poll.objects.get(pk=create(user).pk)
    assert (poll.description, poll.results_visibility) == ("", ResultsVisibility.AFTER_VOTE)
    assert (poll.min_choices, poll.max_choices) == (1, 1)
    assert (poll.allow_vote_change, poll.unlisted, poll.shuffle_options) == (False, False, False)


def test_every_setting_is_stored(user):
    poll = create(
        user,
        description="Pick one.\nOr two.",
        results_visibility=ResultsVisibility.AFTER_CLOSE,
        min_choices=1,
        max_choices=2,
        allow_vote_change=True,
        unlisted=True,
        shuffle_options=True,
    )
    stored = Poll.objects.get(pk=poll.pk)
    assert stored.description == "Pick one.\nOr two."
    assert stored.results_visibility == "after_close"
    assert (stored.min_choices, stored.max_choices) == (1, 2)
    assert (stored.allow_vote_change, stored.unlisted, stored.shuffle_options) == (True,) * 3


# --- Description -------------------------------------------------------------------------------


def test_the_description_is_trimmed_and_its_line_breaks_kept_as_newlines(user):
    poll = create(user, description="  \r\nFirst line\r\nSecond\rThird\u2028Fourth \n ")
    assert Poll.objects.get(pk=poll.pk).description == "First line\nSecond\nThird\nFourth"


def test_a_description_of_blanks_is_no_description(user):
    assert create(user, description=" \n\t \n").description == ""


def test_a_description_of_the_longest_length_is_kept(user):
    text = "x" * DESCRIPTION_MAX_LENGTH
    assert create(user, description=f"  {text}  ").description == text


def test_a_description_too_long_is_refused_with_its_length(user):
    errors = refusal(user, description="x" * (DESCRIPTION_MAX_LENGTH + 1))
    assert errors == {
        "description": [
            f"The description must be at most {DESCRIPTION_MAX_LENGTH} characters "
            f"(it has {DESCRIPTION_MAX_LENGTH + 1})."
        ]
    }


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [
        ("a\tb", "0009", 2),
        ("bell\x07", "0007", 5),
        ("\x1b[31mred", "001B", 1),
        ("nul\x00", "0000", 4),
    ],
)
def test_control_characters_in_the_description_are_refused(user, text, code, position):
    errors = refusal(user, description=text)
    assert errors == {
        "description": [
            f"The description contains a control character (U+{code}, character {position}); "
            "only line breaks are allowed."
        ]
    }


@pytest.mark.parametrize("value", [None, 42, ["a"]])
def test_a_description_that_is_not_text_is_refused(user, value):
    assert refusal(user, description=value) == {"description": ["The description must be text."]}


def test_html_in_a_description_is_kept_as_text(user):
    text = '<script>alert("x")</script> & <b>bold</b>'
    assert create(user, description=text).description == text


# --- Results visibility ------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", ResultsVisibility.values)
def test_each_results_visibility_is_accepted(user, visibility):
    poll = create(user, results_visibility=visibility)
    assert Poll.objects.get(pk=poll.pk).results_visibility == visibility


@pytest.mark.parametrize("value", ["", "public", "ALWAYS", None, 1])
def test_an_unknown_results_visibility_is_refused(user, value):
    assert refusal(user, results_visibility=value) == {
        "results_visibility": [
            "Choose who sees the results: one of always, after_vote, after_close, author_only."
        ]
    }


# --- Choice limits -----------------------------------------------------------------------------


def test_approval_voting_is_one_to_every_option(user):
    poll = create(user, min_choices=1, max_choices=len(LABELS))
    assert (poll.min_choices, poll.max_choices) == (1, 3)
    assert poll.is_multiple_choice


def test_exactly_two_choices(user):
    poll = create(user, min_choices=2, max_choices=2)
    assert (poll.min_choices, poll.max_choices) == (2, 2)


@pytest.mark.parametrize(
    ("limits", "errors"),
    [
        (
            {"min_choices": 0, "max_choices": 1},
            {"min_choices": ["A ballot holds at least 1 option."]},
        ),
        (
            {"min_choices": 1, "max_choices": 0},
            {"max_choices": ["A ballot holds at least 1 option."]},
        ),
        (
            {"min_choices": 3, "max_choices": 2},
            {
                "max_choices": [
                    "The most options a ballot holds (2) cannot be fewer than the fewest (3)."
                ]
            },
        ),
        (
            {"min_choices": 1, "max_choices": 4},
            {"max_choices": ["A ballot cannot hold more options than the poll has (3)."]},
        ),
        (
            {"min_choices": 4, "max_choices": 4},
            {
                "min_choices": ["A ballot cannot hold more options than the poll has (3)."],
                "max_choices": ["A ballot cannot hold more options than the poll has (3)."],
            },
        ),
        (
            {"min_choices": "1", "max_choices": 2.0},
            {
                "min_choices": ["The fewest options a ballot holds must be a whole number."],
                "max_choices": ["The most options a ballot holds must be a whole number."],
            },
        ),
        (
            {"min_choices": True, "max_choices": None},
            {
                "min_choices": ["The fewest options a ballot holds must be a whole number."],
                "max_choices": ["The most options a ballot holds must be a whole number."],
            },
        ),
    ],
)
def test_choice_limits_out_of_range_are_refused_per_field(user, limits, errors):
    assert refusal(user, **limits) == errors


def test_choice_limits_are_not_judged_against_a_wrong_number_of_options(user):
    """One option is the options' error; the limits are not said to exceed it as well."""
    with pytest.raises(ValidationError) as raised:
        services.poll_create(
            author=user, title="Q", option_labels=["Only"], min_choices=1, max_choices=2
        )
    assert set(raised.value.message_dict) == {"options"}


# --- Flags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "what"),
    [
        ("allow_vote_change", "Whether voters may change their vote"),
        ("unlisted", "Whether the poll is unlisted"),
        ("shuffle_options", "Whether the options are shown in a random order"),
    ],
)
@pytest.mark.parametrize("value", [1, "true", None])
def test_a_flag_that_is_not_true_or_false_is_refused(user, flag, what, value):
    assert refusal(user, **{flag: value}) == {flag: [f"{what} must be true or false."]}


def test_every_bad_value_is_said_at_once_per_field(user):
    errors = refusal(
        user,
        closes_at=timezone.now() - timedelta(days=1),
        description="\x07",
        results_visibility="nobody",
        min_choices=0,
        unlisted="yes",
    )
    assert set(errors) == {
        "closes_at",
        "description",
        "results_visibility",
        "min_choices",
        "unlisted",
    }


def test_poll_errors_says_what_poll_create_would_refuse_without_writing(user):
    errors = services.poll_errors(
        title="Q",
        option_labels=LABELS,
        closes_at=timezone.now() + timedelta(days=1),
        description="\x1b",
        max_choices=9,
    )
    assert set(errors) == {"description", "max_choices"}
    assert not Poll.objects.exists()
