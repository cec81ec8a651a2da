import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from polls import services
from polls.labels import label_key
from polls.models import Ballot, Choice, Option, Poll, User, user_identity

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_public_id_is_short_random_and_url_safe():
    first, second = PollFactory(), PollFactory()
    assert re.fullmatch(r"[A-Za-z0-9_-]{11}", first.public_id)
    assert first.public_id != second.public_id
    assert first.get_absolute_url().endswith(f"/{first.public_id}/")


def test_poll_closes_24_hours_after_creation_by_default():
    before = timezone.now()
    poll = Poll.objects.create(author=UserFactory(), title="Lunch?")
    assert before + timedelta(hours=24) <= poll.closes_at <= timezone.now() + timedelta(hours=24)


def test_poll_is_open_until_its_closing_time_or_recorded_close():
    poll = PollFactory(closes_at=timezone.now() + timedelta(hours=1))
    assert poll.is_open()
    assert not poll.is_open(now=poll.closes_at)
    poll.closed_at = timezone.now()
    assert not poll.is_open()


def test_open_closed_and_due_querysets_follow_the_rule():
    now = timezone.now()
    open_poll = PollFactory(closes_at=now + timedelta(hours=1))
    recorded = PollFactory(closes_at=now + timedelta(hours=1), closed_at=now)
    expired = PollFactory(created_at=now - timedelta(days=2), closes_at=now - timedelta(minutes=1))

    assert list(Poll.objects.open()) == [open_poll]
    assert set(Poll.objects.closed()) == {recorded, expired}
    assert list(Poll.objects.due_for_closing()) == [expired]


def test_total_votes_is_the_ballot_count_kept_by_votes_and_removals():
    voted, silent = PollFactory(), PollFactory()
    voters = UserFactory.create_batch(3)
    for voter in voters:
        services.vote_cast(poll=voted, voter=voter, option_id=voted.options.first().pk)
    services.ballot_remove(ballot=Ballot.objects.filter(voter=voters[0]).get())

    totals = {poll.pk: poll.total_votes for poll in Poll.objects.for_listing()}

    assert totals == {voted.pk: 2, silent.pk: 0}
    assert Ballot.objects.filter(poll=voted).count() == 2


def test_database_allows_one_ballot_per_identity_per_poll(poll, user):
    Ballot.objects.create(poll=poll, voter=user, identity=user_identity(user.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(poll=poll, voter=UserFactory(), identity=user_identity(user.pk))


def test_database_refuses_a_ballot_without_identity(poll, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(poll=poll, voter=user, identity="")


def test_database_keeps_vote_counters_non_negative(poll):
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.filter(poll=poll).update(votes=-1)


def option(poll, label, position=9):
    return Option.objects.create(
        poll=poll, label=label, label_key=label_key(label), position=position
    )


@pytest.mark.parametrize("label", ["OPTION 1", "Opti\u03bfn 1", "Option l"])
def test_database_requires_label_keys_unique_in_a_poll(poll, label):
    with pytest.raises(IntegrityError), transaction.atomic():
        option(poll, label)
    option(PollFactory(labels=["Yes", "No"]), label)


def test_database_refuses_i_and_dotted_capital_i_in_one_poll():
    """PostgreSQL's lower() and Python's casefold() disagreed on these; the stored key does not."""
    poll = PollFactory(labels=["I"])
    with pytest.raises(IntegrityError), transaction.atomic():
        option(poll, "\u0130")


def test_database_refuses_an_option_without_its_key(poll):
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.create(poll=poll, label="Fresh", position=9)


def test_database_refuses_a_choice_of_an_option_from_another_poll(poll, user):
    other_option = PollFactory().options.first()
    ballot = Ballot.objects.create(poll=poll, voter=user, identity=user_identity(user.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(ballot=ballot, poll=poll, option=other_option)


def test_database_refuses_a_choice_whose_poll_differs_from_its_ballots(poll, user):
    other = PollFactory()
    ballot = Ballot.objects.create(poll=poll, voter=user, identity=user_identity(user.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(ballot=ballot, poll=other, option=other.options.first())


def test_database_refuses_blank_titles_and_closing_before_creation(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Poll.objects.create(author=user, title="")
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Poll.objects.create(author=user, title="Late", created_at=now, closes_at=now)


def test_usernames_and_emails_are_unique_ignoring_case():
    UserFactory(username="Alice", email="alice@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="alice", email="other@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="bob", email="ALICE@example.com")


def test_deleting_a_poll_removes_its_options_ballots_and_choices(poll, user):
    option = poll.options.first()
    ballot = Ballot.objects.create(poll=poll, voter=user, identity=user_identity(user.pk))
    Choice.objects.create(ballot=ballot, poll=poll, option=option)

    poll.delete()

    assert not Option.objects.exists()
    assert not Ballot.objects.exists()
    assert not Choice.objects.exists()
