"""polls/services/polls.py: creating, closing, rescheduling, deleting and rewording a poll."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Option, Poll
from polls.services import polls as services_polls

from ..factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


# --- poll_create --------------------------------------------------------------------------


def test_poll_create_trims_and_keeps_option_order(user):
    poll = services.poll_create(
        author=user, title="  Where to eat?  ", option_labels=[" Pizza ", "Sushi", "Tacos"]
    )

    assert poll.title == "Where to eat?"
    assert poll.author == user
    assert [(o.label, o.position, o.votes) for o in poll.options.all()] == [
        ("Pizza", 1, 0),
        ("Sushi", 2, 0),
        ("Tacos", 3, 0),
    ]


def test_poll_create_closes_in_24_hours_by_default(user):
    poll = services.poll_create(author=user, title="Q", option_labels=["a", "b"])
    assert abs(poll.closes_at - (poll.created_at + timedelta(hours=24))) < timedelta(seconds=5)


def test_poll_create_counts_the_default_24_hours_from_the_given_moment(user):
    moment = timezone.now() - timedelta(minutes=5)
    poll = services.poll_create(author=user, title="Q", option_labels=["a", "b"], now=moment)
    assert poll.closes_at == moment + timedelta(hours=24)


def test_poll_create_accepts_a_chosen_closing_time(user):
    closes_at = timezone.now() + timedelta(days=3)
    poll = services.poll_create(
        author=user, title="Q", option_labels=["a", "b"], closes_at=closes_at
    )
    assert Poll.objects.get(pk=poll.pk).closes_at == closes_at


# --- poll_close and poll_reschedule ---------------------------------------------------------


def test_poll_close_is_idempotent(poll):
    assert services.poll_close(poll=poll) is True
    first_closed_at = Poll.objects.get(pk=poll.pk).closed_at
    assert services.poll_close(poll=poll) is False
    assert Poll.objects.get(pk=poll.pk).closed_at == first_closed_at


def test_poll_closed_early_records_the_moment_it_was_closed(poll):
    moment = timezone.now()
    services.poll_close(poll=poll, now=moment)
    assert Poll.objects.get(pk=poll.pk).closed_at == moment


def test_poll_closed_late_records_its_closing_time():
    closes_at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    poll = PollFactory(created_at=closes_at - timedelta(days=1), closes_at=closes_at)
    services.poll_close(poll=poll, now=closes_at + timedelta(minutes=7))
    assert poll.closed_at == closes_at


def test_only_the_author_or_a_holder_of_change_poll_may_close_a_poll(poll, other_user):
    with pytest.raises(services.NotAllowed):
        services.poll_close(poll=poll, by=other_user)
    with pytest.raises(services.NotAllowed):
        services.poll_close(poll=poll, by=UserFactory(is_staff=True))
    assert services.poll_close(poll=poll, by=poll.author) is True
    other_poll = PollFactory()
    assert services.poll_close(poll=other_poll, by=staff_with("polls.change_poll")) is True


def test_poll_reschedule_moves_the_closing_time_and_reopens(poll):
    services.poll_close(poll=poll)
    new_time = timezone.now() + timedelta(days=2)

    services.poll_reschedule(poll=poll, closes_at=new_time)

    poll.refresh_from_db()
    assert (poll.closes_at, poll.closed_at) == (new_time, None)
    assert poll.is_open()


def test_poll_reschedule_refuses_times_out_of_range(poll):
    with pytest.raises(ValidationError) as caught:
        services.poll_reschedule(poll=poll, closes_at=timezone.now() + timedelta(days=31))
    assert caught.value.message_dict == {
        "closes_at": ["The closing time must be at most 30 days from now."]
    }


def test_poll_reschedule_later_only_moves_the_closing_time_later(poll):
    earlier = poll.closes_at - timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        services.poll_reschedule(poll=poll, closes_at=earlier, later_only=True)
    assert caught.value.message_dict == {
        "closes_at": ["To extend a poll, choose a time later than its closing time."]
    }
    later = poll.closes_at + timedelta(days=1)
    services.poll_reschedule(poll=poll, closes_at=later, later_only=True)
    assert Poll.objects.get(pk=poll.pk).closes_at == later


def test_poll_reschedule_later_only_refuses_a_closed_poll_and_leaves_it_closed(poll):
    """Extending is for an open poll; reopening a closed one is a plain reschedule."""
    services.poll_close(poll=poll)
    closed = Poll.objects.get(pk=poll.pk)
    later = closed.closes_at + timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        services.poll_reschedule(poll=closed, closes_at=later, later_only=True)

    assert caught.value.message_dict == {
        "closes_at": ["Only an open poll can be extended: this one is closed."]
    }
    assert Poll.objects.get(pk=poll.pk).closed_at == closed.closed_at
    assert not AuditEntry.objects.exists()


def test_poll_reschedule_later_only_refuses_a_poll_past_its_closing_time(user):
    """Past its closing time a poll is closed, whether or not the close was recorded yet."""
    now = timezone.now()
    poll = PollFactory(created_at=now - timedelta(hours=2), closes_at=now - timedelta(minutes=1))

    with pytest.raises(ValidationError) as caught:
        services.poll_reschedule(
            poll=poll, closes_at=now + timedelta(days=1), later_only=True, now=now
        )

    assert "Only an open poll can be extended" in caught.value.messages[0]
    assert Poll.objects.get(pk=poll.pk).closes_at == poll.closes_at


# --- poll_delete --------------------------------------------------------------------------


def test_author_may_delete_a_poll_without_votes(poll):
    services.poll_delete(poll=poll, by=poll.author)
    assert not Poll.objects.exists()


def test_author_may_not_delete_a_poll_with_votes_but_a_holder_of_delete_poll_may(poll, user):
    services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)
    with pytest.raises(services.NotAllowed):
        services.poll_delete(poll=poll, by=poll.author)
    with pytest.raises(services.NotAllowed):
        services.poll_delete(poll=poll, by=staff_with("polls.change_poll"))
    services.poll_delete(poll=poll, by=staff_with("polls.delete_poll"))
    assert not Poll.objects.exists()


def test_nobody_else_may_delete_a_poll(poll, other_user):
    with pytest.raises(services.NotAllowed):
        services.poll_delete(poll=poll, by=other_user)
    assert Poll.objects.exists()


def test_staff_without_change_poll_may_not_reschedule_or_reword_anyones_poll(poll):
    for refused in (UserFactory(), UserFactory(is_staff=True), staff_with("polls.delete_poll")):
        with pytest.raises(services.NotAllowed):
            services.poll_reschedule(
                poll=poll, closes_at=timezone.now() + timedelta(days=2), by=refused
            )
        with pytest.raises(services.NotAllowed):
            services.poll_reword(poll=poll, title="Hijacked?", by=refused)
    poll.refresh_from_db()
    assert not poll.title.startswith("Hijacked")
    assert not AuditEntry.objects.exists()


# --- poll_reword ------------------------------------------------------------------------------


def test_poll_reword_refuses_a_label_that_looks_like_another(poll):
    first, second, _ = poll.options.all()

    with pytest.raises(ValidationError) as refused:
        services.poll_reword(poll=poll, labels={second.pk: "\u039fption 1"})  # Greek capital O

    assert refused.value.message_dict == {
        "options": ['Option 2 ("\u039fption 1") is already in this poll.']
    }
    assert Option.objects.get(pk=second.pk).label == "Option 2"


def test_poll_reword_keeps_each_label_key_with_its_label(poll):
    first, second, third = poll.options.all()

    services.poll_reword(poll=poll, labels={first.pk: "Option 2", second.pk: "Tea\u200b"})

    assert list(poll.options.values_list("label", "label_key")) == [
        ("Option 2", "optlon 2"),
        ("Tea\u200b", "tea"),
        ("Option 3", "optlon 3"),
    ]


def test_poll_reword_rewrites_a_stale_key_of_an_unchanged_label(poll):
    first, second, _ = poll.options.all()
    Option.objects.filter(pk=second.pk).update(label_key=f"optlon 2~ID{second.pk}")

    services.poll_reword(poll=poll, labels={first.pk: "Soup"})

    assert Option.objects.get(pk=second.pk).label_key == "optlon 2"


def test_poll_reword_turns_the_constraint_refusing_into_a_validation_error(poll, monkeypatch):
    """Should the rule ever pass two labels the database calls the same (a change committed at
    the same moment), the answer is the duplicate-label error, not a database error."""
    first, second, _ = poll.options.all()
    monkeypatch.setattr(services_polls, "_clean_option_labels", lambda labels: (list(labels), []))

    with pytest.raises(ValidationError) as refused:
        services.poll_reword(poll=poll, labels={first.pk: "Same", second.pk: "same"})

    assert refused.value.message_dict == {"options": [services.DUPLICATE_LABEL]}
    assert list(poll.options.values_list("label", flat=True)) == [
        "Option 1",
        "Option 2",
        "Option 3",
    ]
