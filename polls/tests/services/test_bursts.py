"""Removing a burst (polls.services.bursts): the ballots of one poll from one hashed address
within the window go, the counters follow exactly, each removal is audited."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Ballot, VoterMode
from polls.services.voters import Voter

from ..factories import PollFactory, UserFactory, staff_with
from ..tallies import assert_counters_equal_choices

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]

ANONYMOUS = AnonymousUser()


@pytest.fixture
def moderator():
    return staff_with("polls.delete_ballot")


def open_vote(poll, address, option=0, *, minutes_ago=0) -> Ballot:
    options = list(poll.options.order_by("position").values_list("pk", flat=True))
    ballot = services.vote_cast(
        poll=poll, voter=Voter(user=ANONYMOUS, address=address), option_id=options[option]
    )
    if minutes_ago:
        Ballot.objects.filter(pk=ballot.pk).update(
            cast_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
    return Ballot.objects.get(pk=ballot.pk)


def test_the_burst_is_the_same_address_in_the_same_poll_within_ten_minutes(moderator):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    other_poll = PollFactory(voter_mode=VoterMode.OPEN)
    seed = open_vote(poll, "198.51.100.7", minutes_ago=30)
    burst = [
        open_vote(poll, "198.51.100.7", 1, minutes_ago=39),
        open_vote(poll, "198.51.100.7", 2, minutes_ago=21),
    ]
    kept = [
        open_vote(poll, "198.51.100.7", minutes_ago=41),  # 11 minutes before the seed
        open_vote(poll, "198.51.100.7", minutes_ago=5),
        open_vote(poll, "198.51.100.8", minutes_ago=30),  # another address
        open_vote(other_poll, "198.51.100.7", minutes_ago=30),  # another poll
    ]

    assert set(services.burst_ballots(ballots=[seed])) == {seed, *burst}
    removed = services.ballots_remove_burst(ballots=[seed], by=moderator)

    assert removed == 3
    assert set(Ballot.objects.all()) == set(kept)
    assert_counters_equal_choices(poll)
    assert_counters_equal_choices(other_poll)
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REMOVE_BALLOT)
    assert {entry.object_id for entry in entries} == {str(b.pk) for b in [seed, *burst]}
    assert all(entry.actor == moderator for entry in entries)


def test_an_ipv6_burst_is_grouped_by_its_64(moderator):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    seed = open_vote(poll, "2001:db8:1:2::1")
    neighbour = open_vote(poll, "2001:db8:1:2:ffff::9")
    elsewhere = open_vote(poll, "2001:db8:1:3::1")
    assert services.ballots_remove_burst(ballots=[seed], by=moderator) == 2
    assert not Ballot.objects.filter(pk__in=[seed.pk, neighbour.pk]).exists()
    assert Ballot.objects.filter(pk=elsewhere.pk).exists()
    assert_counters_equal_choices(poll)


def test_the_counters_and_revision_follow_exactly(moderator):
    poll = PollFactory(voter_mode=VoterMode.OPEN, labels=["A", "B", "C"], max_choices=3)
    options = list(poll.options.order_by("position").values_list("pk", flat=True))
    for chosen in ([options[0], options[1]], [options[1]], [options[1], options[2]]):
        services.vote_cast(
            poll=poll, voter=Voter(user=ANONYMOUS, address="192.0.2.1"), option_ids=chosen
        )
    services.vote_cast(
        poll=poll, voter=Voter(user=ANONYMOUS, address="192.0.2.2"), option_ids=[options[0]]
    )
    poll.refresh_from_db()
    revision = poll.revision

    seed = Ballot.objects.filter(address_hash=services.address_hash("192.0.2.1")).first()
    assert services.ballots_remove_burst(ballots=[seed], by=moderator) == 3

    poll.refresh_from_db()
    assert poll.ballot_count == 1
    assert list(poll.options.order_by("position").values_list("votes", flat=True)) == [1, 0, 0]
    assert poll.revision > revision
    assert_counters_equal_choices(poll)


def test_a_secret_ballots_removal_names_no_choice_a_public_ones_does(moderator):
    secret = PollFactory(voter_mode=VoterMode.OPEN, labels=["Marmalade", "Honey"])
    public = PollFactory(voter_mode=VoterMode.OPEN, labels=["Jam", "Butter"], public_ballots=True)
    services.ballots_remove_burst(
        ballots=[open_vote(secret, "192.0.2.1"), open_vote(public, "192.0.2.1")], by=moderator
    )
    details = dict(AuditEntry.objects.values_list("object_repr", "details"))
    secret_details = next(text for name, text in details.items() if secret.title in name)
    public_details = next(text for name, text in details.items() if public.title in name)
    assert "Marmalade" not in secret_details
    assert "a secret ballot" in secret_details
    assert '"Jam"' in public_details


def test_an_accounts_ballot_stands_for_itself_alone(moderator):
    poll = PollFactory(voter_mode=VoterMode.BROWSER)
    signed_in = services.vote_cast(
        poll=poll, voter=UserFactory(), option_id=poll.options.first().pk
    )
    other = services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    assert services.ballots_remove_burst(ballots=[signed_in], by=moderator) == 1
    assert list(Ballot.objects.all()) == [other]
    assert_counters_equal_choices(poll)


def test_removing_a_burst_takes_polls_delete_ballot():
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    ballot = open_vote(poll, "192.0.2.1")
    for refused in (UserFactory(), UserFactory(is_staff=True), staff_with("polls.change_poll")):
        with pytest.raises(services.NotAllowed):
            services.ballots_remove_burst(ballots=[ballot], by=refused)
    assert Ballot.objects.filter(pk=ballot.pk).exists()
    assert AuditEntry.objects.count() == 0


def test_ballots_removed_already_are_not_counted_twice(moderator):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    ballot = open_vote(poll, "192.0.2.1")
    services.ballot_remove(ballot=ballot, by=moderator)
    assert services.ballots_remove_burst(ballots=[ballot], by=moderator) == 0
    assert services.ballots_remove_burst(ballots=[], by=moderator) == 0
    assert_counters_equal_choices(poll)


@pytest.mark.parametrize("others", [0, 10])
def test_the_removal_reads_a_fixed_number_of_queries(moderator, django_assert_num_queries, others):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    seed = open_vote(poll, "192.0.2.1")
    for _ in range(others):
        open_vote(poll, "192.0.2.1")
    # The permission (2), the savepoint (2), the seeds' polls, their options locked, the
    # selection, its places, the burst locked, its choices, the polls' ballot setting, the
    # delete (3), one update per option and per poll, then one audit entry per ballot.
    with django_assert_num_queries(15 + others + 1):
        assert services.ballots_remove_burst(ballots=[seed], by=moderator) == others + 1
