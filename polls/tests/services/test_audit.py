"""polls/services/audit.py: staff powers recorded in the audit log, once each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from polls import services
from polls.models import AuditEntry

from ..factories import staff_with

pytestmark = pytest.mark.django_db


def test_staff_powers_are_audited_in_the_service_once_each(poll, user):
    staff = staff_with("polls.change_poll", "polls.delete_poll", "polls.delete_ballot")
    later = poll.closes_at + timedelta(days=1)
    services.poll_reword(poll=poll, title="Clearer?", by=staff)
    services.poll_close(poll=poll, by=staff)
    services.poll_close(poll=poll, by=staff)  # already closed: nothing to record
    services.poll_reschedule(poll=poll, closes_at=later, by=staff)
    ballot = services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)
    services.ballot_remove(ballot=ballot, by=staff)
    services.poll_delete(poll=poll, by=staff)

    entries = AuditEntry.objects.order_by("id")
    assert [(e.actor, e.action) for e in entries] == [
        (staff, AuditEntry.Action.CHANGE),
        (staff, AuditEntry.Action.CLOSE),
        (staff, AuditEntry.Action.RESCHEDULE),
        (staff, AuditEntry.Action.REMOVE_BALLOT),
        (staff, AuditEntry.Action.DELETE),
    ]
    assert all(entry.object_id in (str(poll.pk), str(ballot.pk)) for entry in entries)


def test_the_system_closing_or_rescheduling_writes_no_audit_entry(poll):
    services.poll_close(poll=poll)
    services.poll_reschedule(poll=poll, closes_at=timezone.now() + timedelta(days=1))
    assert not AuditEntry.objects.exists()
