"""polls/services/editing.py: poll_edit's one rule (docs/poll-settings.md), every cell of its
table before and after the first vote, and reopening."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Option, Poll, ResultsVisibility
from polls.services import editing
from polls.services import polls as services_polls

from ..factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    return UserFactory()


@pytest.fixture
def poll(author):
    """Red, Green, Blue; choose 1 to 2 of them."""
    return PollFactory(author=author, labels=["Red", "Green", "Blue"], max_choices=2)


def vote(poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_ids=[poll.options.first().pk])


def labels(poll) -> list[str]:
    return list(Option.objects.filter(poll=poll).values_list("label", flat=True))


def edit(poll, author, **changes) -> Poll:
    services.poll_edit(poll=poll, by=author, **changes)
    return Poll.objects.get(pk=poll.pk)


def refused(poll, author, **changes) -> dict[str, list[str]]:
    before = Poll.objects.values().get(pk=poll.pk), labels(poll)
    audit = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.poll_edit(poll=poll, by=author, **changes)
    assert (Poll.objects.values().get(pk=poll.pk), labels(poll)) == before
    assert AuditEntry.objects.count() == audit
    return raised.value.message_dict


def first_id(poll) -> int:
    return poll.options.get(label="Red").pk


# Each row of the table: a change, how to check it was made, and the field a refusal names
# once somebody has voted (None: still editable then).
TABLE = {
    "title": (
        lambda poll: {"title": "Which colour?"},
        lambda poll: poll.title == "Which colour?",
        ("title", editing.QUESTION_FIXED),
    ),
    "labels": (
        lambda poll: {"labels": {first_id(poll): "Crimson"}},
        lambda poll: labels(poll) == ["Crimson", "Green", "Blue"],
        ("options", services.WORDING_FIXED),
    ),
    "add an option": (
        lambda poll: {"option_labels": ["Red", "Green", "Blue", "Black"]},
        lambda poll: labels(poll) == ["Red", "Green", "Blue", "Black"],
        ("options", services.WORDING_FIXED),
    ),
    "remove an option": (
        lambda poll: {"option_labels": ["Red", "Blue"]},
        lambda poll: labels(poll) == ["Red", "Blue"],
        ("options", services.WORDING_FIXED),
    ),
    "min_choices": (
        lambda poll: {"min_choices": 2},
        lambda poll: (poll.min_choices, poll.max_choices) == (2, 2),
        ("min_choices", editing.CHOICE_LIMITS_FIXED),
    ),
    "max_choices": (
        lambda poll: {"max_choices": 3},
        lambda poll: (poll.min_choices, poll.max_choices) == (1, 3),
        ("max_choices", editing.CHOICE_LIMITS_FIXED),
    ),
    "voting_method": (
        lambda poll: {"voting_method": "ranked"},
        lambda poll: poll.is_ranked and (poll.min_choices, poll.max_choices) == (1, 1),
        ("voting_method", editing.CHOICE_LIMITS_FIXED),
    ),
    "rank_all": (
        lambda poll: {"voting_method": "ranked", "rank_all": True},
        lambda poll: poll.is_ranked and poll.rank_all,
        ("rank_all", editing.CHOICE_LIMITS_FIXED),
    ),
    "description": (
        lambda poll: {"description": "Any shade counts."},
        lambda poll: poll.description == "Any shade counts.",
        None,
    ),
    "closes_at": (
        lambda poll: {"closes_at": poll.closes_at + timedelta(days=2)},
        lambda poll: poll.closes_at > timezone.now() + timedelta(days=2),
        None,
    ),
    "results_visibility": (
        lambda poll: {"results_visibility": ResultsVisibility.AUTHOR_ONLY},
        lambda poll: poll.results_visibility == "author_only",
        None,
    ),
    "unlisted": (lambda poll: {"unlisted": True}, lambda poll: poll.unlisted, None),
    "shuffle_options": (
        lambda poll: {"shuffle_options": True},
        lambda poll: poll.shuffle_options,
        None,
    ),
    "allow_vote_change": (
        lambda poll: {"allow_vote_change": True},
        lambda poll: poll.allow_vote_change,
        None,
    ),
    "voter_mode": (
        lambda poll: {"voter_mode": "browser"},
        lambda poll: poll.voter_mode == "browser",
        ("voter_mode", editing.VOTERS_FIXED),
    ),
    "public_ballots": (
        lambda poll: {"public_ballots": True},
        lambda poll: poll.public_ballots,
        ("public_ballots", editing.VOTERS_FIXED),
    ),
    "voter_names": (
        lambda poll: {"voter_names": "required"},
        lambda poll: poll.voter_names == "required",
        ("voter_names", editing.VOTERS_FIXED),
    ),
    "names_shown_to": (
        lambda poll: {"names_shown_to": "everyone"},
        lambda poll: poll.names_shown_to == "everyone",
        None,
    ),
}


@pytest.mark.parametrize("row", TABLE)
def test_before_the_first_vote_anything_may_change(poll, author, row):
    change, made, _ = TABLE[row]
    revision = Poll.objects.get(pk=poll.pk).revision

    edited = edit(poll, author, **change(poll))

    assert made(edited)
    assert edited.revision > revision
    assert AuditEntry.objects.filter(actor=author).exists()


@pytest.mark.parametrize("row", TABLE)
def test_after_the_first_vote_only_what_keeps_a_ballots_meaning_may_change(poll, author, row):
    change, made, fixed = TABLE[row]
    vote(poll)
    poll.refresh_from_db()

    if fixed is None:
        assert made(edit(poll, author, **change(poll)))
    else:
        field, message = fixed
        refusal = refused(poll, author, **change(poll))
        # A change of several fields (a voting method with rank_all) is refused under each.
        assert refusal[field] == [message]
        assert all(messages == [message] for messages in refusal.values())


def test_the_table_covers_every_field_poll_edit_takes(poll):
    fields = {field for row in TABLE.values() for field in row[0](poll)}
    assert fields == services.EDITABLE


def test_after_a_vote_the_same_question_and_labels_sent_back_are_no_change(poll, author):
    """A client that sends the whole poll back with one setting changed is not refused."""
    vote(poll)
    red = first_id(poll)
    edited = edit(
        poll,
        author,
        title=f"  {poll.title} ",
        labels={red: "Red"},
        option_labels=["Red", "Green", "Blue"],
        min_choices=1,
        max_choices=2,
        unlisted=True,
    )
    assert edited.unlisted
    assert list(AuditEntry.objects.values_list("details", flat=True)) == ["Unlisted: no → yes."]


def test_a_change_to_nothing_new_writes_nothing(poll, author):
    revision = Poll.objects.get(pk=poll.pk).revision
    edited = edit(poll, author, description="", unlisted=False, results_visibility="after_vote")
    assert edited.revision == revision
    assert not AuditEntry.objects.exists()


def test_each_change_is_audited_with_before_and_after(poll, author):
    closes_at = poll.closes_at
    edit(
        poll,
        author,
        title="Which colour?",
        description="Shades count.",
        results_visibility="always",
        max_choices=3,
        allow_vote_change=True,
        closes_at=closes_at + timedelta(hours=1),
    )
    details = sorted(AuditEntry.objects.values_list("action", "details"))
    assert details == sorted(
        [
            ("change", f'Question: "{poll.title}" → "Which colour?".'),
            (
                "change",
                'Description: "" → "Shades count.". Results visibility: after_vote → always. '
                "Vote changes allowed: no → yes. Options per ballot: 1 to 2 → 1 to 3.",
            ),
            (
                "reschedule",
                f"Closing time {closes_at.isoformat()} → "
                f"{(closes_at + timedelta(hours=1)).isoformat()}.",
            ),
        ]
    )


def test_an_edit_is_all_or_nothing(poll, author):
    errors = refused(
        poll,
        author,
        title="A new question",
        description="Fine",
        closes_at=timezone.now() - timedelta(days=1),
    )
    assert errors == {"closes_at": ["The closing time must be at least 1 minute from now."]}


def test_every_refusal_is_said_at_once(poll, author):
    vote(poll)
    errors = refused(
        poll, author, title="New", min_choices=2, description="\x07", results_visibility="x"
    )
    assert set(errors) == {"title", "min_choices", "description", "results_visibility"}


# --- Options -----------------------------------------------------------------------------------


def test_replacing_the_options_keeps_the_ids_of_labels_kept(poll, author):
    ids = dict(poll.options.values_list("label", "pk"))
    edit(poll, author, option_labels=["blue", "Red", "Yellow"])

    options = list(Option.objects.filter(poll=poll))
    assert [(o.position, o.label) for o in options] == [(1, "blue"), (2, "Red"), (3, "Yellow")]
    assert options[0].pk == ids["Blue"]
    assert options[1].pk == ids["Red"]
    assert options[2].pk not in ids.values()
    assert not Option.objects.filter(pk=ids["Green"]).exists()
    entry = AuditEntry.objects.get()
    assert entry.details == 'Options: "Red", "Green", "Blue" → "blue", "Red", "Yellow".'


def test_swapping_two_labels_by_id_is_allowed(poll, author):
    red, green = poll.options.get(label="Red").pk, poll.options.get(label="Green").pk
    edit(poll, author, labels={red: "Green", green: "Red"})
    assert labels(poll) == ["Green", "Red", "Blue"]


def test_replaced_options_follow_the_option_rules(poll, author):
    assert refused(poll, author, option_labels=["Red", "red"]) == {
        "options": ['Option 2 ("red") is already in this poll.']
    }
    assert refused(poll, author, option_labels=["Only"]) == {
        "options": ["A poll needs at least 2 options."]
    }


def test_fewer_options_than_a_ballot_holds_is_refused_under_the_limit(poll, author):
    edit(poll, author, max_choices=3)
    assert refused(poll, author, option_labels=["Red", "Blue"]) == {
        "max_choices": ["A ballot cannot hold more options than the poll has (2)."]
    }
    assert labels(edit(poll, author, option_labels=["Red", "Blue"], max_choices=2)) == [
        "Red",
        "Blue",
    ]


def test_labels_by_id_and_a_whole_list_are_not_both_taken(poll, author):
    assert refused(poll, author, labels={first_id(poll): "X"}, option_labels=["A", "B"]) == {
        "options": [editing.LABELS_OR_LIST]
    }


def test_a_label_for_another_polls_option_is_refused(poll, author):
    other = PollFactory().options.first()
    assert refused(poll, author, labels={other.pk: "Mine now"}) == {
        "options": [editing.NOT_IN_POLL]
    }


def test_labels_not_given_by_id_are_refused(poll, author):
    assert refused(poll, author, labels=["Red"]) == {"options": [editing.LABELS_BY_ID]}


def test_a_bad_new_question_is_refused(poll, author):
    assert refused(poll, author, title="   ") == {"title": ["The question cannot be blank."]}


# --- Closing time ------------------------------------------------------------------------------


def test_a_new_closing_time_reopens_a_closed_poll(poll, author):
    services.poll_close(poll=poll)
    edited = edit(poll, author, closes_at=timezone.now() + timedelta(days=1))
    assert edited.is_open()


def test_a_closing_time_that_is_not_a_time_is_refused(poll, author):
    assert refused(poll, author, closes_at="tomorrow") == {"closes_at": [editing.NOT_A_TIME]}


# --- Who may edit ------------------------------------------------------------------------------


def test_nobody_else_may_edit_a_poll(poll):
    with pytest.raises(services.NotAllowed):
        services.poll_edit(poll=poll, by=UserFactory(), description="Mine")
    with pytest.raises(services.NotAllowed):
        services.poll_edit(poll=poll, by=UserFactory(is_staff=True), description="Mine")
    assert Poll.objects.get(pk=poll.pk).description == ""


def test_a_holder_of_change_poll_edits_anyones_poll_and_is_audited(poll):
    staff = staff_with("polls.change_poll")
    services.poll_edit(poll=poll, by=staff, description="Moderated")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (staff, "change", str(poll.pk))


def test_an_unknown_field_is_a_programming_error(poll, author):
    with pytest.raises(TypeError):
        services.poll_edit(poll=poll, by=author, votes=10)


def test_editing_a_deleted_poll_is_refused(poll, author):
    Poll.objects.filter(pk=poll.pk).delete()
    with pytest.raises(services.NotAllowed, match="deleted"):
        services.poll_edit(poll=poll, by=author, description="Too late")


# --- The pure check, and what is fixed ---------------------------------------------------------


def test_poll_edit_errors_says_what_poll_edit_would_refuse(poll, author):
    assert services.poll_edit_errors(poll=poll, title="New", min_choices=2) == {}
    vote(poll)
    assert services.poll_edit_errors(poll=poll, title="New", description="Fine") == {
        "title": [editing.QUESTION_FIXED]
    }


def test_poll_fixed_fields_are_none_before_the_first_vote_and_the_ballots_meaning_after(poll):
    assert services.poll_fixed_fields(poll=poll) == frozenset()
    vote(poll)
    assert services.poll_fixed_fields(poll=poll) == services.FIXED_ONCE_VOTED


# --- Reopen ------------------------------------------------------------------------------------


def test_reopen_opens_a_closed_poll_until_the_new_time(poll, author):
    services.poll_close(poll=poll)
    closes_at = timezone.now() + timedelta(days=3)
    services.poll_reopen(poll=Poll.objects.get(pk=poll.pk), closes_at=closes_at, by=author)
    poll.refresh_from_db()
    assert poll.is_open()
    assert poll.closes_at == closes_at
    assert AuditEntry.objects.get().action == "reschedule"


def test_reopen_refuses_an_open_poll(poll, author):
    with pytest.raises(ValidationError) as raised:
        services.poll_reopen(poll=poll, closes_at=timezone.now() + timedelta(days=3), by=author)
    assert raised.value.message_dict == {"closes_at": [services_polls.REOPEN_OPEN]}


def test_reopen_by_anyone_else_is_not_allowed(poll):
    services.poll_close(poll=poll)
    with pytest.raises(services.NotAllowed):
        services.poll_reopen(
            poll=poll, closes_at=timezone.now() + timedelta(days=3), by=UserFactory()
        )


def test_reopen_keeps_the_closing_time_rules(poll, author):
    services.poll_close(poll=poll)
    with pytest.raises(ValidationError) as raised:
        services.poll_reopen(poll=poll, closes_at=timezone.now() + timedelta(days=31), by=author)
    assert raised.value.message_dict == {
        "closes_at": ["The closing time must be at most 30 days from now."]
    }


# --- Who may, for the pages --------------------------------------------------------------------


def test_who_may_change_and_delete_a_poll(poll, author):
    deleter = staff_with("polls.delete_poll")
    changer = staff_with("polls.change_poll")
    stranger = UserFactory()
    assert services.user_may_change_poll(by=author, poll=poll)
    assert services.user_may_change_poll(by=changer, poll=poll)
    assert not services.user_may_change_poll(by=deleter, poll=poll)
    assert not services.user_may_change_poll(by=stranger, poll=poll)
    assert services.user_may_delete_poll(by=author, poll=poll, voted=False)
    assert not services.user_may_delete_poll(by=author, poll=poll, voted=True)
    assert services.user_may_delete_poll(by=deleter, poll=poll, voted=True)
    assert not services.user_may_delete_poll(by=changer, poll=poll, voted=False)
