import csv
import io
import os
import subprocess
import sys
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts
from polls import services
from polls.models import AuditEntry, Ballot, Choice, Option, Poll, User

from .factories import PASSWORD, PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:polls_poll_changelist",
    "admin:polls_ballot_changelist",
    "admin:polls_user_changelist",
    "admin:polls_auditentry_changelist",
    "admin:auth_group_changelist",
    "admin:axes_accessattempt_changelist",
]


def form_time(moment) -> dict:
    """The admin's split date/time widget fields for `moment` (UTC)."""
    return {"closes_at_0": moment.strftime("%Y-%m-%d"), "closes_at_1": moment.strftime("%H:%M:%S")}


def vote(poll, option_number=1, voter=None):
    option = poll.options.get(position=option_number)
    return services.vote_cast(poll=poll, voter=voter or UserFactory(), option_id=option.pk)


def counters_match_ballots():
    counted = Option.objects.aggregate(total=Sum("votes"))["total"] or 0
    return counted == Choice.objects.count()


def run_action(client, action, polls, **extra):
    return client.post(
        reverse("admin:polls_poll_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [poll.pk for poll in polls], **extra},
        follow=True,
    )


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def option_inline_data(poll, labels=None):
    options = list(poll.options.all())
    labels = labels or [option.label for option in options]
    data = {
        "options-TOTAL_FORMS": str(len(options)),
        "options-INITIAL_FORMS": str(len(options)),
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    for number, (option, label) in enumerate(zip(options, labels, strict=True)):
        data[f"options-{number}-id"] = str(option.pk)
        data[f"options-{number}-poll"] = str(poll.pk)
        data[f"options-{number}-label"] = label
    return data


def settings_data(poll=None) -> dict:
    """The poll form's settings as a browser posts them (an unticked box is absent)."""
    poll = poll or Poll()
    data = {
        "description": poll.description,
        "results_visibility": poll.results_visibility,
        "min_choices": str(poll.min_choices),
        "max_choices": str(poll.max_choices),
        "voting_method": poll.voting_method,
        "voter_mode": poll.voter_mode,
        "voter_names": poll.voter_names,
        "names_shown_to": poll.names_shown_to,
    }
    flags = ("allow_vote_change", "unlisted", "shuffle_options", "public_ballots", "rank_all")
    return data | {flag: "on" for flag in flags if getattr(poll, flag)}


def poll_change_data(poll, *, title=None, closes_at=None, labels=None):
    return {
        "title": title if title is not None else poll.title,
        **form_time(closes_at or poll.closes_at),
        **settings_data(poll),
        **option_inline_data(poll, labels),
    }


# --- Who gets in ------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_every_list_renders_for_staff(admin_client, poll, url_name):
    vote(poll)
    assert admin_client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_anonymous_visitors_are_sent_to_the_admin_login_with_next(client, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("url_name", ["admin:index", *CHANGELISTS])
def test_logged_in_non_staff_are_sent_to_the_admin_login(client, user, url_name):
    client.force_login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(f"{reverse('admin:login')}?next=")


def test_every_add_and_change_form_renders_for_staff(admin_client, poll):
    ballot = vote(poll)
    for url in [
        reverse("admin:polls_poll_add"),
        reverse("admin:polls_poll_change", args=[poll.pk]),
        reverse("admin:polls_ballot_change", args=[ballot.pk]),
        reverse("admin:polls_user_add"),
        reverse("admin:polls_user_change", args=[poll.author.pk]),
        reverse("admin:auth_group_add"),
    ]:
        assert admin_client.get(url).status_code == 200, url


# --- Polls: add and change through the services -----------------------------------------------


def test_adding_a_poll_creates_it_with_its_options_and_audits_it(admin_client, admin_user):
    closes_at = timezone.now() + timedelta(days=2)
    response = admin_client.post(
        reverse("admin:polls_poll_add"),
        {
            "title": " Tea or coffee? ",
            "options": "Tea\n\n Coffee \nWater",
            **form_time(closes_at),
            **settings_data(),
        },
    )
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert poll.title == "Tea or coffee?"
    assert poll.author == admin_user
    assert [option.label for option in poll.options.all()] == ["Tea", "Coffee", "Water"]
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (
        admin_user,
        AuditEntry.Action.ADD,
        str(poll.pk),
    )


def test_adding_a_poll_with_bad_input_shows_the_rules_messages_and_creates_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:polls_poll_add"),
        {
            "title": "Tea?",
            "options": "Tea\ntea",
            **form_time(timezone.now() + timedelta(days=40)),
            **settings_data(),
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert 'Option 2 ("tea") is already in this poll.' in errors["options"]
    assert "The closing time must be at most 30 days from now." in errors["closes_at"]
    assert not Poll.objects.exists()
    assert not AuditEntry.objects.exists()


def test_changing_the_closing_time_reschedules_and_reopens_a_closed_poll(admin_client, poll):
    services.poll_close(poll=poll)
    closes_at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = admin_client.post(
        reverse("admin:polls_poll_change", args=[poll.pk]),
        poll_change_data(poll, closes_at=closes_at),
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.closes_at, poll.closed_at) == (closes_at, None)
    assert AuditEntry.objects.get().action == AuditEntry.Action.RESCHEDULE


def test_question_and_labels_can_change_before_anyone_votes(admin_client, poll):
    response = admin_client.post(
        reverse("admin:polls_poll_change", args=[poll.pk]),
        poll_change_data(poll, title="Better question?", labels=["Option 2", "Option 1", "Three"]),
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.title == "Better question?"
    assert [option.label for option in poll.options.all()] == ["Option 2", "Option 1", "Three"]


def test_a_duplicate_label_is_refused_with_a_message(admin_client, poll):
    response = admin_client.post(
        reverse("admin:polls_poll_change", args=[poll.pk]),
        poll_change_data(poll, labels=["Option 1", "Option 2", " option 1"]),
    )
    assert response.status_code == 200
    formset_errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert 'Option 3 ("option 1") is already in this poll.' in formset_errors
    assert [option.label for option in poll.options.all()] == ["Option 1", "Option 2", "Option 3"]


def test_once_voted_the_wording_is_refused_and_nothing_in_the_form_is_saved(admin_client, poll):
    vote(poll)
    old_closes_at = poll.closes_at
    response = admin_client.post(
        reverse("admin:polls_poll_change", args=[poll.pk]),
        {
            "title": "Sneaky new question?",
            **form_time(timezone.now() + timedelta(days=5)),
            **settings_data(poll),
            # Labels are read-only now: the inline sends only ids.
            **{k: v for k, v in option_inline_data(poll).items() if not k.endswith("-label")},
        },
    )
    assert response.status_code == 200
    assert "its question can no longer change" in str(response.context["adminform"].form.errors)
    poll.refresh_from_db()
    assert poll.title != "Sneaky new question?"
    assert poll.closes_at == old_closes_at  # the valid half of the form was not saved either
    assert not AuditEntry.objects.exists()


def test_validating_the_add_forms_writes_nothing(rf, admin_user):
    """clean() only checks; the services write when the admin saves."""
    request = rf.get("/")
    request.user = admin_user
    poll_form = admin.site._registry[Poll].get_form(request)(
        {
            "title": "Tea?",
            "options": "Tea\nCoffee",
            **form_time(timezone.now() + timedelta(1)),
            **settings_data(),
        }
    )
    user_form = admin.site._registry[User].get_form(request)(
        {
            "username": "new",
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
    )
    assert poll_form.is_valid(), poll_form.errors
    assert user_form.is_valid(), user_form.errors
    assert not Poll.objects.exists()
    assert list(User.objects.all()) == [admin_user]


def test_a_vote_between_validating_and_saving_a_rewording_is_a_message(admin_client, poll):
    """The service still refuses at save time: the page says so, and nothing is saved."""
    edit = services.poll_edit

    def vote_first(**kwargs):
        vote(poll)
        return edit(**kwargs)

    closes_at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    url = reverse("admin:polls_poll_change", args=[poll.pk])
    with mock.patch.object(services, "poll_edit", side_effect=vote_first):
        response = admin_client.post(
            url, poll_change_data(poll, title="Better question?", closes_at=closes_at)
        )
    assert response.status_code == 302
    assert response["Location"] == url
    assert page_messages(admin_client.get(url)) == [
        f"Nothing was saved: {services.editing.QUESTION_FIXED}"
    ]
    changed = Poll.objects.get(pk=poll.pk)
    assert (changed.title, changed.closes_at) == (poll.title, poll.closes_at)
    assert not AuditEntry.objects.exists()


def test_a_username_taken_between_validating_and_saving_is_a_message(admin_client):
    create = accounts.user_create

    def taken_first(**kwargs):
        UserFactory(username="newcomer")
        return create(**kwargs)

    url = reverse("admin:polls_user_add")
    details = {"username": "newcomer", "email": "new@example.com"}
    with mock.patch.object(accounts, "user_create", side_effect=taken_first):
        response = admin_client.post(url, {**details, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == url
    assert page_messages(admin_client.get(url)) == ["Nothing was saved: That username is taken."]
    assert not User.objects.filter(email="new@example.com").exists()
    assert not AuditEntry.objects.exists()


def test_labels_and_counts_are_read_only_once_voted(admin_client, poll):
    vote(poll)
    response = admin_client.get(reverse("admin:polls_poll_change", args=[poll.pk]))
    inline = response.context["inline_admin_formsets"][0]
    assert set(inline.readonly_fields) == {"position", "label", "votes"}
    assert not inline.has_add_permission
    assert not inline.has_delete_permission


def test_deleting_a_poll_goes_through_the_service_and_is_audited(admin_client, poll):
    vote(poll)
    response = admin_client.post(
        reverse("admin:polls_poll_delete", args=[poll.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Poll.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_repr) == (AuditEntry.Action.DELETE, poll.title)


def test_staff_with_only_delete_poll_deletes_a_poll_that_has_votes(client, poll):
    """The service decides (polls.delete_poll); the ballots go with the poll without the
    Ballot admin's own delete permission."""
    vote(poll)
    client.force_login(staff_with("polls.delete_poll", "polls.view_poll"))
    url = reverse("admin:polls_poll_delete", args=[poll.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Poll.objects.exists()


# --- Polls: list, filters, actions ------------------------------------------------------------


def test_poll_list_shows_total_votes_sorted_and_filters_by_status(admin_client):
    busy, quiet = PollFactory(title="Busy?"), PollFactory(title="Quiet?")
    closed = PollFactory(title="Closed?")
    services.poll_close(poll=closed)
    vote(busy)
    vote(busy, 2)
    url = reverse("admin:polls_poll_changelist")
    response = admin_client.get(url, {"o": "-6"})  # column 6: total votes, descending
    listed = list(response.context["cl"].result_list)
    assert [poll.title for poll in listed][0] == "Busy?"
    assert listed[0].total_votes == 2
    open_titles = {
        p.title for p in admin_client.get(url, {"status": "open"}).context["cl"].result_list
    }
    assert open_titles == {busy.title, quiet.title}
    closed_list = admin_client.get(url, {"status": "closed"}).context["cl"].result_list
    assert [poll.title for poll in closed_list] == ["Closed?"]


def test_poll_search_matches_title_and_author_username(admin_client):
    alice = UserFactory(username="alice")
    PollFactory(title="Pizza toppings?", author=alice)
    PollFactory(title="Best editor?")
    url = reverse("admin:polls_poll_changelist")
    by_title = admin_client.get(url, {"q": "pizza"}).context["cl"].result_list
    by_author = admin_client.get(url, {"q": "alice"}).context["cl"].result_list
    assert [p.title for p in by_title] == [p.title for p in by_author] == ["Pizza toppings?"]


def test_close_now_closes_open_polls_and_says_which_were_already_closed(admin_client, admin_user):
    still_open, already_closed = PollFactory(), PollFactory()
    services.poll_close(poll=already_closed)
    response = run_action(admin_client, "close_now", [still_open, already_closed])
    assert page_messages(response) == ["Closed 1 poll.", "1 poll had already closed."]
    still_open.refresh_from_db()
    assert not still_open.is_open()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (
        admin_user,
        AuditEntry.Action.CLOSE,
        str(still_open.pk),
    )


def test_reopen_asks_for_the_new_closing_time_then_reopens(admin_client, poll):
    services.poll_close(poll=poll)
    page = run_action(admin_client, "reopen", [poll])
    assert page.templates[0].name == "admin/polls/poll/reschedule.html"
    assert poll.title in page.content.decode()
    closes_at = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = run_action(
        admin_client, "reopen", [poll], apply="yes", closes_at=closes_at.strftime("%Y-%m-%dT%H:%M")
    )
    assert page_messages(response) == ["Reopened 1 poll."]
    poll.refresh_from_db()
    assert poll.is_open()
    assert poll.closes_at == closes_at
    assert AuditEntry.objects.get().action == AuditEntry.Action.RESCHEDULE


def test_reopen_with_a_bad_time_shows_the_form_again_and_changes_nothing(admin_client, poll):
    services.poll_close(poll=poll)
    too_late = timezone.now() + timedelta(days=31)
    for bad in ["not a time", too_late.strftime("%Y-%m-%dT%H:%M")]:
        response = run_action(admin_client, "reopen", [poll], apply="yes", closes_at=bad)
        if response.templates[0].name == "admin/polls/poll/reschedule.html":
            assert response.context["form"].errors["closes_at"]
        else:
            assert page_messages(response) == [
                f"Not reopened: “{poll}”: The closing time must be at most 30 days from now."
            ]
    poll.refresh_from_db()
    assert not poll.is_open()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("closes_at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_reopen_with_a_time_out_of_range_is_refused_not_an_error(admin_client, poll, closes_at):
    services.poll_close(poll=poll)

    response = run_action(admin_client, "reopen", [poll], apply="yes", closes_at=closes_at)

    assert response.status_code == 200
    poll.refresh_from_db()
    assert not poll.is_open()


def test_changing_the_closing_time_to_the_last_day_there_is_is_refused(admin_client, poll):
    data = poll_change_data(poll)
    data.update({"closes_at_0": "9999-12-31", "closes_at_1": "23:59:59"})

    response = admin_client.post(reverse("admin:polls_poll_change", args=[poll.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["closes_at"] == [
        "The closing time must be at most 30 days from now."
    ]


def test_reopen_refuses_polls_that_are_open(admin_client, poll):
    response = run_action(admin_client, "reopen", [poll])
    assert page_messages(response) == [
        "None of the selected polls can be reopened: they are all open."
    ]


def test_extend_moves_the_closing_time_later_and_refuses_an_earlier_one(admin_client):
    poll = PollFactory(closes_at=timezone.now() + timedelta(days=2))
    earlier = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = run_action(admin_client, "extend", [poll], apply="yes", closes_at=earlier)
    assert page_messages(response) == [
        f"Not extended: “{poll}”: To extend a poll, choose a time later than its closing time."
    ]
    later = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    response = run_action(
        admin_client, "extend", [poll], apply="yes", closes_at=later.strftime("%Y-%m-%dT%H:%M")
    )
    assert page_messages(response) == ["Extended 1 poll."]
    poll.refresh_from_db()
    assert poll.closes_at == later


def test_extend_leaves_a_closed_poll_closed_and_says_why_the_service_refused(admin_client):
    """ "Extend only an open poll" is the service's rule (later_only); the admin reports it."""
    closed, still_open = PollFactory(), PollFactory()
    services.poll_close(poll=closed)
    later = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)

    response = run_action(
        admin_client,
        "extend",
        [closed, still_open],
        apply="yes",
        closes_at=later.strftime("%Y-%m-%dT%H:%M"),
    )

    assert sorted(page_messages(response)) == [
        "Extended 1 poll.",
        f"Not extended: “{closed}”: Only an open poll can be extended: this one is closed.",
    ]
    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert closed.closed_at is not None
    assert still_open.closes_at == later


def test_export_writes_each_options_results_as_csv(admin_client):
    poll = PollFactory(title="=HYPERLINK(1)", labels=["Yes", "No"])
    vote(poll, 1)
    vote(poll, 1)
    vote(poll, 2)
    response = run_action(admin_client, "export_results_csv", [poll])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["poll", "question"]
    assert [(row[1], row[4], row[5], row[6], row[7]) for row in rows[1:]] == [
        ("'=HYPERLINK(1)", "Yes", "2", "66.7", "3"),
        ("'=HYPERLINK(1)", "No", "1", "33.3", "3"),
    ]


# --- Ballots ----------------------------------------------------------------------------------


def test_ballots_cannot_be_added_or_edited(admin_client, poll):
    ballot = vote(poll)
    assert admin_client.get(reverse("admin:polls_ballot_add")).status_code == 403
    response = admin_client.post(reverse("admin:polls_ballot_change", args=[ballot.pk]), {})
    assert response.status_code == 403


def test_ballot_list_shows_a_public_ballots_choice_and_searches_by_voter(admin_client):
    poll = PollFactory(public_ballots=True)
    vote(poll, 2, voter=UserFactory(username="mallory"))
    vote(poll, 1)
    response = admin_client.get(reverse("admin:polls_ballot_changelist"), {"q": "mallory"})
    (ballot,) = response.context["cl"].result_list
    assert ballot.voter.username == "mallory"
    assert "Option 2" in response.content.decode()


def test_ballot_list_never_shows_a_secret_ballots_choice_next_to_its_voter(admin_client, poll):
    """Secret ballots are secret from staff too, superusers included."""
    ballot = vote(poll, 2, voter=UserFactory(username="mallory"))
    listed = admin_client.get(reverse("admin:polls_ballot_changelist"), {"q": "mallory"})
    shown = admin_client.get(reverse("admin:polls_ballot_change", args=[ballot.pk]))
    for page in (listed, shown):
        assert "mallory" in page.content.decode()
        assert "Option 2" not in page.content.decode()
        assert "secret ballot" in page.content.decode()


def test_the_ballot_removal_confirmation_says_the_votes_come_off_the_counts(admin_client, poll):
    ballots = [vote(poll, 1), vote(poll, 2)]
    one = admin_client.get(reverse("admin:polls_ballot_delete", args=[ballots[0].pk]))
    several = admin_client.post(
        reverse("admin:polls_ballot_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [ballot.pk for ballot in ballots]},
    )
    assert (
        "Removing a ballot takes its vote off the poll’s counts; this is recorded in the "
        "audit log." in one.content.decode()
    )
    assert (
        "Removing these ballots takes their votes off the polls’ counts; each removal is "
        "recorded in the audit log." in several.content.decode()
    )
    assert Ballot.objects.count() == 2


def test_removing_a_ballot_takes_its_vote_off_and_is_audited(admin_client, admin_user, poll):
    fraudulent = vote(poll, 1)
    vote(poll, 1)
    vote(poll, 2)
    response = admin_client.post(
        reverse("admin:polls_ballot_delete", args=[fraudulent.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert [option.votes for option in poll.options.all()] == [1, 1, 0]
    assert counters_match_ballots()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == (
        admin_user,
        AuditEntry.Action.REMOVE_BALLOT,
        str(fraudulent.pk),
    )
    assert "a secret ballot" in entry.details


def test_removing_ballots_in_bulk_keeps_counters_equal_to_ballots(admin_client, poll):
    ballots = [vote(poll, n % 3 + 1) for n in range(5)]
    response = admin_client.post(
        reverse("admin:polls_ballot_changelist"),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [b.pk for b in ballots[:3]],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert Ballot.objects.count() == 2
    assert counters_match_ballots()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REMOVE_BALLOT).count() == 3


def test_only_holders_of_delete_ballot_may_remove_a_ballot(poll, user):
    ballot = vote(poll)
    for refused in (user, UserFactory(is_staff=True), staff_with("polls.change_poll")):
        with pytest.raises(services.NotAllowed):
            services.ballot_remove(ballot=ballot, by=refused)
    assert Ballot.objects.filter(pk=ballot.pk).exists()
    assert counters_match_ballots()


# --- Users ------------------------------------------------------------------------------------


def test_user_list_shows_each_users_poll_and_ballot_counts(admin_client):
    author = UserFactory(username="author")
    poll = PollFactory(author=author)
    PollFactory(author=author)
    vote(poll, voter=author)
    response = admin_client.get(reverse("admin:polls_user_changelist"), {"q": "author"})
    (listed,) = response.context["cl"].result_list
    assert (listed.poll_count, listed.ballot_count) == (2, 1)


def test_deactivate_stops_a_user_logging_in_and_refuses_your_own_account(admin_client, admin_user):
    target = UserFactory()
    response = admin_client.post(
        reverse("admin:polls_user_changelist"),
        {"action": "deactivate", ACTION_CHECKBOX_NAME: [target.pk, admin_user.pk]},
        follow=True,
    )
    assert page_messages(response) == [
        "admin: You cannot deactivate your own account.",
        "Deactivated 1 user.",
    ]
    target.refresh_from_db()
    admin_user.refresh_from_db()
    assert not target.is_active
    assert admin_user.is_active
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id) == (AuditEntry.Action.DEACTIVATE, str(target.pk))


def test_adding_a_user_follows_the_sign_up_rules(admin_client):
    UserFactory(username="taken", email="taken@example.com")
    url = reverse("admin:polls_user_add")
    response = admin_client.post(
        url,
        {
            "username": "newcomer",
            "email": "TAKEN@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "An account with that email already exists." in str(
        response.context["adminform"].form.errors
    )
    assert not User.objects.filter(username="newcomer").exists()

    response = admin_client.post(
        url,
        {
            "username": "newcomer",
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.check_password(PASSWORD)
    assert AuditEntry.objects.get().action == AuditEntry.Action.ADD


# --- Audit log --------------------------------------------------------------------------------


@pytest.fixture
def audit_entry(admin_user, poll):
    return services.audit_record(actor=admin_user, action=AuditEntry.Action.CLOSE, obj=poll)


@pytest.fixture
def plain_staff_client(client):
    """Staff who may read the audit log (polls.view_auditentry) and do nothing else."""
    client.force_login(staff_with("polls.view_auditentry"))
    return client


def test_holders_of_view_auditentry_can_read_the_audit_log(plain_staff_client, audit_entry):
    response = plain_staff_client.get(reverse("admin:polls_auditentry_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [audit_entry]
    detail = reverse("admin:polls_auditentry_change", args=[audit_entry.pk])
    assert plain_staff_client.get(detail).status_code == 200


def test_the_audit_log_names_object_types_as_people_read_them(admin_client, audit_entry):
    """The model's verbose name ("poll"), not "polls.poll"; a model gone since keeps its raw
    name; the filter offers the same names and still filters."""
    gone = AuditEntry.objects.create(
        actor_username="old",
        action=AuditEntry.Action.DELETE,
        object_type="shop.widget",
        object_id="1",
        object_repr="Widget",
    )
    url = reverse("admin:polls_auditentry_changelist")
    response = admin_client.get(url)
    changelist = response.context["cl"]
    shown = {
        entry.pk: changelist.model_admin.object_type_display(entry)
        for entry in changelist.result_list
    }
    assert shown == {audit_entry.pk: "poll", gone.pk: "shop.widget"}
    assert '<td class="field-object_type_display">poll</td>' in response.content.decode()
    object_types = next(f for f in changelist.filter_specs if f.title == "object type")
    assert object_types.lookup_choices == [("polls.poll", "poll"), ("shop.widget", "shop.widget")]
    filtered = admin_client.get(url, {"object_type": "polls.poll"})
    assert list(filtered.context["cl"].result_list) == [audit_entry]


def test_staff_without_view_auditentry_cannot_read_the_audit_log(client, audit_entry):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:polls_auditentry_changelist")).status_code == 403
    detail = reverse("admin:polls_auditentry_change", args=[audit_entry.pk])
    assert client.get(detail).status_code == 403


@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_nobody_can_add_edit_or_delete_audit_entries(
    who, admin_client, plain_staff_client, audit_entry
):
    client = admin_client if who == "superuser" else plain_staff_client
    change = reverse("admin:polls_auditentry_change", args=[audit_entry.pk])
    assert client.get(reverse("admin:polls_auditentry_add")).status_code == 403
    client.post(change, {"details": "edited", "action": "delete"})
    assert (
        client.get(reverse("admin:polls_auditentry_delete", args=[audit_entry.pk])).status_code
        == 403
    )
    response = client.post(
        reverse("admin:polls_auditentry_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [audit_entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    audit_entry.refresh_from_db()
    assert (audit_entry.action, audit_entry.details) == (AuditEntry.Action.CLOSE, "")


def test_an_entry_still_names_its_actor_after_the_user_is_deleted(admin_user, poll):
    staff = UserFactory(is_staff=True, username="former-staff")
    entry = services.audit_record(actor=staff, action=AuditEntry.Action.CLOSE, obj=poll)
    staff.delete()
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_username) == (None, "former-staff")
    assert str(entry) == f"former-staff closed polls.poll {poll.title}"


def test_deleting_a_user_in_the_admin_takes_their_votes_off_the_counts(admin_client, poll):
    voter = UserFactory()
    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)

    response = admin_client.post(
        reverse("admin:polls_user_delete", args=[voter.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.ballot_count == 0
    assert list(poll.options.values_list("votes", flat=True)) == [0, 0, 0]


# --- Query counts -----------------------------------------------------------------------------


def make_rows(count):
    for _ in range(count):
        vote(PollFactory())


@pytest.mark.parametrize(
    ("url_name", "queries"),
    [
        # session, user, the count and the full count (each one row of PollCounter), the page
        ("admin:polls_poll_changelist", 5),
        # session, user, the count (the polls' ballot counts added up), the page, its choices
        ("admin:polls_ballot_changelist", 5),
        ("admin:polls_user_changelist", 6),
    ],
)
@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_does_not_grow_with_rows(
    admin_client, django_assert_num_queries, url_name, queries, rows
):
    make_rows(rows)
    url = reverse(url_name)
    admin_client.get(url)  # warm the session and content-type caches
    with django_assert_num_queries(queries):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) >= rows


# --- First superuser --------------------------------------------------------------------------


def test_createsuperuser_reads_its_account_from_the_environment(tmp_path):
    """`createsuperuser --noinput`, as on Heroku, in a fresh process and database."""
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SUPERUSER_USERNAME": "boss",
        "DJANGO_SUPERUSER_EMAIL": "boss@example.com",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    for command in (["migrate", "--no-input", "-v", "0"], ["createsuperuser", "--noinput"]):
        subprocess.run([*manage, *command], env=environment, check=True, capture_output=True)
    check = (
        "from polls.models import User; u = User.objects.get(username='boss'); "
        f"print(u.is_superuser, u.is_staff, u.email, u.check_password({PASSWORD!r}))"
    )
    result = subprocess.run(
        [*manage, "shell", "--verbosity", "0", "-c", check],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["True", "True", "boss@example.com", "True"]


# --- The services the admin added -------------------------------------------------------------


def test_poll_reword_can_swap_two_labels(poll):
    first, second, _ = poll.options.all()
    services.poll_reword(poll=poll, labels={first.pk: "Option 2", second.pk: "Option 1"})
    assert [option.label for option in poll.options.all()] == ["Option 2", "Option 1", "Option 3"]


def test_poll_reword_refuses_options_of_another_poll_and_blank_titles(poll):
    stranger = PollFactory().options.first()
    with pytest.raises(ValidationError) as refused:
        services.poll_reword(poll=poll, title="  ", labels={stranger.pk: "Mine now"})
    assert refused.value.message_dict == {
        "title": ["The question cannot be blank."],
        "options": ["That option is not part of this poll."],
    }
    assert stranger.label == Option.objects.get(pk=stranger.pk).label


def test_user_deactivate_lets_only_a_superuser_deactivate_a_superuser(admin_user):
    staff = staff_with("polls.change_user")
    with pytest.raises(services.NotAllowed, match="Only a superuser"):
        accounts.user_deactivate(user=admin_user, by=staff)
    with pytest.raises(services.NotAllowed, match="Only staff"):
        accounts.user_deactivate(user=staff, by=UserFactory())
    assert accounts.user_deactivate(user=staff, by=admin_user) is True
    assert accounts.user_deactivate(user=staff, by=admin_user) is False  # already inactive
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DEACTIVATE).count() == 1


def test_staff_cannot_grant_themselves_superuser_or_deactivate_anyone_from_the_user_form(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )
    boss = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    form = client.get(reverse("admin:polls_user_change", args=[staff.pk]))
    assert form.status_code == 200
    assert set(form.context["adminform"].readonly_fields) >= {
        "is_active",
        "is_staff",
        "is_superuser",
    }

    for user in (staff, boss):
        client.post(
            reverse("admin:polls_user_change", args=[user.pk]),
            {"username": user.username, "email": user.email, "is_active": "", "is_superuser": "on"},
        )

    staff.refresh_from_db()
    boss.refresh_from_db()
    assert (staff.is_superuser, staff.is_active) == (False, True)
    assert boss.is_active is True


# --- Least privilege: staff with exactly one permission ---------------------------------------


def password_form(password=PASSWORD + "-new"):
    return {"password1": password, "password2": password, "usable_password": "true"}


@pytest.fixture
def user_manager(client):
    """A client logged in as a member of staff whose only permission is "change user"."""
    manager = staff_with("polls.change_user")
    client.force_login(manager)
    client.manager = manager
    return client


@pytest.mark.parametrize(
    "target", ["superuser", "staff"], ids=["a superuser", "another member of staff"]
)
def test_staff_with_change_user_cannot_set_the_password_of(user_manager, target):
    victim = UserFactory(is_staff=True, is_superuser=target == "superuser")
    url = reverse("admin:auth_user_password_change", args=[victim.pk])
    assert user_manager.get(url).status_code == 403
    assert user_manager.post(url, password_form()).status_code == 403
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)


def test_staff_with_change_user_cannot_change_a_superusers_email_or_username(user_manager):
    boss = UserFactory(is_staff=True, is_superuser=True)
    response = user_manager.post(
        reverse("admin:polls_user_change", args=[boss.pk]),
        {"username": "pwned", "email": "attacker@example.com", "date_joined_0": "2020-01-01"},
    )
    assert response.status_code == 403
    boss.refresh_from_db()
    assert (boss.username, boss.email) != ("pwned", "attacker@example.com")
    # Looking stays possible: the form is read-only, without a link to the password form.
    page = user_manager.get(reverse("admin:polls_user_change", args=[boss.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]


def test_staff_with_change_user_sets_a_voters_password_which_revokes_their_tokens(user_manager):
    from rest_framework.authtoken.models import Token

    voter = UserFactory()
    Token.objects.create(user=voter)
    url = reverse("admin:auth_user_password_change", args=[voter.pk])
    response = user_manager.post(url, password_form("a-Fresh-password-31"))
    assert response.status_code == 302
    voter.refresh_from_db()
    assert voter.check_password("a-Fresh-password-31")
    assert not Token.objects.filter(user=voter).exists()
    assert AuditEntry.objects.get().action == AuditEntry.Action.CHANGE


def test_an_admin_password_change_that_cannot_be_audited_changes_nothing(user_manager):
    """The new password, the revoked tokens and the audit entry commit together."""
    voter = UserFactory()
    url = reverse("admin:auth_user_password_change", args=[voter.pk])
    with (
        mock.patch.object(services, "audit_record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        user_manager.post(url, password_form("a-Fresh-password-31"))
    voter.refresh_from_db()
    assert voter.check_password(PASSWORD)


def test_a_superuser_sets_a_staff_members_password(admin_client):
    staff = UserFactory(is_staff=True)
    url = reverse("admin:auth_user_password_change", args=[staff.pk])
    assert admin_client.post(url, password_form("a-Fresh-password-31")).status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("a-Fresh-password-31")


def test_staff_with_change_user_still_changes_their_own_account(user_manager):
    me = user_manager.manager
    response = user_manager.post(
        reverse("admin:auth_user_password_change", args=[me.pk]), password_form()
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.check_password(PASSWORD + "-new")


def test_staff_with_change_user_cannot_deactivate_another_member_of_staff(user_manager):
    colleague, voter = UserFactory(is_staff=True), UserFactory()
    response = user_manager.post(
        reverse("admin:polls_user_changelist"),
        {"action": "deactivate", ACTION_CHECKBOX_NAME: [colleague.pk, voter.pk]},
        follow=True,
    )
    assert page_messages(response) == [
        f"{colleague}: Only a superuser can deactivate a member of staff or a superuser.",
        "Deactivated 1 user.",
    ]
    colleague.refresh_from_db()
    voter.refresh_from_db()
    assert (colleague.is_active, voter.is_active) == (True, False)


def user_change_data(user, **changes):
    return {
        "username": user.username,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }


def permission(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_staff_cannot_grant_a_user_a_permission_they_do_not_hold(user_manager):
    voter = UserFactory()
    url = reverse("admin:polls_user_change", args=[voter.pk])
    response = user_manager.post(
        url, user_change_data(voter, user_permissions=[permission("polls.delete_poll").pk])
    )
    assert response.status_code == 200
    assert "You cannot grant a permission you do not hold" in str(
        response.context["adminform"].form.errors["user_permissions"]
    )
    assert not voter.user_permissions.exists()

    held = permission("polls.change_user")
    response = user_manager.post(url, user_change_data(voter, user_permissions=[held.pk]))
    assert response.status_code == 302
    assert list(voter.user_permissions.all()) == [held]


def test_staff_cannot_put_a_user_in_a_group_carrying_a_permission_they_do_not_hold(
    user_manager,
):
    moderators = Group.objects.create(name="moderators")
    moderators.permissions.add(permission("polls.delete_poll"))
    voter = UserFactory()
    response = user_manager.post(
        reverse("admin:polls_user_change", args=[voter.pk]),
        user_change_data(voter, groups=[moderators.pk]),
    )
    assert response.status_code == 200
    assert "Polls | poll | Can delete poll" in str(
        response.context["adminform"].form.errors["groups"]
    )
    assert not voter.groups.exists()


def test_staff_with_change_group_cannot_add_a_permission_they_do_not_hold_to_their_group(client):
    staff = staff_with()
    own_group = Group.objects.create(name="group admins")
    own_group.permissions.add(permission("auth.change_group"))
    staff.groups.add(own_group)
    client.force_login(staff)
    url = reverse("admin:auth_group_change", args=[own_group.pk])
    everything = list(Permission.objects.values_list("pk", flat=True))

    response = client.post(url, {"name": own_group.name, "permissions": everything})

    assert response.status_code == 200
    assert "You cannot grant a permission you do not hold" in str(
        response.context["adminform"].form.errors["permissions"]
    )
    assert list(own_group.permissions.all()) == [permission("auth.change_group")]
    assert not staff.is_superuser
    # What they hold themselves they may give: here, "view group".
    staff.user_permissions.add(permission("auth.view_group"))
    wanted = [permission("auth.change_group").pk, permission("auth.view_group").pk]
    assert client.post(url, {"name": own_group.name, "permissions": wanted}).status_code == 302
    assert own_group.permissions.count() == 2


def test_staff_without_permissions_cannot_open_or_act_on_polls(client, poll):
    client.force_login(staff_with())
    assert client.get(reverse("admin:polls_poll_change", args=[poll.pk])).status_code == 403
    assert run_action(client, "close_now", [poll]).status_code == 403
    poll.refresh_from_db()
    assert poll.closed_at is None


def test_staff_with_change_poll_closes_any_poll_audited_once(client, poll):
    staff = staff_with("polls.change_poll")
    client.force_login(staff)
    response = run_action(client, "close_now", [poll])
    assert page_messages(response) == ["Closed 1 poll."]
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (staff, AuditEntry.Action.CLOSE)


def test_staff_with_change_poll_cannot_delete_a_poll(client, poll):
    client.force_login(staff_with("polls.change_poll"))
    response = client.post(reverse("admin:polls_poll_delete", args=[poll.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Poll.objects.filter(pk=poll.pk).exists()


def test_rewording_in_the_admin_is_audited_once_by_the_service(admin_client, admin_user):
    poll = PollFactory(closes_at=(timezone.now() + timedelta(days=1)).replace(microsecond=0))
    # As a browser does: the form shows the closing time's initial value in hidden fields.
    unchanged = {f"initial-{name}": value for name, value in form_time(poll.closes_at).items()}
    response = admin_client.post(
        reverse("admin:polls_poll_change", args=[poll.pk]),
        {**poll_change_data(poll, title="Better question?"), **unchanged},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (admin_user, AuditEntry.Action.CHANGE)
    assert entry.details == f'Question: "{poll.title}" → "Better question?".'


def test_staff_with_only_delete_ballot_removes_a_ballot(client, poll):
    # And the permission to see results hidden from them: this poll's wait for a vote.
    client.force_login(staff_with("polls.delete_ballot", "polls.view_results"))
    ballot = vote(poll)
    response = client.post(reverse("admin:polls_ballot_delete", args=[ballot.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Ballot.objects.exists()
    assert AuditEntry.objects.get().action == AuditEntry.Action.REMOVE_BALLOT


def test_the_admin_neither_shows_nor_mints_api_tokens(admin_client):
    """A token is a password: even a superuser cannot read another user's or make one here."""
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=UserFactory())
    assert admin_client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert admin_client.get("/admin/authtoken/tokenproxy/add/").status_code == 404
