"""The admin's ballots of several choices: listed and shown whole, removed whole."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from polls import services
from polls.models import AuditEntry, Ballot, Option

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db


def several(**settings):
    return PollFactory(labels=["Alpha", "Bravo", "Charlie", "Delta"], max_choices=4, **settings)


def cast(poll, *labels, voter=None) -> Ballot:
    chosen = [poll.options.get(label=label).pk for label in labels]
    return services.vote_cast(poll=poll, voter=voter or UserFactory(), option_ids=chosen)


def counts(poll) -> list[int]:
    return list(Option.objects.filter(poll=poll).values_list("votes", flat=True))


def test_the_ballot_list_and_page_show_every_choice_in_the_authors_order(admin_client):
    poll = several(public_ballots=True)
    ballot = cast(poll, "Delta", "Alpha", "Charlie", voter=UserFactory(username="mallory"))

    listed = admin_client.get(reverse("admin:polls_ballot_changelist"), {"q": "mallory"})
    shown = admin_client.get(reverse("admin:polls_ballot_change", args=[ballot.pk]))

    assert "Alpha, Charlie, Delta" in listed.content.decode()
    assert ">Choices<" in listed.content.decode()
    assert "Alpha, Charlie, Delta" in shown.content.decode()


def test_removing_a_ballot_of_several_choices_takes_each_off(admin_client, admin_user):
    poll = several(public_ballots=True)
    fraudulent = cast(poll, "Alpha", "Bravo", "Delta")
    cast(poll, "Bravo")

    response = admin_client.post(
        reverse("admin:polls_ballot_delete", args=[fraudulent.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert counts(poll) == [0, 1, 0, 0]
    poll.refresh_from_db()
    assert poll.ballot_count == 1
    entry = AuditEntry.objects.get()
    assert entry.actor == admin_user
    assert '"Alpha", "Bravo", "Delta"' in entry.details


def test_removing_ballots_of_several_choices_in_bulk(admin_client):
    poll = several()
    ballots = [cast(poll, "Alpha", "Charlie"), cast(poll, "Charlie", "Delta"), cast(poll, "Bravo")]

    admin_client.post(
        reverse("admin:polls_ballot_changelist"),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [ballot.pk for ballot in ballots[:2]],
            "post": "yes",
        },
    )

    assert counts(poll) == [0, 1, 0, 0]
    poll.refresh_from_db()
    assert poll.ballot_count == Ballot.objects.count() == 1


@pytest.mark.parametrize("rows", [1, 30])
def test_the_ballot_list_query_count_does_not_grow_with_choices(
    admin_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        cast(several(), "Alpha", "Bravo", "Charlie")
    url = reverse("admin:polls_ballot_changelist")
    admin_client.get(url)  # warm the session and content-type caches

    # session, user, the count (the polls' ballot counts added up), the page, its choices
    with django_assert_num_queries(5):
        response = admin_client.get(url)

    assert len(response.context["cl"].result_list) == rows


def test_a_secret_ballots_choices_are_shown_nowhere_in_the_admin(admin_client):
    """Not in the list, on its page, nor on the removal confirmations of the ballot, its poll
    or its voter: secret ballots are secret from staff too."""
    poll = several()
    voter = UserFactory(username="mallory")
    ballot = cast(poll, "Delta", "Bravo", voter=voter)
    pages = [
        admin_client.get(reverse("admin:polls_ballot_changelist"), {"q": "mallory"}),
        admin_client.get(reverse("admin:polls_ballot_change", args=[ballot.pk])),
        admin_client.get(reverse("admin:polls_ballot_delete", args=[ballot.pk])),
        admin_client.post(
            reverse("admin:polls_ballot_changelist"),
            {"action": "delete_selected", ACTION_CHECKBOX_NAME: [ballot.pk]},
        ),
        admin_client.get(reverse("admin:polls_poll_delete", args=[poll.pk])),
        admin_client.get(reverse("admin:polls_user_delete", args=[voter.pk])),
    ]
    for page in pages:
        text = page.content.decode()
        assert page.status_code == 200
        assert "mallory" in text
        assert "on ballot" not in text  # no choice is listed under its ballot
    for page in pages[:4]:  # the poll's own page lists its options, which is no ballot
        assert "Delta" not in page.content.decode()
        assert "Bravo" not in page.content.decode()


def test_a_public_ballots_removal_confirmation_lists_its_choices(admin_client):
    poll = several(public_ballots=True)
    ballot = cast(poll, "Delta", voter=UserFactory(username="mallory"))
    page = admin_client.get(reverse("admin:polls_ballot_delete", args=[ballot.pk]))
    assert "Delta on ballot" in page.content.decode()
