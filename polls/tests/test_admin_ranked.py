"""Ranked polls in the admin: the poll list and filter, the add and change forms through
poll_create and poll_edit, and a ranked ballot's choices in rank order where ballots are public."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Poll, VotingMethod
from polls.services import checks, editing

from .factories import PollFactory, UserFactory
from .test_admin import form_time, poll_change_data, settings_data

pytestmark = pytest.mark.django_db

POLLS = reverse("admin:polls_poll_changelist")
BALLOTS = reverse("admin:polls_ballot_changelist")
ADD = reverse("admin:polls_poll_add")
RANKED = VotingMethod.RANKED


def change_url(poll) -> str:
    return reverse("admin:polls_poll_change", args=[poll.pk])


def films(**settings) -> Poll:
    return PollFactory(
        labels=["Alien", "Brazil", "Heat"],
        closes_at=(timezone.now() + timedelta(days=1)).replace(microsecond=0),
        **settings,
    )


def rank(poll, *labels, voter=None):
    ids = {option.label: option.pk for option in poll.options.all()}
    return services.vote_cast(
        poll=poll, voter=voter or UserFactory(), ranking=[ids[label] for label in labels]
    )


def unchanged(poll, **changes) -> dict:
    """The change form as a browser posts it, an untouched closing time no change."""
    initial = {f"initial-{name}": value for name, value in form_time(poll.closes_at).items()}
    return poll_change_data(poll) | initial | changes


def form_errors(response) -> dict:
    assert response.status_code == 200
    return dict(response.context["adminform"].form.errors)


# --- The poll list -----------------------------------------------------------------------------


def test_the_poll_list_shows_the_voting_method_and_filters_by_it(admin_client):
    films(title="Chosen?")
    films(title="Ranked?", voting_method=RANKED, rank_all=True)

    everything = admin_client.get(POLLS)
    ranked = admin_client.get(POLLS, {"voting_method__exact": "ranked"})
    chosen = admin_client.get(POLLS, {"voting_method__exact": "choice"})

    html = everything.content.decode()
    assert "Ranked choice" in html
    assert "Choose options" in html
    assert "?voting_method__exact=ranked" in html  # the filter's link
    assert [str(poll) for poll in ranked.context["cl"].result_list] == ["Ranked?"]
    assert [str(poll) for poll in chosen.context["cl"].result_list] == ["Chosen?"]
    assert ranked.context["cl"].result_count == 1


# --- Adding and changing -----------------------------------------------------------------------


def test_the_forms_show_the_voting_method_and_rank_all(admin_client):
    for url in (ADD, change_url(films())):
        html = admin_client.get(url).content.decode()
        assert '<select name="voting_method"' in html, url
        assert 'name="rank_all"' in html, url


def test_adding_a_ranked_poll_that_asks_for_every_option(admin_client):
    response = admin_client.post(
        ADD,
        {
            "title": "Best film?",
            "options": "Alien\nBrazil\nHeat",
            **form_time(timezone.now() + timedelta(days=2)),
            **settings_data(),
            "voting_method": "ranked",
            "rank_all": "on",
        },
    )
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert (poll.voting_method, poll.rank_all, poll.min_choices, poll.max_choices) == (
        RANKED,
        True,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("settings", "errors"),
    [
        (
            {"voting_method": "ranked", "max_choices": "2"},
            {"max_choices": [checks.RANKED_TAKES_NO_LIMITS]},
        ),
        ({"rank_all": "on"}, {"rank_all": [checks.RANK_ALL_RANKED_ONLY]}),
        (
            {"voting_method": "borda"},
            {
                "voting_method": [
                    "Select a valid choice. borda is not one of the available choices."
                ]
            },
        ),
    ],
)
def test_bad_ranked_settings_on_the_add_form_are_errors(admin_client, settings, errors):
    data = {
        "title": "Best film?",
        "options": "Alien\nBrazil\nHeat",
        **form_time(timezone.now() + timedelta(days=2)),
        **settings_data(),
        **settings,
    }
    assert form_errors(admin_client.post(ADD, data)) == errors
    assert not Poll.objects.exists()


def test_a_poll_becomes_ranked_before_the_first_vote_through_poll_edit(admin_client, admin_user):
    poll = films(max_choices=3)
    data = unchanged(poll, voting_method="ranked", min_choices="1", max_choices="1")
    response = admin_client.post(change_url(poll), data)
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.voting_method, poll.min_choices, poll.max_choices) == (RANKED, 1, 1)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action) == (admin_user, AuditEntry.Action.CHANGE)
    assert entry.details == "Voting method: choice → ranked. Options per ballot: 1 to 3 → 1 to 1."


def test_after_the_first_vote_the_voting_method_is_refused_on_the_form(admin_client):
    poll = films(voting_method=RANKED)
    rank(poll, "Heat", "Alien")
    data = unchanged(poll, voting_method="choice", rank_all="on", description="Not saved")
    response = admin_client.post(change_url(poll), data)
    assert form_errors(response) == {
        "voting_method": [editing.CHOICE_LIMITS_FIXED],
        "rank_all": [editing.CHOICE_LIMITS_FIXED],
    }
    poll.refresh_from_db()
    assert (poll.voting_method, poll.rank_all, poll.description) == (RANKED, False, "")
    assert not AuditEntry.objects.exists()


def test_after_the_first_vote_a_ranked_polls_other_settings_still_change(admin_client):
    poll = films(voting_method=RANKED, rank_all=True)
    rank(poll, "Heat", "Alien", "Brazil")
    response = admin_client.post(change_url(poll), unchanged(poll, unlisted="on"))
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.unlisted, poll.voting_method, poll.rank_all) == (True, RANKED, True)


# --- Ballots -----------------------------------------------------------------------------------


def test_a_public_ranked_ballot_shows_its_choices_in_rank_order(admin_client):
    poll = films(voting_method=RANKED, public_ballots=True)
    ballot = rank(poll, "Heat", "Alien", voter=UserFactory(username="mallory"))

    listed = admin_client.get(BALLOTS, {"q": "mallory"}).content.decode()
    shown = admin_client.get(reverse("admin:polls_ballot_change", args=[ballot.pk]))

    assert "1. Heat, 2. Alien" in listed
    assert "1. Heat, 2. Alien" in shown.content.decode()


def test_a_secret_ranked_ballot_shows_no_choices(admin_client):
    poll = films(voting_method=RANKED)
    ballot = rank(poll, "Heat", "Alien", voter=UserFactory(username="mallory"))

    pages = [
        admin_client.get(BALLOTS, {"q": "mallory"}),
        admin_client.get(reverse("admin:polls_ballot_change", args=[ballot.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert "secret ballot" in html
        assert "Heat" not in html
        assert "Alien" not in html


@pytest.mark.parametrize("rows", [1, 30])
def test_the_ballot_list_of_ranked_ballots_reads_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        rank(films(voting_method=RANKED, public_ballots=True), "Brazil", "Heat", "Alien")
    admin_client.get(BALLOTS)  # warm the session and content-type caches

    # session, user, the count (the polls' ballot counts added up), the page, its choices
    with django_assert_num_queries(5):
        response = admin_client.get(BALLOTS)

    assert "1. Brazil, 2. Heat, 3. Alien" in response.content.decode()
