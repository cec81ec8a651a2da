"""The author's controls on the site (polls/views/managing.py): the manage page, editing by the
rule, extending, reopening, deleting; who may, and that each is audited."""

import re
from datetime import UTC, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Option, Poll
from polls.services import editing
from polls.services import polls as services_polls

from .factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def author(db):
    return UserFactory()


@pytest.fixture
def poll(author):
    return PollFactory(author=author, title="Lunch?", labels=["Pizza", "Sushi", "Salad"])


@pytest.fixture
def as_author(client, author):
    client.force_login(author)
    return client


def url(name, poll) -> str:
    return reverse(f"polls:{name}", args=[poll.public_id])


def vote(poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)


def edit_data(poll, **overrides) -> dict:
    """The edit form as the page sends it before the first vote, unchanged."""
    data = {
        "title": poll.title,
        "options": [option.label for option in poll.options.all()],
        "description": poll.description,
        "results_visibility": poll.results_visibility,
        "min_choices": str(poll.min_choices),
        "max_choices": str(poll.max_choices),
    }
    return data | overrides


def settings_only(poll, **overrides) -> dict:
    """The edit form as the page sends it once somebody has voted."""
    data = edit_data(poll, **overrides)
    for name in ("title", "options", "min_choices", "max_choices", "multiple"):
        if name not in overrides:
            data.pop(name, None)
    return data


# --- Who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["manage", "delete"])
def test_a_visitor_is_sent_to_log_in(client, poll, name):
    response = client.get(url(name, poll))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["edit", "extend", "reopen"])
def test_a_visitor_posting_is_sent_to_log_in_then_to_the_manage_page(client, poll, name):
    response = client.post(url(name, poll), {"description": "Mine"})
    assert response.url == f"{reverse('login')}?next={url('manage', poll)}"
    assert Poll.objects.get(pk=poll.pk).description == ""


@pytest.mark.parametrize("who", ["another user", "staff without the permission"])
@pytest.mark.parametrize("name", ["manage", "edit", "extend", "reopen", "delete"])
def test_anyone_else_gets_the_403_page_and_changes_nothing(client, poll, who, name):
    client.force_login(UserFactory(is_staff=who.startswith("staff")))
    if name == "manage" or name == "delete":
        response = client.get(url(name, poll))
    else:
        response = client.post(url(name, poll), edit_data(poll, title="Taken over"))
    assert response.status_code == 403
    assert "You can’t do that here" in response.content.decode()
    assert Poll.objects.get(pk=poll.pk).title == "Lunch?"
    assert not AuditEntry.objects.exists()


def test_an_unknown_poll_is_a_404(as_author):
    assert as_author.get("/polls/nosuchpoll/manage").status_code == 404


def test_staff_with_change_poll_manage_anyones_poll_and_are_told_it_is_audited(client, poll):
    staff = staff_with("polls.change_poll")
    client.force_login(staff)
    page = client.get(url("manage", poll))
    assert page.status_code == 200
    assert f"This is {poll.author.username}’s poll" in page.content.decode()

    response = client.post(url("edit", poll), edit_data(poll, description="Moderated"))

    assert response.url == url("manage", poll)
    assert Poll.objects.get(pk=poll.pk).description == "Moderated"
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (staff, "change")


# --- The page ----------------------------------------------------------------------------------


def test_before_the_first_vote_everything_is_on_the_form(as_author, poll):
    html = as_author.get(url("manage", poll)).content.decode()
    assert "Nobody has voted yet, so everything can change." in html
    assert 'name="title"' in html
    assert html.count('name="options"') == 3
    assert 'name="min_choices"' in html
    assert 'name="description"' in html
    assert url("delete", poll) in html
    assert "Close this poll now" in html
    assert 'action="' + url("extend", poll) in html


def test_after_a_vote_the_page_shows_only_what_may_change_and_says_why(as_author, poll):
    vote(poll)
    html = as_author.get(url("manage", poll)).content.decode()
    assert "Somebody has voted, so what a vote means can no longer change" in html
    assert 'name="title"' not in html
    assert 'name="options"' not in html
    assert 'name="min_choices"' not in html
    assert "Each ballot holds 1 option." in html
    for name in ("description", "results_visibility", "unlisted", "shuffle_options"):
        assert f'name="{name}"' in html
    assert 'name="allow_vote_change"' in html
    assert "only staff can delete this poll" in html
    assert url("delete", poll) not in html


def test_a_closed_poll_offers_to_reopen_it(as_author, poll):
    services.poll_close(poll=poll)
    html = as_author.get(url("manage", poll)).content.decode()
    assert 'action="' + url("reopen", poll) in html
    assert 'action="' + url("extend", poll) not in html
    assert "Close this poll now" not in html


def test_the_extend_form_starts_a_day_past_the_closing_time(as_author, author):
    poll = PollFactory(author=author, closes_at=timezone.now() + timedelta(days=2, hours=3))
    form = as_author.get(url("manage", poll)).context["closing_form"]
    # 51 hours from now, less the moments since: 51 whole hours, and a day more.
    assert (form["days"].value(), form["hours"].value()) == (3, 3)


def test_the_manage_page_reads_a_fixed_number_of_queries(
    as_author, author, django_assert_num_queries
):
    poll = PollFactory(author=author, labels=[f"Option {n}" for n in range(20)])
    # session, user, poll with author, its options, whether anyone voted
    with django_assert_num_queries(5):
        as_author.get(url("manage", poll))


# --- Editing -----------------------------------------------------------------------------------


def test_the_author_edits_every_setting_before_the_first_vote(as_author, poll):
    response = as_author.post(
        url("edit", poll),
        edit_data(
            poll,
            title="Dinner?",
            options=["Pizza", "Curry", "Salad", "Soup"],
            description="Friday night",
            results_visibility="always",
            multiple="on",
            min_choices="1",
            max_choices="",
            allow_vote_change="on",
            unlisted="on",
            shuffle_options="on",
        ),
    )
    assert response.url == url("manage", poll)
    assert flashes(response) == ["Your changes are saved."]
    poll = Poll.objects.get(pk=poll.pk)
    assert poll.title == "Dinner?"
    assert list(poll.options.values_list("label", flat=True)) == [
        "Pizza",
        "Curry",
        "Salad",
        "Soup",
    ]
    assert (poll.min_choices, poll.max_choices) == (1, 4)
    assert poll.description == "Friday night"
    assert (poll.results_visibility, poll.allow_vote_change, poll.unlisted) == (
        "always",
        True,
        True,
    )
    assert poll.shuffle_options
    assert AuditEntry.objects.filter(action="change").count() == 3


def test_saving_the_form_unchanged_says_nothing_changed(as_author, poll):
    response = as_author.post(url("edit", poll), edit_data(poll))
    assert flashes(response) == ["Nothing changed."]
    assert not AuditEntry.objects.exists()


def test_after_a_vote_the_settings_still_change(as_author, poll):
    vote(poll)
    response = as_author.post(
        url("edit", poll),
        settings_only(poll, description="Still editable", results_visibility="author_only"),
    )
    assert flashes(response) == ["Your changes are saved."]
    poll = Poll.objects.get(pk=poll.pk)
    assert (poll.description, poll.results_visibility) == ("Still editable", "author_only")


def test_a_vote_since_the_page_was_opened_refuses_a_new_question_next_to_it(as_author, poll):
    """The page showed the question (nobody had voted); a vote came in before the submit."""
    vote(poll)
    response = as_author.post(
        url("edit", poll), edit_data(poll, title="Dinner?", description="Also this")
    )
    assert response.status_code == 200
    assert response.context["edit_form"].errors == {"title": [editing.QUESTION_FIXED]}
    assert Poll.objects.get(pk=poll.pk).title == "Lunch?"
    assert Poll.objects.get(pk=poll.pk).description == ""
    html = response.content.decode()
    assert re.search(r'name="title"[^>]*aria-invalid="true"', html)


def test_a_refused_edit_shows_its_errors_next_to_their_fields(as_author, poll):
    response = as_author.post(
        url("edit", poll), edit_data(poll, options=["Same", "same"], description="\x07")
    )
    errors = response.context["edit_form"].errors
    assert errors["options"] == ['Option 2 ("same") is already in this poll.']
    assert errors["description"][0].startswith("The description contains a control character")
    html = response.content.decode()
    assert 'id="options-errors"' in html
    assert 'id="description-errors"' in html
    assert 'value="Same"' in html


def test_fewer_options_than_the_limit_is_an_error_under_the_limit(as_author, author):
    poll = PollFactory(author=author, labels=["A", "B", "C"], max_choices=3)
    response = as_author.post(
        url("edit", poll),
        edit_data(poll, options=["A", "B"], multiple="on", max_choices="3"),
    )
    assert response.context["edit_form"].errors == {
        "max_choices": ["A ballot cannot hold more options than the poll has (2)."]
    }


def test_every_option_stays_every_option_when_one_is_added(as_author, author):
    poll = PollFactory(author=author, labels=["A", "B", "C"], max_choices=3)
    form = as_author.get(url("manage", poll)).context["edit_form"]
    assert form["max_choices"].value() is None  # "all"
    as_author.post(
        url("edit", poll),
        edit_data(poll, options=["A", "B", "C", "D"], multiple="on", max_choices=""),
    )
    assert Poll.objects.get(pk=poll.pk).max_choices == 4


def test_add_option_without_javascript_on_the_edit_form_keeps_the_typing(as_author, poll):
    response = as_author.post(
        url("edit", poll), edit_data(poll, title="Typed", add_option="1", unlisted="on")
    )
    html = response.content.decode()
    assert html.count('name="options"') == 4
    assert 'value="Typed"' in html
    assert re.search(r'name="unlisted"[^>]*checked', html)
    assert Poll.objects.get(pk=poll.pk).title == "Lunch?"


# --- Closing, extending, reopening -------------------------------------------------------------


def test_close_now_from_the_manage_page_returns_to_it(as_author, poll):
    response = as_author.post(url("close", poll), {"next": url("manage", poll)})
    assert response.url == url("manage", poll)
    assert Poll.objects.get(pk=poll.pk).closed_at is not None


def test_extend_to_a_later_time(as_author, poll):
    response = as_author.post(url("extend", poll), {"days": "3", "hours": "0", "minutes": "0"})
    assert response.url == url("manage", poll)
    assert flashes(response) == ["“Lunch?” is extended."]
    assert Poll.objects.get(pk=poll.pk).closes_at > timezone.now() + timedelta(days=2, hours=23)
    assert AuditEntry.objects.get().action == "reschedule"


def test_extend_at_a_date_and_time_in_a_zone(as_author, poll):
    closes = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    as_author.post(
        url("extend", poll),
        {
            "closing": "at",
            "closes_on": closes.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
            "time_zone": "UTC",
        },
    )
    assert Poll.objects.get(pk=poll.pk).closes_at == closes


def test_extend_to_an_earlier_time_is_an_error_next_to_the_picker(as_author, poll):
    response = as_author.post(url("extend", poll), {"days": "0", "hours": "1", "minutes": "0"})
    assert response.status_code == 200
    assert response.context["closing_form"].errors == {"days": [services_polls.EXTEND_LATER]}
    assert not AuditEntry.objects.exists()


def test_extend_a_closed_poll_is_refused(as_author, poll):
    services.poll_close(poll=poll)
    response = as_author.post(url("extend", poll), {"days": "3", "hours": "0", "minutes": "0"})
    assert response.context["closing_form"].errors == {"days": [services_polls.CLOSED_NOT_EXTENDED]}


def test_reopen_a_closed_poll_with_a_new_closing_time(as_author, poll):
    vote(poll)
    services.poll_close(poll=poll)
    response = as_author.post(url("reopen", poll), {"days": "2", "hours": "0", "minutes": "0"})
    assert flashes(response) == ["“Lunch?” is reopened."]
    poll = Poll.objects.get(pk=poll.pk)
    assert poll.is_open()
    assert poll.ballot_count == 1
    assert AuditEntry.objects.get().action == "reschedule"


def test_reopen_an_open_poll_is_refused(as_author, poll):
    response = as_author.post(url("reopen", poll), {"days": "2", "hours": "0", "minutes": "0"})
    assert response.context["closing_form"].errors == {"days": [services_polls.REOPEN_OPEN]}


def test_a_bad_picker_value_is_an_error_on_the_manage_page(as_author, poll):
    response = as_author.post(url("extend", poll), {"days": "99", "hours": "0", "minutes": "0"})
    assert response.context["closing_form"].errors == {"days": ["Days must be at most 30."]}
    assert 'id="duration-errors"' in response.content.decode()


# --- Deleting ----------------------------------------------------------------------------------


def test_the_author_deletes_a_poll_nobody_voted_in_after_confirming(as_author, poll):
    confirm = as_author.get(url("delete", poll))
    assert "Yes, delete this poll" in confirm.content.decode()
    assert Poll.objects.filter(pk=poll.pk).exists()

    response = as_author.post(url("delete", poll))

    assert response.url == reverse("polls:mine")
    assert flashes(response) == ["“Lunch?” is deleted."]
    assert not Poll.objects.filter(pk=poll.pk).exists()
    assert AuditEntry.objects.get().action == "delete"


def test_the_author_cannot_delete_a_poll_with_votes(as_author, poll):
    vote(poll)
    assert as_author.get(url("delete", poll)).status_code == 403
    assert as_author.post(url("delete", poll)).status_code == 403
    assert Poll.objects.filter(pk=poll.pk).exists()


def test_staff_with_delete_poll_delete_a_poll_with_votes(client, poll):
    vote(poll)
    staff = staff_with("polls.delete_poll")
    client.force_login(staff)
    assert client.get(url("delete", poll)).status_code == 200
    client.post(url("delete", poll))
    assert not Poll.objects.filter(pk=poll.pk).exists()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (staff, "delete")


def test_a_vote_between_the_confirmation_and_the_delete_refuses_it(as_author, poll, monkeypatch):
    monkeypatch.setattr(services, "user_may_delete_poll", lambda **kwargs: True)
    vote(poll)
    response = as_author.post(url("delete", poll))
    assert flashes(response) == ["A poll that has votes can only be deleted by staff."]
    assert Poll.objects.filter(pk=poll.pk).exists()


# --- The poll page's tools ---------------------------------------------------------------------


def test_the_poll_page_links_its_author_to_the_manage_page(as_author, poll):
    html = as_author.get(poll.get_absolute_url()).content.decode()
    assert url("manage", poll) in html
    assert "Close this poll now" in html


def test_the_poll_page_links_staff_with_change_poll_to_the_manage_page(client, poll):
    client.force_login(staff_with("polls.change_poll"))
    assert url("manage", poll) in client.get(poll.get_absolute_url()).content.decode()


@pytest.mark.parametrize("staff", [False, True])
def test_the_poll_page_offers_no_tools_to_anyone_else(client, poll, staff):
    client.force_login(UserFactory(is_staff=staff))
    html = client.get(poll.get_absolute_url()).content.decode()
    assert url("manage", poll) not in html
    assert "Close this poll now" not in html


def test_the_options_kept_by_an_edit_keep_their_ids(as_author, poll):
    ids = dict(poll.options.values_list("label", "pk"))
    as_author.post(url("edit", poll), edit_data(poll, options=["Sushi", "Pizza"]))
    assert dict(Option.objects.filter(poll=poll).values_list("label", "pk")) == {
        "Sushi": ids["Sushi"],
        "Pizza": ids["Pizza"],
    }


@pytest.mark.parametrize("visibility", ["after_vote", "after_close", "author_only"])
def test_staff_without_view_results_see_no_count_on_the_manage_and_delete_pages(
    client, author, visibility
):
    """Managing a poll is polls.change_poll; seeing its hidden counts is polls.view_results."""
    poll = PollFactory(author=author, labels=["Pizza", "Sushi"], results_visibility=visibility)
    for _ in range(3):
        vote(poll)
    client.force_login(staff_with("polls.change_poll", "polls.delete_poll"))

    manage = client.get(url("manage", poll)).content.decode()
    delete = client.get(url("delete", poll)).content.decode()

    assert "3 votes" not in manage
    assert "3 votes" not in delete
    services.poll_close(poll=poll, by=author)
    closed = client.get(url("manage", poll)).content.decode()
    if visibility == "author_only":
        assert "3 votes" not in closed
    else:  # public once closed
        assert "3 votes" in closed


def test_the_author_sees_the_count_on_the_manage_page(as_author, poll):
    Poll.objects.filter(pk=poll.pk).update(results_visibility="author_only")
    vote(poll)
    assert "1 vote" in as_author.get(url("manage", poll)).content.decode()


def test_a_closing_date_holding_a_nul_character_is_an_error_not_a_crash(as_author, poll):
    response = as_author.post(
        url("extend", poll), {"closing": "at", "closes_on": "2030-07-01T12:00\x00"}
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
