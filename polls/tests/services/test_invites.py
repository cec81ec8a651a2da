"""Invite codes (polls.services.invites): generated numbered by the author or a holder of
polls.change_poll, within limits; revoked only while unused; counted; used once by a ballot."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from polls import services
from polls.models import InviteCode, VoterMode
from polls.services import invites

from ..factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll():
    return PollFactory(voter_mode=VoterMode.CODE)


def create(poll, count, by=None):
    return services.invite_codes_create(poll=poll, by=by or poll.author, count=count)


def test_codes_are_numbered_after_the_polls_last_one(poll):
    first = create(poll, 3)
    then = create(poll, 2)
    assert [code.number for code in first + then] == [1, 2, 3, 4, 5]
    assert [code.number for code in services.invite_codes_of(poll=poll, by=poll.author)] == [
        1,
        2,
        3,
        4,
        5,
    ]
    texts = {code.code for code in first + then}
    assert len(texts) == 5
    assert all(len(text) == 12 for text in texts)  # 72 random bits
    # Another poll numbers from 1.
    assert [code.number for code in create(PollFactory(voter_mode=VoterMode.CODE), 1)] == [1]


@pytest.mark.parametrize("count", [0, -1, 501, True, "3", 2.0, None])
def test_a_batch_is_1_to_500_codes(poll, count):
    with pytest.raises(services.InviteCodesRefused) as refusal:
        create(poll, count)
    assert refusal.value.message == invites.HOW_MANY
    assert InviteCode.objects.count() == 0


def test_a_poll_holds_at_most_5000_codes(poll):
    assert len(create(poll, services.MAX_CODES_AT_ONCE)) == 500
    for _ in range(services.MAX_CODES_PER_POLL // services.MAX_CODES_AT_ONCE - 1):
        create(poll, services.MAX_CODES_AT_ONCE)
    assert InviteCode.objects.filter(poll=poll).count() == 5000
    with pytest.raises(services.InviteCodesRefused) as refusal:
        create(poll, 1)
    assert refusal.value.message == invites.TOO_MANY
    assert InviteCode.objects.filter(poll=poll).count() == 5000


def test_the_author_and_holders_of_change_poll_manage_codes_nobody_else(poll):
    create(poll, 1)
    create(poll, 1, by=staff_with("polls.change_poll"))
    for refused in (
        UserFactory(),
        UserFactory(is_staff=True),
        staff_with("polls.view_invitecode", "polls.delete_ballot"),
        AnonymousUser(),
    ):
        with pytest.raises(services.NotAllowed) as refusal:
            create(poll, 1, by=refused)
        assert refusal.value.message == invites.NOT_YOURS
        with pytest.raises(services.NotAllowed):
            services.invite_codes_revoke(poll=poll, by=refused, numbers=[1])
        with pytest.raises(services.NotAllowed):
            services.invite_codes_of(poll=poll, by=refused)
    assert InviteCode.objects.filter(poll=poll, revoked=False).count() == 2


@pytest.mark.parametrize("mode", [VoterMode.ACCOUNT, VoterMode.BROWSER, VoterMode.OPEN])
def test_only_a_code_poll_has_codes(mode):
    poll = PollFactory(voter_mode=mode)
    with pytest.raises(services.InviteCodesRefused) as refusal:
        create(poll, 1)
    assert refusal.value.message == invites.NOT_CODE_POLL


def test_only_unused_codes_are_revoked(poll):
    create(poll, 4)
    used = InviteCode.objects.get(poll=poll, number=1)
    with transaction.atomic():
        services.invite_code_use(poll_id=poll.pk, code=used.code)

    revoked = services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[1, 2, 3, 99, "x"])

    assert revoked == 2
    statuses = {code.number: code.status for code in InviteCode.objects.filter(poll=poll)}
    assert statuses == {1: "used", 2: "revoked", 3: "revoked", 4: "unused"}
    # Revoking again changes nothing.
    assert services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[2, 3]) == 0


def test_counts_say_how_many_are_unused_used_and_revoked(poll):
    assert services.invite_code_counts(poll=poll) == {"unused": 0, "used": 0, "revoked": 0}
    codes = create(poll, 5)
    services.invite_code_use(poll_id=poll.pk, code=codes[0].code)
    services.invite_code_use(poll_id=poll.pk, code=codes[1].code)
    services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[5])
    assert services.invite_code_counts(poll=poll) == {"unused": 2, "used": 2, "revoked": 1}


def test_a_code_is_used_once_and_freed_by_its_ballots_retraction(poll):
    code = create(poll, 1)[0].code
    services.invite_code_use(poll_id=poll.pk, code=code)
    assert InviteCode.objects.get().used
    with pytest.raises(services.InviteCodeUsed):
        services.invite_code_use(poll_id=poll.pk, code=code)

    services.invite_code_use(poll_id=poll.pk, code=code, used=False)
    assert not InviteCode.objects.get().used
    services.invite_code_use(poll_id=poll.pk, code=code)


def test_a_revoked_unknown_or_other_polls_code_is_refused_in_words(poll):
    codes = create(poll, 2)
    services.invite_codes_revoke(poll=poll, by=poll.author, numbers=[2])
    with pytest.raises(services.InviteCodeRevoked):
        services.invite_code_use(poll_id=poll.pk, code=codes[1].code)
    with pytest.raises(services.InviteCodeRefused) as unknown:
        services.invite_code_use(poll_id=poll.pk, code="not-a-code")
    assert type(unknown.value) is services.InviteCodeRefused
    other = PollFactory(voter_mode=VoterMode.CODE)
    with pytest.raises(services.InviteCodeRefused):
        services.invite_code_use(poll_id=other.pk, code=codes[0].code)
    assert not InviteCode.objects.get(number=1).used


def test_text_that_cannot_be_a_code_is_no_code_without_a_query(poll, django_assert_num_queries):
    code = create(poll, 1)[0]
    with django_assert_num_queries(0):
        for text in (None, "", "x" * 17, "cödé", 42):
            assert services.invite_code_valid(poll=poll, code=text) is None
    assert services.invite_code_valid(poll=poll, code=code.code) == code
    assert services.invite_code_valid(poll=poll, code="unknown") is None
