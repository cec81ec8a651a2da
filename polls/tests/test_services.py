from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Ballot, Choice, Option, Poll, User

from .factories import PASSWORD, PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def create_errors(**overrides):
    arguments = {
        "author": UserFactory(),
        "title": "Lunch?",
        "option_labels": ["Pizza", "Sushi"],
    } | overrides
    with pytest.raises(ValidationError) as caught:
        services.poll_create(**arguments)
    return caught.value.message_dict


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


def test_poll_create_refuses_a_blank_title():
    assert create_errors(title="   ") == {"title": ["The question cannot be blank."]}


def test_poll_create_refuses_a_title_over_200_characters():
    assert "at most 200 characters" in create_errors(title="x" * 201)["title"][0]


def test_poll_create_refuses_fewer_than_two_options():
    errors = create_errors(option_labels=["Only"])
    assert errors == {"options": ["A poll needs at least 2 options."]}


def test_poll_create_refuses_more_than_twenty_options():
    errors = create_errors(option_labels=[f"Option {n}" for n in range(21)])
    assert errors == {"options": ["A poll can have at most 20 options (it has 21)."]}


def test_poll_create_refuses_blank_and_duplicate_labels_ignoring_case():
    errors = create_errors(option_labels=["Yes", " ", "YES "])
    assert errors == {
        "options": ["Option 2 cannot be blank.", 'Option 3 ("YES") is already in this poll.']
    }


def test_poll_create_refuses_labels_over_100_characters_and_non_text():
    errors = create_errors(option_labels=["a" * 101, 7])
    assert errors["options"][0].startswith("Option 1 must be at most 100 characters")
    assert errors["options"][1] == "Option 2 must be text."


@pytest.mark.parametrize(
    "labels",
    [
        ["I", "\u0130"],  # PostgreSQL's lower() calls them equal, Python's casefold() did not
        ["Yes", "\u03a5es"],  # a Greek capital upsilon
        ["Yes", "Ye\u200bs"],  # a zero-width space
        ["Yes", "Ye\u0301s"],  # a combining accent
    ],
)
def test_poll_create_refuses_labels_that_look_the_same(labels):
    errors = create_errors(option_labels=labels)

    assert errors == {"options": [f'Option 2 ("{labels[1]}") is already in this poll.']}


def test_poll_create_stores_each_options_label_key(user):
    poll = services.poll_create(author=user, title="Q", option_labels=["Yes", "No"])

    assert [(o.label, o.label_key) for o in poll.options.all()] == [("Yes", "yes"), ("No", "no")]


def test_poll_create_refuses_a_label_that_shows_nothing():
    errors = create_errors(option_labels=["\u200b\u200b", "Pizza", "Sushi"])

    assert errors == {"options": ["Option 1 cannot be blank."]}


def test_poll_create_counts_the_options_before_looking_at_any_label(monkeypatch):
    looked_at = []
    real_text_errors = services._text_errors
    monkeypatch.setattr(
        services,
        "_text_errors",
        lambda value, **kwargs: looked_at.append(value) or real_text_errors(value, **kwargs),
    )
    monkeypatch.setattr(services, "label_key", lambda label: looked_at.append(label))

    errors = create_errors(option_labels=["x"] * 600_000)

    assert errors == {"options": ["A poll can have at most 20 options (it has 600000)."]}
    assert looked_at == ["Lunch?"]  # the title only


def test_poll_create_reports_a_handful_of_label_problems_at_most():
    errors = create_errors(option_labels=["x" * 101] * 20)

    assert len(errors["options"]) == services.MAX_MESSAGES_PER_FIELD
    assert errors["options"][-1] == "And 16 more problems."


def test_poll_create_refuses_options_that_are_not_a_list():
    assert create_errors(option_labels="Yes,No") == {
        "options": ["Give the options as a list of labels."]
    }


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=-5), "The closing time must be at least 1 minute from now."),
        (timedelta(seconds=30), "The closing time must be at least 1 minute from now."),
        (timedelta(days=30, minutes=1), "The closing time must be at most 30 days from now."),
    ],
)
def test_poll_create_refuses_closing_times_out_of_range(offset, message):
    assert create_errors(closes_at=timezone.now() + offset) == {"closes_at": [message]}


def test_poll_create_refuses_a_naive_closing_time():
    naive = datetime.now() + timedelta(hours=2)  # noqa: DTZ005 (the point of the test)
    assert create_errors(closes_at=naive) == {
        "closes_at": ["The closing time must include a time zone."]
    }


def test_poll_create_reports_every_field_at_once_and_writes_nothing():
    errors = create_errors(title="", option_labels=["x"], closes_at=timezone.now())
    assert set(errors) == {"title", "options", "closes_at"}
    assert not Poll.objects.exists()


# --- vote_cast ------------------------------------------------------------------------------


def test_vote_cast_records_the_ballot_and_counts_it(poll, user):
    option = poll.options.last()

    ballot = services.vote_cast(poll=poll, voter=user, option_id=option.pk)

    assert ballot.voter == user
    assert [choice.option for choice in ballot.choices.all()] == [option]
    assert list(poll.options.values_list("votes", flat=True)) == [0, 0, 1]


def test_vote_cast_takes_a_fixed_number_of_queries(poll, user):
    option_id = poll.options.first().pk
    with CaptureQueriesContext(connection) as captured:
        services.vote_cast(poll=poll, voter=user, option_id=option_id)
    statements = [
        query["sql"].split()[0]
        for query in captured.captured_queries
        if "SAVEPOINT" not in query["sql"]
    ]
    # Read option and poll together, insert ballot and choice, raise the counter.
    assert statements == ["SELECT", "INSERT", "INSERT", "UPDATE"]


def test_second_vote_is_refused_and_changes_nothing(poll, user):
    first, second = poll.options.all()[:2]
    services.vote_cast(poll=poll, voter=user, option_id=first.pk)

    with pytest.raises(services.AlreadyVoted) as caught:
        services.vote_cast(poll=poll, voter=user, option_id=second.pk)

    assert caught.value.message == "You have already voted in this poll."
    assert Ballot.objects.count() == 1
    assert list(poll.options.values_list("votes", flat=True)) == [1, 0, 0]


def test_vote_on_a_poll_past_its_closing_time_is_refused(user):
    now = timezone.now()
    poll = PollFactory(created_at=now - timedelta(days=1), closes_at=now - timedelta(seconds=1))

    with pytest.raises(services.PollClosed) as caught:
        services.vote_cast(poll=poll, voter=user, option_id=poll.options.first().pk)

    assert caught.value.message == "This poll is closed."
    assert not Ballot.objects.exists()


def test_vote_on_a_poll_closed_early_is_refused_even_through_a_stale_instance(poll, user):
    stale = Poll.objects.get(pk=poll.pk)
    services.poll_close(poll=poll)

    with pytest.raises(services.PollClosed):
        services.vote_cast(poll=stale, voter=user, option_id=poll.options.first().pk)
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("option_id", ["other-poll", 999_999, "abc", None])
def test_vote_for_an_option_outside_the_poll_is_refused(poll, user, option_id):
    if option_id == "other-poll":
        option_id = PollFactory().options.first().pk

    with pytest.raises(services.OptionNotInPoll) as caught:
        services.vote_cast(poll=poll, voter=user, option_id=option_id)

    assert caught.value.message == "That option is not part of this poll."
    assert not Ballot.objects.exists()
    assert Option.objects.aggregate(total=Sum("votes"))["total"] == 0


def test_refusals_are_distinct_error_types_with_codes():
    refusals = [services.AlreadyVoted(), services.PollClosed(), services.OptionNotInPoll()]
    assert all(isinstance(refusal, services.VoteRefused) for refusal in refusals)
    assert len({refusal.code for refusal in refusals}) == 3


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


def test_poll_extend_only_moves_the_closing_time_later(poll):
    earlier = poll.closes_at - timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        services.poll_extend(poll=poll, closes_at=earlier)
    assert caught.value.message_dict == {
        "closes_at": ["To extend a poll, choose a time later than its closing time."]
    }
    later = poll.closes_at + timedelta(days=1)
    services.poll_extend(poll=poll, closes_at=later)
    assert Poll.objects.get(pk=poll.pk).closes_at == later


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


# --- poll_results -------------------------------------------------------------------------


def test_poll_results_give_counts_percentages_and_total(poll):
    voters = UserFactory.create_batch(3)
    first, second, _ = poll.options.all()
    for voter, option in zip(voters, [first, first, second], strict=True):
        services.vote_cast(poll=poll, voter=voter, option_id=option.pk)

    results = services.poll_results(poll=Poll.objects.with_results().get(pk=poll.pk))

    assert results.total_votes == 3
    assert [(r.label, r.votes, r.percent) for r in results.options] == [
        ("Option 1", 2, 66.7),
        ("Option 2", 1, 33.3),
        ("Option 3", 0, 0.0),
    ]


def test_poll_results_without_votes_are_all_zero(poll):
    results = services.poll_results(poll=poll)
    assert results.total_votes == 0
    assert {r.percent for r in results.options} == {0.0}


def test_poll_results_read_counters_and_never_count_ballots(poll):
    """The cost of reading results does not depend on how many ballots exist."""
    Option.objects.filter(poll=poll).update(votes=1_000_000)
    with CaptureQueriesContext(connection) as captured:
        results = services.poll_results(poll=Poll.objects.with_results().get(pk=poll.pk))
    assert results.total_votes == 3_000_000
    assert len(captured) == 2  # the poll with its total, then its options
    assert not any("polls_ballot" in query["sql"] for query in captured.captured_queries)


def test_counters_always_equal_ballots_after_a_mix_of_votes_and_refusals(poll):
    voters = UserFactory.create_batch(5)
    options = list(poll.options.all())
    for number, voter in enumerate(voters):
        services.vote_cast(poll=poll, voter=voter, option_id=options[number % 3].pk)
        with pytest.raises(services.AlreadyVoted):
            services.vote_cast(poll=poll, voter=voter, option_id=options[0].pk)

    counted = dict(poll.options.values_list("pk", "votes"))
    chosen = dict(
        Choice.objects.values("option").annotate(n=Count("id")).values_list("option", "n")
    )
    assert counted == {option.pk: chosen.get(option.pk, 0) for option in options}
    assert sum(counted.values()) == Ballot.objects.count() == 5


# --- user_create --------------------------------------------------------------------------


def test_user_create_signs_a_voter_up_with_a_hashed_password():
    user = services.user_create(username=" ada ", email="Ada@Example.COM", password=PASSWORD)
    assert user.username == "ada"
    assert user.email == "Ada@example.com"
    assert user.check_password(PASSWORD)
    assert PASSWORD not in user.password


def test_user_create_refuses_taken_names_and_emails_ignoring_case():
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="ADA", email="ADA@example.com", password=PASSWORD)
    assert caught.value.message_dict == {
        "username": ["That username is taken."],
        "email": ["An account with that email already exists."],
    }


def test_user_create_applies_djangos_password_validators():
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="bob", email="bob@example.com", password="123")
    assert (
        "This password is too short. It must contain at least 8 characters."
        in (caught.value.message_dict["password"])
    )
    assert not User.objects.exists()


def test_user_create_refuses_a_bad_email_and_a_bad_username():
    with pytest.raises(ValidationError) as caught:
        services.user_create(username="no spaces!", email="not-an-email", password=PASSWORD)
    assert set(caught.value.message_dict) == {"username", "email"}


# --- Who may do what: permissions, decided here for every face ------------------------------


@pytest.mark.parametrize(
    ("by", "target", "allowed"),
    [
        ("voter", "voter", False),
        ("staff without permissions", "voter", False),
        ("staff with change_user", "voter", True),
        ("staff with change_user", "staff", False),
        ("staff with change_user", "superuser", False),
        ("superuser", "staff", True),
        ("superuser", "superuser", True),
    ],
)
def test_user_may_manage_only_those_below_unless_a_superuser(by, target, allowed):
    people = {
        "voter": lambda: UserFactory(),
        "staff without permissions": lambda: staff_with(),
        "staff with change_user": lambda: staff_with("polls.change_user"),
        "staff": lambda: UserFactory(is_staff=True),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }
    assert services.user_may_manage(by=people[by](), user=people[target]()) is allowed


@pytest.mark.parametrize("who", ["voter", "staff", "superuser"])
def test_everyone_may_manage_their_own_account_but_not_once_inactive(who):
    me = UserFactory(is_staff=who != "voter", is_superuser=who == "superuser")
    assert services.user_may_manage(by=me, user=me) is True
    me.is_active = False
    assert services.user_may_manage(by=me, user=me) is False


def test_permissions_not_held_names_what_the_granter_lacks():
    from django.contrib.auth.models import Group, Permission

    wanted = Permission.objects.filter(
        content_type__app_label="polls", codename__in=["change_poll", "delete_poll"]
    )
    staff = staff_with("polls.change_poll")
    assert [p.codename for p in services.permissions_not_held(by=staff, permissions=wanted)] == [
        "delete_poll"
    ]
    through_a_group = Group.objects.create(name="deleters")
    through_a_group.permissions.add(wanted.get(codename="delete_poll"))
    staff.groups.add(through_a_group)
    staff = User.objects.get(pk=staff.pk)  # a fresh permission cache
    assert services.permissions_not_held(by=staff, permissions=wanted) == []
    superuser = UserFactory(is_superuser=True)
    assert services.permissions_not_held(by=superuser, permissions=Permission.objects.all()) == []


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


def test_user_password_changed_revokes_only_that_users_tokens(user, other_user):
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=user)
    kept = Token.objects.create(user=other_user)
    assert services.user_password_changed(user=user) == 1
    assert list(Token.objects.all()) == [kept]


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
    monkeypatch.setattr(services, "_clean_option_labels", lambda labels: (list(labels), []))

    with pytest.raises(ValidationError) as refused:
        services.poll_reword(poll=poll, labels={first.pk: "Same", second.pk: "same"})

    assert refused.value.message_dict == {"options": [services.DUPLICATE_LABEL]}
    assert list(poll.options.values_list("label", flat=True)) == [
        "Option 1",
        "Option 2",
        "Option 3",
    ]
