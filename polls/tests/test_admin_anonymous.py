"""The admin of voting without an account: each ballot's mode, voter or name and hashed
address; bursts made visible and removed with a confirmation; the poll's new settings and its
invite codes' counts; invite codes read-only."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from polls import services
from polls.models import AuditEntry, Ballot, InviteCode, Poll, VoterMode
from polls.services.voters import Voter

from .factories import PollFactory, UserFactory, staff_with
from .tallies import assert_counters_equal_choices
from .test_admin_settings import ADD, add_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("challenge_off")]

ANONYMOUS = AnonymousUser()
BALLOTS = reverse("admin:polls_ballot_changelist")


def first(poll) -> int:
    return poll.options.order_by("position").first().pk


def anonymous(poll, address="198.51.100.7", **voter) -> Ballot:
    return services.vote_cast(
        poll=poll, voter=Voter(user=ANONYMOUS, address=address, **voter), option_id=first(poll)
    )


def test_the_ballot_list_shows_mode_voter_or_name_and_a_short_address_hash(admin_client):
    poll = PollFactory(voter_mode=VoterMode.BROWSER, voter_names="optional")
    by_browser = anonymous(poll, browser="b" * 22, name="Ada")
    by_account = services.vote_cast(
        poll=poll, voter=UserFactory(username="grace"), option_id=first(poll)
    )

    response = admin_client.get(BALLOTS)
    text = response.content.decode()

    assert ">Browser<" in text
    assert ">Account<" in text
    assert ">Ada<" in text
    assert ">grace<" in text
    assert by_browser.address_hash[:8] in text
    assert by_browser.address_hash not in text  # shortened
    assert "198.51.100.7" not in text
    assert by_account.address_hash == ""


def test_the_mode_filter_lists_one_mode(admin_client):
    open_poll = PollFactory(voter_mode=VoterMode.OPEN)
    ballot = anonymous(open_poll)
    services.vote_cast(poll=PollFactory(), voter=UserFactory(), option_id=first(open_poll) + 3)

    listed = admin_client.get(BALLOTS, {"mode": "open"}).context["cl"].result_list
    assert list(listed) == [ballot]
    accounts = admin_client.get(BALLOTS, {"mode": "user"}).context["cl"].result_list
    assert [b.mode for b in accounts] == ["user"]


def test_the_list_counts_the_ballots_from_the_same_hashed_address(admin_client):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    stuffed = [anonymous(poll, "198.51.100.7") for _ in range(3)]
    alone = anonymous(poll, "198.51.100.8")
    anonymous(PollFactory(voter_mode=VoterMode.OPEN), "198.51.100.7")  # another poll

    changelist = admin_client.get(BALLOTS).context["cl"]
    counts = {ballot.pk: ballot.address_count for ballot in changelist.result_list}
    assert [counts[ballot.pk] for ballot in stuffed] == [3, 3, 3]
    assert counts[alone.pk] == 1

    shared = admin_client.get(BALLOTS, {"address": "shared"}).context["cl"].result_list
    assert {ballot.pk for ballot in shared} == {ballot.pk for ballot in stuffed}


def test_removing_a_burst_asks_first_then_removes_it_with_the_counts(admin_client, admin_user):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    stuffed = [anonymous(poll, "198.51.100.7") for _ in range(4)]
    honest = anonymous(poll, "198.51.100.8")
    selected = {"action": "remove_burst", ACTION_CHECKBOX_NAME: [stuffed[0].pk]}

    asked = admin_client.post(BALLOTS, selected)
    assert asked.status_code == 200
    assert "4 ballots will be removed" in asked.content.decode()
    assert Ballot.objects.count() == 5

    done = admin_client.post(BALLOTS, {**selected, "post": "yes"}, follow=True)
    assert "Removed 4 ballots" in done.content.decode()
    assert list(Ballot.objects.all()) == [honest]
    assert_counters_equal_choices(poll)
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REMOVE_BALLOT)
    assert entries.count() == 4
    assert {entry.actor for entry in entries} == {admin_user}


def test_staff_without_delete_ballot_are_not_offered_the_burst_removal(client):
    poll = PollFactory(voter_mode=VoterMode.OPEN, results_visibility="always")
    ballot = anonymous(poll)
    client.force_login(staff_with("polls.view_ballot"))
    response = client.get(BALLOTS)
    assert "remove_burst" not in response.content.decode()
    client.post(
        BALLOTS, {"action": "remove_burst", ACTION_CHECKBOX_NAME: [ballot.pk], "post": "yes"}
    )
    assert Ballot.objects.filter(pk=ballot.pk).exists()


@pytest.mark.parametrize("rows", [1, 30])
def test_the_ballot_list_with_modes_and_bursts_pins_its_queries(
    admin_client, django_assert_num_queries, rows
):
    poll = PollFactory(voter_mode=VoterMode.OPEN)
    for number in range(rows):
        anonymous(poll, f"198.51.100.{number % 4}")
    admin_client.get(BALLOTS)
    # session, user, the count (the polls' ballot counts added up), the page (with the
    # same-address counts), its choices
    with django_assert_num_queries(5):
        response = admin_client.get(BALLOTS)
    assert len(response.context["cl"].result_list) == rows


# --- Poll settings and invite codes -------------------------------------------------------------


def test_the_poll_forms_offer_the_voter_settings_with_help(admin_client):
    poll = PollFactory()
    for url in (ADD, reverse("admin:polls_poll_change", args=[poll.pk])):
        html = admin_client.get(url).content.decode()
        for name in ("voter_mode", "public_ballots", "voter_names", "names_shown_to"):
            assert f'name="{name}"' in html, (url, name)
        assert "clearing it allows another vote" in html
        assert "from the author and staff too" in html


def test_adding_a_poll_with_voter_settings(admin_client):
    response = admin_client.post(
        ADD,
        add_data(
            voter_mode="code",
            public_ballots="on",
            voter_names="required",
            names_shown_to="everyone",
        ),
    )
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert (poll.voter_mode, poll.public_ballots) == ("code", True)
    assert (poll.voter_names, poll.names_shown_to) == ("required", "everyone")


def test_a_code_polls_change_page_counts_its_invite_codes(admin_client):
    poll = PollFactory(voter_mode=VoterMode.CODE)
    codes = services.invite_codes_create(poll=poll, by=poll.author, count=5)
    services.vote_cast(
        poll=poll, voter=Voter(user=ANONYMOUS, code=codes[0].code), option_id=first(poll)
    )
    services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[5])

    html = admin_client.get(reverse("admin:polls_poll_change", args=[poll.pk])).content.decode()
    assert "3 unused, 1 used, 1 revoked" in html
    other = admin_client.get(reverse("admin:polls_poll_change", args=[PollFactory().pk]))
    assert "field-invite_codes" in html
    assert "field-invite_codes" not in other.content.decode()


def test_invite_codes_are_read_only_and_their_text_needs_change_poll(client):
    poll = PollFactory(voter_mode=VoterMode.CODE)
    (invite,) = services.invite_codes_create(poll=poll, by=poll.author, count=1)
    listing = reverse("admin:polls_invitecode_changelist")
    page = reverse("admin:polls_invitecode_change", args=[invite.pk])

    client.force_login(UserFactory(is_staff=True))
    assert client.get(listing).status_code == 403

    client.force_login(staff_with("polls.view_invitecode"))
    listed = client.get(listing)
    assert listed.status_code == 200
    assert ">unused<" in listed.content.decode()
    assert invite.code not in listed.content.decode()
    assert invite.code not in client.get(page).content.decode()
    assert client.get(reverse("admin:polls_invitecode_add")).status_code == 403
    assert client.get(reverse("admin:polls_invitecode_delete", args=[invite.pk])).status_code == 403

    client.force_login(staff_with("polls.view_invitecode", "polls.change_poll"))
    assert invite.code in client.get(page).content.decode()
    assert InviteCode.objects.get().used is False
