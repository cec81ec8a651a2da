"""The invite code pages of a code poll (polls/views/invites.py): who may see them, generating,
withdrawing, the CSV and the printable sheet."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from polls import services
from polls.models import InviteCode, VoterMode

from .factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def url(name, poll):
    return reverse(f"polls:{name}", kwargs={"public_id": poll.public_id})


@pytest.fixture
def poll():
    return PollFactory(title="=Team lunch", voter_mode=VoterMode.CODE)


@pytest.fixture
def as_author(client, poll):
    client.force_login(poll.author)
    return client


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_only_the_author_and_holders_of_change_poll_manage_codes(client, poll):
    assert client.get(url("invites", poll)).status_code == 302  # to log in
    client.force_login(UserFactory())
    assert client.get(url("invites", poll)).status_code == 403
    client.force_login(staff_with("polls.change_poll"))
    assert client.get(url("invites", poll)).status_code == 200


def test_a_poll_not_in_code_mode_has_no_invite_pages(client):
    poll = PollFactory()
    client.force_login(poll.author)
    for name in ("invites", "invites-csv", "invites-sheet"):
        assert client.get(url(name, poll)).status_code == 404


def test_generating_codes_lists_their_links_and_says_how_many(as_author, poll):
    response = as_author.post(url("invites", poll), {"generate": "1", "count": "3"}, follow=True)
    assert "3 new invite codes: hand out their links." in flashes(response)
    html = response.content.decode()
    for invite in InviteCode.objects.filter(poll=poll):
        assert f"{poll.get_absolute_url()}?code={invite.code}" in html
    assert "3 unused · 0 used · 0 withdrawn" in html


@pytest.mark.parametrize("count", ["0", "501", "lots", ""])
def test_a_count_out_of_range_is_a_message(as_author, poll, count):
    response = as_author.post(url("invites", poll), {"generate": "1", "count": count}, follow=True)
    assert services.invites.HOW_MANY in flashes(response)
    assert InviteCode.objects.count() == 0


def test_withdrawing_ticked_unused_codes_and_never_a_used_one(as_author, poll):
    first, second, third = services.invite_codes_create(poll=poll, by=poll.author, count=3)
    services.vote_cast(
        poll=poll,
        voter=services.Voter(code=first.code, user=UserFactory()),
        option_id=poll.options.first().pk,
    )
    response = as_author.post(
        url("invites", poll), {"revoke": "1", "number": ["1", "2", "x"]}, follow=True
    )
    assert "1 unused code withdrawn." in flashes(response)
    statuses = dict(InviteCode.objects.values_list("number", "revoked"))
    assert statuses == {1: False, 2: True, 3: False}
    nothing = as_author.post(url("invites", poll), {"revoke": "1"}, follow=True)
    assert "Tick the unused codes to withdraw first." in flashes(nothing)


def test_the_csv_holds_each_link_and_status_safe_for_spreadsheets(as_author, poll):
    services.invite_codes_create(poll=poll, by=poll.author, count=2)
    response = as_author.get(url("invites-csv", poll))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="team-lunch-invites.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["Number", "Link", "Status"]
    assert [row[0] for row in rows[1:]] == ["1", "2"]
    assert all(row[1].startswith("http://testserver/polls/") for row in rows[1:])
    assert {row[2] for row in rows[1:]} == {"unused"}


def test_the_printable_sheet_has_a_card_and_a_qr_code_per_unused_code(as_author, poll):
    services.invite_codes_create(poll=poll, by=poll.author, count=3)
    services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[2])
    html = as_author.get(url("invites-sheet", poll)).content.decode()
    assert html.count('class="invite-card"') == 2
    assert html.count("<svg") >= 2
    assert "style=" not in html.split('class="invite-sheet"')[1]  # the CSP allows none


def test_the_manage_page_of_a_code_poll_links_to_its_codes(as_author, poll):
    html = as_author.get(url("manage", poll)).content.decode()
    assert url("invites", poll) in html
