"""polls/services/visibility.py, the one rule of who sees a poll's results, and what follows
from it in results.py (hidden counts, the ETag) and notifications.py (the close email). Each
read path is tried in every mode in polls/tests/test_results_visibility.py."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core import mail
from django.utils import timezone

from polls import services, tasks
from polls.models import Poll, ResultsVisibility
from polls.services import notifications

from ..factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

ALWAYS, AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY = (
    ResultsVisibility.ALWAYS,
    ResultsVisibility.AFTER_VOTE,
    ResultsVisibility.AFTER_CLOSE,
    ResultsVisibility.AUTHOR_ONLY,
)


def until(poll, viewer, *, voted=False, now=None):
    return services.results_hidden_until(poll=poll, viewer=viewer, voted=voted, now=now)


# --- The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "voted", "closed", "expected"),
    [
        (ALWAYS, False, False, None),
        (AFTER_VOTE, False, False, services.UNTIL_VOTE),
        (AFTER_VOTE, True, False, None),
        (AFTER_VOTE, False, True, None),
        (AFTER_CLOSE, False, False, services.UNTIL_CLOSE),
        (AFTER_CLOSE, True, False, services.UNTIL_CLOSE),
        (AFTER_CLOSE, False, True, None),
        (AUTHOR_ONLY, True, False, services.NEVER),
        (AUTHOR_ONLY, True, True, services.NEVER),
    ],
)
def test_a_voter_waits_for_what_the_setting_says(mode, voted, closed, expected):
    poll = PollFactory(results_visibility=mode)
    now = poll.closes_at + timedelta(seconds=1) if closed else None
    assert until(poll, UserFactory(), voted=voted, now=now) == expected


@pytest.mark.parametrize("mode", ResultsVisibility.values)
def test_the_author_and_holders_of_the_permission_always_see_results(mode):
    poll = PollFactory(results_visibility=mode)
    holder = staff_with(services.VIEW_RESULTS)
    superuser = UserFactory(is_superuser=True)

    for viewer in (poll.author, holder, superuser):
        assert services.results_visible(poll=poll, viewer=viewer, voted=False)


@pytest.mark.parametrize("mode", [AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY])
def test_staff_without_the_permission_are_anyone(mode):
    poll = PollFactory(results_visibility=mode)
    staff = staff_with("polls.change_poll", "polls.delete_poll", is_superuser=False)
    assert until(poll, staff) == until(poll, UserFactory()) is not None


def test_the_closing_time_closes_a_poll_for_the_rule_before_the_close_is_recorded():
    poll = PollFactory(results_visibility=AFTER_CLOSE)
    assert until(poll, None, now=poll.closes_at - timedelta(seconds=1)) == services.UNTIL_CLOSE
    assert until(poll, None, now=poll.closes_at) is None


def test_nobody_in_particular_sees_only_public_results():
    assert services.results_public(poll=PollFactory(results_visibility=ALWAYS))
    assert not services.results_public(poll=PollFactory(results_visibility=AFTER_VOTE))
    closed = PollFactory(results_visibility=AFTER_VOTE)
    services.poll_close(poll=closed)
    assert services.results_public(poll=closed)


def test_the_rule_as_a_query_agrees_with_the_rule_for_every_setting_open_or_closed():
    """PUBLIC_BALLOT_COUNT (the ordering by votes, the admin's ballot list) states the rule in
    SQL; for every setting, open or closed (the close recorded), it must answer as the rule."""
    polls = []
    for mode in (ALWAYS, AFTER_VOTE, AFTER_CLOSE, AUTHOR_ONLY):
        polls.append(PollFactory(results_visibility=mode))
        closed = PollFactory(results_visibility=mode)
        services.poll_close(poll=closed)
        polls.append(closed)
    by_query = set(
        services.polls_with_results_shown(
            polls=Poll.objects.all(), viewer=AnonymousUser()
        ).values_list("pk", flat=True)
    )
    by_rule = {poll.pk for poll in Poll.objects.all() if services.results_public(poll=poll)}
    assert by_query == by_rule == {polls[0].pk, polls[1].pk, polls[3].pk, polls[5].pk}


def test_an_anonymous_viewer_who_claims_a_vote_is_only_a_voter():
    poll = PollFactory(results_visibility=AUTHOR_ONLY)
    assert until(poll, AnonymousUser(), voted=True) == services.NEVER


@pytest.mark.parametrize(
    ("mode", "viewer"),
    [(ALWAYS, "someone"), (AFTER_VOTE, "author"), (AUTHOR_ONLY, "anonymous")],
)
def test_the_permission_is_read_only_when_the_setting_hides_the_results(
    mode, viewer, django_assert_num_queries
):
    poll = PollFactory(results_visibility=mode)
    viewers = {"someone": UserFactory(), "author": poll.author, "anonymous": AnonymousUser()}
    with django_assert_num_queries(0):
        until(poll, viewers[viewer])


# --- Hidden results ----------------------------------------------------------------------------


def test_hidden_results_keep_only_ids_and_labels(poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    results = services.poll_results(poll=Poll.objects.with_results().get(pk=poll.pk), hidden=True)

    assert results.total_votes is None
    assert [(o.id, o.label, o.votes, o.percent) for o in results.options] == [
        (option.pk, option.label, None, None) for option in poll.options.all()
    ]


# --- The ETag ------------------------------------------------------------------------------


def etag(poll, viewer, now):
    version = services.poll_version(public_id=poll.public_id, viewer=viewer)
    return services.poll_etag(version=version, viewer=viewer, now=now)


def test_the_version_read_for_a_304_gives_the_etag_of_the_answer():
    """poll_version (the 304 path, one query) and PollVersion.of (the poll read for a 200, with
    the viewer's ballot) agree for every kind of viewer."""
    poll = PollFactory(results_visibility=AFTER_VOTE)
    voter, holder = UserFactory(), staff_with(services.VIEW_RESULTS)
    services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)
    now = timezone.now()
    for viewer in (AnonymousUser(), UserFactory(), voter, poll.author, holder):
        read = Poll.objects.with_results().with_choice_of(viewer).get(pk=poll.pk)
        answered = services.poll_etag(version=services.PollVersion.of(read), viewer=viewer, now=now)
        assert etag(poll, viewer, now) == answered


def test_the_etag_changes_with_the_setting_and_with_the_permission_when_it_matters():
    poll = PollFactory(results_visibility=AFTER_CLOSE)
    viewer = UserFactory()
    now = timezone.now()
    first = etag(poll, viewer, now)

    Poll.objects.filter(pk=poll.pk).update(results_visibility=AUTHOR_ONLY)
    second = etag(poll, viewer, now)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="polls", codename="view_results")
    )
    viewer = type(viewer).objects.get(pk=viewer.pk)  # permissions are cached per instance
    third = etag(poll, viewer, now)

    assert len({first, second, third}) == 3


def test_the_etag_is_the_same_for_a_permission_that_changes_nothing():
    poll = PollFactory(results_visibility=ALWAYS)
    plain, holder = UserFactory(), staff_with(services.VIEW_RESULTS)
    now = timezone.now()
    before = etag(poll, plain, now)
    plain.user_permissions.set(holder.user_permissions.all())
    plain = type(plain).objects.get(pk=plain.pk)
    assert etag(poll, plain, now) == before


# --- The close email ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ResultsVisibility.values)
def test_the_close_email_goes_to_the_author_alone_with_the_counts(
    mode, django_capture_on_commit_callbacks
):
    """Voters, holders of polls.view_results and staff are around; only the author is
    mailed, and always with the counts."""
    poll = PollFactory(results_visibility=mode, labels=["Yes", "No"])
    for voter in (UserFactory(), staff_with(services.VIEW_RESULTS), staff_with()):
        services.vote_cast(poll=poll, voter=voter, option_id=poll.options.first().pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.poll_close(poll=poll, by=poll.author)
    tasks.notify_poll_closed_task(poll.pk)

    (email,) = mail.outbox
    assert email.to == [poll.author.email]
    assert "Total votes: 3" in email.body
    assert "- Yes: 3 (100%)" in email.body


def test_a_close_email_to_someone_the_rule_hides_results_from_holds_no_count():
    poll = PollFactory(results_visibility=AUTHOR_ONLY, labels=["Yes", "No"])
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    services.poll_close(poll=poll)
    poll = Poll.objects.with_results().get(pk=poll.pk)

    hidden = notifications.outcome_email(poll, recipient=UserFactory())
    shown = notifications.outcome_email(poll, recipient=staff_with(services.VIEW_RESULTS))

    html = hidden.alternatives[0][0]
    for text in (hidden.body, html):
        assert "Its results are not shown to you." in text
        assert "Total votes" not in text
        assert "winner" not in text
    assert "Total votes: 1" in shown.body
