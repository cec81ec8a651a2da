"""The poll admin's settings: the add form creates with them through poll_create, the change
form changes them through poll_edit by its rule; refusals are form errors, never a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Poll
from polls.services import editing

from .factories import PollFactory, UserFactory, staff_with
from .test_admin import form_time, poll_change_data, settings_data

pytestmark = pytest.mark.django_db

ADD = reverse("admin:polls_poll_add")


def change_url(poll) -> str:
    return reverse("admin:polls_poll_change", args=[poll.pk])


def add_data(**settings) -> dict:
    return {
        "title": "Which colours?",
        "options": "Red\nGreen\nBlue",
        **form_time(timezone.now() + timedelta(days=2)),
        **settings_data(),
        **settings,
    }


@pytest.fixture
def poll(db):
    return PollFactory(closes_at=(timezone.now() + timedelta(days=1)).replace(microsecond=0))


def unchanged(poll, **changes) -> dict:
    """The change form as a browser posts it: the closing time's initial value in hidden
    fields, so an untouched closing time is no change."""
    initial = {f"initial-{name}": value for name, value in form_time(poll.closes_at).items()}
    return poll_change_data(poll) | initial | changes


def form_errors(response) -> dict:
    assert response.status_code == 200
    return dict(response.context["adminform"].form.errors)


def test_both_forms_show_every_setting(admin_client, poll):
    for url in (ADD, change_url(poll)):
        html = admin_client.get(url).content.decode()
        for name in (
            "description",
            "results_visibility",
            "min_choices",
            "max_choices",
            "allow_vote_change",
            "unlisted",
            "shuffle_options",
        ):
            assert f'name="{name}"' in html, (url, name)


def test_adding_a_poll_with_its_settings(admin_client, admin_user):
    response = admin_client.post(
        ADD,
        add_data(
            description="Any number of them.",
            results_visibility="always",
            min_choices="1",
            max_choices="3",
            allow_vote_change="on",
            unlisted="on",
            shuffle_options="on",
        ),
    )
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert (poll.description, poll.results_visibility) == ("Any number of them.", "always")
    assert (poll.min_choices, poll.max_choices) == (1, 3)
    assert (poll.allow_vote_change, poll.unlisted, poll.shuffle_options) == (True,) * 3
    assert AuditEntry.objects.get().action == AuditEntry.Action.ADD


@pytest.mark.parametrize(
    ("settings", "errors"),
    [
        (
            {"max_choices": "4"},
            {"max_choices": ["A ballot cannot hold more options than the poll has (3)."]},
        ),
        (
            {"min_choices": "3", "max_choices": "2"},
            {
                "max_choices": [
                    "The most options a ballot holds (2) cannot be fewer than the fewest (3)."
                ]
            },
        ),
        ({"min_choices": "0"}, {"min_choices": ["A ballot holds at least 1 option."]}),
        (
            {"description": "Bell\x07"},
            {
                "description": [
                    "The description contains a control character (U+0007, character 5); "
                    "only line breaks are allowed."
                ]
            },
        ),
        (
            {"results_visibility": "everyone"},
            {
                "results_visibility": [
                    "Select a valid choice. everyone is not one of the available choices."
                ]
            },
        ),
    ],
)
def test_bad_settings_on_the_add_form_are_errors_and_create_nothing(admin_client, settings, errors):
    response = admin_client.post(ADD, add_data(**settings))
    assert form_errors(response) == errors
    assert not Poll.objects.exists()
    assert not AuditEntry.objects.exists()


def test_changing_settings_before_a_vote_goes_through_poll_edit_and_is_audited(
    admin_client, admin_user, poll
):
    data = unchanged(poll, min_choices="1", max_choices="3", results_visibility="after_close")
    response = admin_client.post(change_url(poll), data)
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.min_choices, poll.max_choices, poll.results_visibility) == (1, 3, "after_close")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (admin_user, AuditEntry.Action.CHANGE)
    assert entry.details == (
        "Results visibility: after_vote → after_close. Options per ballot: 1 to 1 → 1 to 3."
    )


def test_after_a_vote_the_settings_still_change(admin_client, poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    data = poll_change_data(poll)
    data.update(description="Added later", unlisted="on")
    response = admin_client.post(change_url(poll), data)
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.description, poll.unlisted) == ("Added later", True)


def test_after_a_vote_the_choice_limits_are_refused_on_the_form(admin_client, poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    data = poll_change_data(poll)
    data.update(max_choices="2", description="Not saved either")
    response = admin_client.post(change_url(poll), data)
    assert form_errors(response) == {"max_choices": [editing.CHOICE_LIMITS_FIXED]}
    poll.refresh_from_db()
    assert (poll.max_choices, poll.description) == (1, "")
    assert not AuditEntry.objects.exists()


def test_a_holder_of_change_poll_changes_anyones_settings(client, poll):
    staff = staff_with("polls.change_poll", "polls.view_poll")
    client.force_login(staff)
    response = client.post(change_url(poll), unchanged(poll, shuffle_options="on"))
    assert response.status_code == 302
    assert Poll.objects.get(pk=poll.pk).shuffle_options
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.details) == (staff, "Options in a random order: no → yes.")


def test_an_unchanged_change_form_changes_nothing(admin_client, poll):
    revision = Poll.objects.get(pk=poll.pk).revision
    response = admin_client.post(change_url(poll), unchanged(poll))
    assert response.status_code == 302
    assert Poll.objects.get(pk=poll.pk).revision == revision
    assert not AuditEntry.objects.exists()
