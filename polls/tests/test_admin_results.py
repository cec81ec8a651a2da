"""The admin's counts by the visibility rule, beyond what the per-mode test reads: sorting
by votes, exporting results and listing the ballots of a poll whose results are hidden are for
holders of polls.view_results only."""

import pytest
from django.urls import reverse

from polls import services
from polls.admin.polls import PollAdmin
from polls.models import ResultsVisibility

from .factories import PollFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

MODERATOR = ("polls.view_poll", "polls.change_poll")
# The votes column as ?o= counts it: the action checkbox comes first.
VOTES_COLUMN = 1 + PollAdmin.list_display.index("total_votes")


def changelist(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("admin:polls_poll_changelist"), params)
    assert response.status_code == 200
    return response


def actions(response) -> set[str]:
    return {name for name, _ in response.context["action_form"].fields["action"].choices}


def test_staff_without_the_permission_can_neither_sort_by_votes_nor_export(client):
    busy, quiet = PollFactory(results_visibility=ResultsVisibility.AUTHOR_ONLY), PollFactory()
    for _ in range(2):
        services.vote_cast(poll=busy, voter=UserFactory(), option_id=busy.options.first().pk)

    response = changelist(client, staff_with(*MODERATOR), o=f"-{VOTES_COLUMN}")

    assert "total_votes" not in response.context["cl"].sortable_by
    assert [poll.pk for poll in response.context["cl"].result_list] == [quiet.pk, busy.pk]
    assert "export_results_csv" not in actions(response)


def test_holders_of_the_permission_sort_by_votes_and_export(client):
    busy, quiet = PollFactory(results_visibility=ResultsVisibility.AUTHOR_ONLY), PollFactory()
    for _ in range(2):
        services.vote_cast(poll=busy, voter=UserFactory(), option_id=busy.options.first().pk)

    holder = staff_with(*MODERATOR, services.VIEW_RESULTS)
    response = changelist(client, holder, o=f"-{VOTES_COLUMN}")

    assert [poll.pk for poll in response.context["cl"].result_list] == [busy.pk, quiet.pk]
    assert "export_results_csv" in actions(response)
    exported = client.post(
        reverse("admin:polls_poll_changelist"),
        {"action": "export_results_csv", "_selected_action": [busy.pk]},
    )
    assert b",2,100.0,2" in exported.content


def test_removing_a_ballot_of_a_hidden_poll_takes_the_permission_to_see_its_results(client):
    poll = PollFactory(
        labels=["Marmalade", "Honey"], results_visibility="author_only", public_ballots=True
    )
    ballot = services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    page = reverse("admin:polls_ballot_delete", args=[ballot.pk])

    client.force_login(staff_with("polls.view_ballot", "polls.delete_ballot"))
    assert client.get(page).status_code == 302  # "does not exist": not among their ballots

    client.force_login(
        staff_with("polls.view_ballot", "polls.delete_ballot", services.VIEW_RESULTS)
    )
    response = client.get(page)
    assert response.status_code == 200
    assert "Marmalade" in response.content.decode()  # public ballots: choices are listed


@pytest.mark.parametrize("visibility", ["after_vote", "after_close", "author_only"])
def test_the_ballot_list_never_counts_a_hidden_polls_voters(client, visibility):
    hidden = PollFactory(title="Secret ballot", results_visibility=visibility)
    public = PollFactory(title="Open secret", results_visibility="always")
    own_hidden = PollFactory(title="Secret of my own", results_visibility=visibility)
    for poll in (hidden, public, own_hidden):
        for _ in range(3):
            services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)
    moderator = staff_with("polls.view_ballot", "polls.delete_ballot")
    own_hidden.author = moderator
    own_hidden.save(update_fields=["author"])
    client.force_login(moderator)
    ballots = reverse("admin:polls_ballot_changelist")

    searched = client.get(ballots, {"q": "secret"})

    listed = {ballot.poll_id for ballot in searched.context["cl"].result_list}
    assert listed == {public.pk, own_hidden.pk}
    assert searched.context["cl"].result_count == 6
    everything = client.get(ballots).context["cl"]
    assert {ballot.poll_id for ballot in everything.result_list} == {public.pk, own_hidden.pk}
    assert everything.result_count == 6

    client.force_login(staff_with("polls.view_ballot", services.VIEW_RESULTS))
    assert client.get(ballots, {"q": "secret"}).context["cl"].result_count == 9
