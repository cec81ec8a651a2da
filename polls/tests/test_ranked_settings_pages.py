"""Choosing ranked choice on the create page and the manage page's edit form
(polls/settings_forms.py, templates/polls/_settings_fields.html), through Django's test client:
the choice limits do not apply to a ranked poll, and the method is fixed once anyone has voted."""

import re

import pytest
from django.urls import reverse

from polls import services
from polls.models import AuditEntry, Poll, VotingMethod
from polls.services import editing

from .factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("polls:create")
RANKED, CHOICE = VotingMethod.RANKED, VotingMethod.CHOICE


@pytest.fixture
def author(db):
    return UserFactory()


@pytest.fixture
def signed_in(client, author):
    client.force_login(author)
    return client


def create_data(**overrides) -> dict:
    data = {"title": "Best film?", "options": ["Alien", "Brazil", "Heat"]}
    data.update({"days": "1", "hours": "0", "minutes": "0"})
    return data | overrides


def method_of(poll) -> tuple:
    poll.refresh_from_db()
    return (poll.voting_method, poll.rank_all, poll.min_choices, poll.max_choices)


def checked(html: str, name: str, value: str) -> bool:
    radio = rf'<input type="radio" name="{name}"[^>]*value="{value}"[^>]*checked'
    return bool(re.search(radio, html))


# --- The create page ---------------------------------------------------------------------------


def test_the_create_page_offers_the_voting_method_with_choosing_options_first(signed_in):
    html = signed_in.get(CREATE).content.decode()
    assert "<legend>Voting method</legend>" in html
    assert '<label for="voting-method-choice">Choose options</label>' in html
    assert (
        '<label for="voting-method-ranked">Ranked choice: voters put the options in order</label>'
        in html
    )
    assert checked(html, "voting_method", "choice")
    assert not checked(html, "voting_method", "ranked")
    assert re.search(r'type="checkbox" name="rank_all" id="id_rank_all"(?![^>]*checked)', html)
    assert '<label for="id_rank_all">Voters must rank every option</label>' in html
    # What the script shows and hides by the method picked.
    assert "data-voting-method" in html
    assert re.search(r"data-ranked-only>\s*<input type=\"checkbox\" name=\"rank_all\"", html)
    assert re.search(r"data-chosen-only>\s*<input type=\"checkbox\" name=\"multiple\"", html)


@pytest.mark.parametrize(("rank_all", "expected"), [({}, False), ({"rank_all": "on"}, True)])
def test_a_ranked_poll_is_created_from_the_page(signed_in, author, rank_all, expected):
    response = signed_in.post(CREATE, create_data(voting_method="ranked", **rank_all))
    poll = Poll.objects.get()
    assert response.url == poll.get_absolute_url()
    assert method_of(poll) == (RANKED, expected, 1, 1)
    assert poll.author == author


@pytest.mark.parametrize(
    "limits",
    [
        {"multiple": "on", "min_choices": "2", "max_choices": "3"},
        {"multiple": "on", "min_choices": "9", "max_choices": "1"},
        {"multiple": "on", "min_choices": "abc", "max_choices": "-4"},
        {"min_choices": "2", "max_choices": ""},
    ],
)
def test_the_choice_limits_are_ignored_for_a_ranked_poll(signed_in, limits):
    """With JavaScript off the limits stay on the page; they do not apply to a ranked poll."""
    response = signed_in.post(CREATE, create_data(voting_method="ranked", **limits))
    assert response.status_code == 302
    assert method_of(Poll.objects.get()) == (RANKED, False, 1, 1)


def test_rank_every_option_is_ignored_when_voters_choose(signed_in):
    response = signed_in.post(
        CREATE, create_data(voting_method="choice", rank_all="on", multiple="on")
    )
    assert response.status_code == 302
    assert method_of(Poll.objects.get()) == (CHOICE, False, 1, 3)


def test_without_a_voting_method_sent_voters_choose(signed_in):
    signed_in.post(CREATE, create_data())
    assert method_of(Poll.objects.get()) == (CHOICE, False, 1, 1)


@pytest.mark.parametrize("value", ["borda", "RANKED", "ranked\x00"])
def test_an_unknown_voting_method_is_an_error_under_its_field(signed_in, value):
    response = signed_in.post(CREATE, create_data(voting_method=value))
    assert response.status_code == 200
    assert not Poll.objects.exists()
    assert dict(response.context["form"].errors) == {
        "voting_method": ["Choose a voting method from the list."]
    }
    html = response.content.decode()
    assert re.search(
        r'<ul class="field-errors" id="voting-method-errors"><li data-error-for="voting_method">'
        r"Choose a voting method from the list.</li></ul>",
        html,
    )
    assert '<fieldset aria-describedby="voting-method-errors" data-voting-method>' in html


def test_other_errors_keep_ranked_choice_and_rank_all_picked(signed_in):
    response = signed_in.post(CREATE, create_data(title="", voting_method="ranked", rank_all="on"))
    assert list(response.context["form"].errors) == ["title"]
    html = response.content.decode()
    assert checked(html, "voting_method", "ranked")
    assert not checked(html, "voting_method", "choice")
    assert re.search(r'name="rank_all" id="id_rank_all"[^>]*checked', html)


def test_add_option_without_javascript_keeps_ranked_choice(signed_in):
    response = signed_in.post(
        CREATE, create_data(add_option="1", voting_method="ranked", rank_all="on")
    )
    html = response.content.decode()
    assert html.count('name="options"') == 4
    assert checked(html, "voting_method", "ranked")
    assert re.search(r'name="rank_all" id="id_rank_all"[^>]*checked', html)
    assert not Poll.objects.exists()


# --- The manage page ---------------------------------------------------------------------------


def manage(poll) -> str:
    return reverse("polls:manage", args=[poll.public_id])


def edit(poll) -> str:
    return reverse("polls:edit", args=[poll.public_id])


def edit_data(poll, **overrides) -> dict:
    """The edit form as the page sends it before the first vote, unchanged."""
    data = {
        "title": poll.title,
        "options": [option.label for option in poll.options.all()],
        "description": poll.description,
        "results_visibility": poll.results_visibility,
        "voting_method": poll.voting_method,
        "min_choices": str(poll.min_choices),
        "max_choices": "",
    }
    if poll.rank_all:
        data["rank_all"] = "on"
    if poll.max_choices > 1:
        data["multiple"] = "on"
    return data | overrides


def settings_only(poll, **overrides) -> dict:
    """The edit form as the page sends it once somebody has voted: no question, options or
    voting fields."""
    data = edit_data(poll) | overrides
    for name in ("title", "options", "voting_method", "rank_all", "multiple"):
        data.pop(name, None)
    del data["min_choices"], data["max_choices"]
    return data | overrides


def rank(poll, *labels):
    ids = {option.label: option.pk for option in poll.options.all()}
    return services.vote_cast(poll=poll, voter=UserFactory(), ranking=[ids[x] for x in labels])


@pytest.fixture
def ranked(author):
    return PollFactory(
        author=author, title="Best film?", labels=["Alien", "Brazil", "Heat"], voting_method=RANKED
    )


def test_the_manage_page_offers_the_method_the_poll_has(signed_in, ranked):
    html = signed_in.get(manage(ranked)).content.decode()
    assert checked(html, "voting_method", "ranked")
    assert not checked(html, "voting_method", "choice")
    assert re.search(r'name="rank_all" id="id_rank_all"(?![^>]*checked)', html)


def test_the_manage_page_of_a_ranked_poll_reads_a_fixed_number_of_queries(
    signed_in, author, django_assert_num_queries
):
    poll = PollFactory(author=author, voting_method=RANKED, labels=[f"Film {n}" for n in range(20)])
    # session, user, poll with author, its options, whether anyone voted
    with django_assert_num_queries(5):
        signed_in.get(manage(poll))


def test_before_the_first_vote_a_poll_becomes_ranked_and_its_limits_go(signed_in, author):
    poll = PollFactory(author=author, labels=["Alien", "Brazil", "Heat"], max_choices=3)
    response = signed_in.post(
        edit(poll), edit_data(poll, voting_method="ranked", rank_all="on", min_choices="2")
    )
    assert response.url == manage(poll)
    assert method_of(poll) == (RANKED, True, 1, 1)
    details = AuditEntry.objects.get().details
    assert "Voting method: choice → ranked." in details
    assert "Every option must be ranked: no → yes." in details
    assert "Options per ballot: 1 to 3 → 1 to 1." in details


def test_before_the_first_vote_a_ranked_poll_goes_back_to_choosing(signed_in, author):
    poll = PollFactory(author=author, labels=["A", "B", "C"], voting_method=RANKED, rank_all=True)
    data = edit_data(poll, voting_method="choice", multiple="on", min_choices="1", max_choices="2")
    del data["rank_all"]
    response = signed_in.post(edit(poll), data)
    assert response.url == manage(poll)
    assert method_of(poll) == (CHOICE, False, 1, 2)


def test_rank_all_is_switched_on_a_ranked_poll_alone(signed_in, ranked):
    signed_in.post(edit(ranked), edit_data(ranked, rank_all="on"))
    assert method_of(ranked) == (RANKED, True, 1, 1)
    assert AuditEntry.objects.get().details == "Every option must be ranked: no → yes."


def test_an_unchanged_ranked_poll_is_nothing_changed(signed_in, ranked):
    revision = Poll.objects.get(pk=ranked.pk).revision
    response = signed_in.post(edit(ranked), edit_data(ranked, multiple="on", max_choices="2"))
    assert response.url == manage(ranked)
    assert Poll.objects.get(pk=ranked.pk).revision == revision
    assert not AuditEntry.objects.exists()


def test_an_unknown_voting_method_on_the_edit_form_is_an_error_under_its_field(signed_in, ranked):
    response = signed_in.post(edit(ranked), edit_data(ranked, voting_method="borda"))
    assert response.status_code == 200
    assert dict(response.context["edit_form"].errors) == {
        "voting_method": ["Choose a voting method from the list."]
    }
    assert 'id="voting-method-errors"' in response.content.decode()
    assert method_of(ranked) == (RANKED, False, 1, 1)


def test_after_the_first_vote_the_method_is_shown_as_fixed(signed_in, ranked):
    Poll.objects.filter(pk=ranked.pk).update(rank_all=True)
    ranked.refresh_from_db()
    rank(ranked, "Heat", "Alien", "Brazil")
    html = signed_in.get(manage(ranked)).content.decode()
    assert "Ranked choice: voters rank every option." in html
    assert "the voting method and how many options a ballot holds" in html
    assert 'name="voting_method"' not in html
    assert 'name="rank_all"' not in html
    assert 'name="multiple"' not in html


def test_after_the_first_vote_a_choice_poll_says_how_many_options_a_ballot_holds(signed_in, author):
    poll = PollFactory(author=author, max_choices=2)
    services.vote_cast(poll=poll, voter=UserFactory(), option_ids=[poll.options.first().pk])
    html = signed_in.get(manage(poll)).content.decode()
    assert "Each ballot holds 1 to 2 options." in html
    assert 'name="voting_method"' not in html


def test_after_the_first_vote_the_other_settings_still_change(signed_in, ranked):
    rank(ranked, "Heat")
    response = signed_in.post(edit(ranked), settings_only(ranked, description="Vote by Friday."))
    assert response.url == manage(ranked)
    ranked.refresh_from_db()
    assert ranked.description == "Vote by Friday."
    assert method_of(ranked) == (RANKED, False, 1, 1)


def test_a_page_opened_before_the_first_vote_cannot_change_the_method_after_it(signed_in, ranked):
    """The page still showed the voting fields: poll_edit refuses the change under its field."""
    data = edit_data(ranked, voting_method="choice", description="Not saved")
    rank(ranked, "Heat")
    response = signed_in.post(edit(ranked), data)
    assert response.status_code == 200
    errors = response.context["edit_form"].errors
    assert errors["voting_method"] == [editing.CHOICE_LIMITS_FIXED]
    html = response.content.decode()
    assert re.search(r'<li data-error-for="voting_method">Somebody has voted', html)
    ranked.refresh_from_db()
    assert (ranked.voting_method, ranked.description) == (RANKED, "")
