"""The poll settings in the API: POST /api/polls/ takes them, PATCH changes any field by
services.poll_edit's rule (docs/poll-settings.md), the poll shows them; and the schema."""

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from django.utils import timezone

from polls import services
from polls.models import AuditEntry, Option, Poll
from polls.services import editing
from polls.tests.factories import PollFactory, UserFactory

LIST = "/api/polls/"


def detail(poll) -> str:
    return f"/api/polls/{poll.public_id}/"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def vote(poll):
    services.vote_cast(poll=poll, voter=UserFactory(), option_id=poll.options.first().pk)


def create(client, **fields):
    return client.post(
        LIST, {"title": "Colour?", "options": ["Red", "Green", "Blue"]} | fields, format="json"
    )


# --- Creating ----------------------------------------------------------------------------------


def test_a_poll_is_created_with_every_setting_and_shows_them(authed):
    response = create(
        authed,
        description="Pick the ones you like.\nAny number.",
        results_visibility="after_close",
        min_choices=1,
        max_choices=3,
        allow_vote_change=True,
        unlisted=True,
        shuffle_options=True,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["description"] == "Pick the ones you like.\nAny number."
    assert (body["results_visibility"], body["unlisted"], body["shuffle_options"]) == (
        "after_close",
        True,
        True,
    )
    poll = Poll.objects.get(public_id=body["id"])
    assert (poll.min_choices, poll.max_choices, poll.allow_vote_change) == (1, 3, True)


def test_without_settings_a_poll_gets_the_defaults(authed):
    body = create(authed).json()
    poll = Poll.objects.get(public_id=body["id"])
    assert (poll.description, poll.results_visibility) == ("", "after_vote")
    assert (poll.min_choices, poll.max_choices) == (1, 1)
    assert (poll.allow_vote_change, poll.unlisted, poll.shuffle_options) == (False,) * 3


def test_without_max_choices_a_ballot_holds_exactly_min_choices(authed):
    body = create(authed, min_choices=2).json()
    poll = Poll.objects.get(public_id=body["id"])
    assert (poll.min_choices, poll.max_choices) == (2, 2)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"results_visibility": "everyone"},
            {"results_visibility": ['"everyone" is not a valid choice.']},
        ),
        ({"min_choices": 0}, {"min_choices": ["Ensure this value is greater than or equal to 1."]}),
        (
            {"max_choices": 4},
            {"max_choices": ["A ballot cannot hold more options than the poll has (3)."]},
        ),
        (
            {"min_choices": 3, "max_choices": 2},
            {
                "max_choices": [
                    "The most options a ballot holds (2) cannot be fewer than the fewest (3)."
                ]
            },
        ),
        ({"min_choices": "2"}, {"min_choices": ["A valid integer is required."]}),
        ({"unlisted": "true"}, {"unlisted": ["Must be a valid boolean."]}),
        ({"shuffle_options": 1}, {"shuffle_options": ["Must be a valid boolean."]}),
        ({"allow_vote_change": None}, {"allow_vote_change": ["This field may not be null."]}),
        ({"description": 42}, {"description": ["Not a valid string."]}),
        (
            {"description": "x" * 2001},
            {"description": ["Ensure this field has no more than 2000 characters."]},
        ),
        (
            {"description": "Beep\x07"},
            {
                "description": [
                    "The description contains a control character (U+0007, character 5); "
                    "only line breaks are allowed."
                ]
            },
        ),
    ],
)
def test_a_bad_setting_is_a_400_under_its_field(authed, fields, errors):
    response = create(authed, **fields)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == errors
    assert not Poll.objects.exists()


# --- Changing ----------------------------------------------------------------------------------


@pytest.fixture
def poll(user):
    return PollFactory(author=user, labels=["Red", "Green", "Blue"])


def patch(client, poll, **fields):
    return client.patch(detail(poll), fields, format="json")


EDITS = {
    "title": ({"title": "Which colour?"}, lambda p: p.title == "Which colour?", "title"),
    "options as a list": (
        {"options": ["Red", "Blue", "Black"]},
        lambda p: list(p.options.values_list("label", flat=True)) == ["Red", "Blue", "Black"],
        "options",
    ),
    "min_choices": (
        {"min_choices": 2, "max_choices": 3},
        lambda p: p.min_choices == 2,
        "min_choices",
    ),
    "max_choices": ({"max_choices": 2}, lambda p: p.max_choices == 2, "max_choices"),
    "description": (
        {"description": "Shades count."},
        lambda p: p.description == "Shades count.",
        None,
    ),
    "results_visibility": (
        {"results_visibility": "author_only"},
        lambda p: p.results_visibility == "author_only",
        None,
    ),
    "unlisted": ({"unlisted": True}, lambda p: p.unlisted, None),
    "shuffle_options": ({"shuffle_options": True}, lambda p: p.shuffle_options, None),
    "allow_vote_change": ({"allow_vote_change": True}, lambda p: p.allow_vote_change, None),
    "closes_at": (
        {"closes_at": iso(timezone.now() + timedelta(days=9))},
        lambda p: p.closes_at > timezone.now() + timedelta(days=8),
        None,
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_before_the_first_vote_every_field_changes(authed, poll, edit):
    fields, made, _ = EDITS[edit]
    response = patch(authed, poll, **fields)
    assert response.status_code == 200, response.json()
    assert made(Poll.objects.get(pk=poll.pk))


@pytest.mark.parametrize("edit", EDITS)
def test_after_the_first_vote_what_a_ballot_means_is_refused(authed, poll, edit):
    fields, made, fixed = EDITS[edit]
    vote(poll)
    response = patch(authed, poll, **fields)
    if fixed is None:
        assert response.status_code == 200
        assert made(Poll.objects.get(pk=poll.pk))
    else:
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert fixed in body["errors"]
        for messages in body["errors"].values():
            assert messages[0].startswith("Somebody has voted in this poll"), body


def test_labels_by_option_id(authed, poll):
    red, green = poll.options.get(label="Red"), poll.options.get(label="Green")
    response = patch(authed, poll, options={str(red.pk): "Crimson", str(green.pk): "Lime"})
    assert response.status_code == 200
    labels = [option["label"] for option in response.json()["options"]]
    assert labels == ["Crimson", "Lime", "Blue"]
    assert Option.objects.get(pk=red.pk).label == "Crimson"


def test_the_whole_poll_sent_back_after_a_vote_changes_only_what_differs(authed, poll):
    vote(poll)
    body = authed.get(detail(poll)).json()
    response = patch(
        authed,
        poll,
        title=body["title"],
        options={str(o["id"]): o["label"] for o in body["options"]},
        description="New",
    )
    assert response.status_code == 200
    assert response.json()["description"] == "New"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("Red", "Give the options as a list of labels, or as {option id: label}."),
        (42, "Give the options as a list of labels, or as {option id: label}."),
        ({"abc": "X"}, "'abc' is not an option id."),
        ({"-1": "X"}, "'-1' is not an option id."),
        ({"99999999999999999999999": "X"}, "'99999999999999999999' is not an option id."),
        ({"1": 5}, "Option 1: Not a valid string."),
        ({"1": ""}, "Option 1: This field may not be blank."),
        ({"1": "x" * 101}, "Option 1: Ensure this field has no more than 100 characters."),
        ({"999999": "X"}, editing.NOT_IN_POLL),
        (["Only one"], "A poll needs at least 2 options."),
        (["Same", "same"], 'Option 2 ("same") is already in this poll.'),
    ],
)
def test_bad_options_are_a_400_under_options(authed, poll, options, message):
    response = patch(authed, poll, options=options)
    assert response.status_code == 400
    assert response.json()["errors"] == {"options": [message]}
    assert list(poll.options.values_list("label", flat=True)) == ["Red", "Green", "Blue"]


def test_more_labels_by_id_than_a_poll_has_options_is_refused_on_the_count(authed, poll):
    response = patch(authed, poll, options={str(n): "X" for n in range(1, 1000)})
    assert response.json()["errors"] == {
        "options": ["A poll can have at most 20 options (it has 999)."]
    }


def test_an_edit_is_all_or_nothing(authed, poll):
    response = patch(
        authed, poll, description="Fine", closes_at=iso(timezone.now() - timedelta(days=1))
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["closes_at"]
    assert Poll.objects.get(pk=poll.pk).description == ""


def test_an_edit_by_a_holder_of_change_poll_is_audited(staff_client, poll):
    response = staff_client("polls.change_poll").patch(
        detail(poll), {"unlisted": True}, format="json"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.details) == ("change", "Unlisted: no → yes.")


def test_nobody_else_changes_a_poll(api, authed, staff_client, db):
    poll = PollFactory()
    assert patch(authed, poll, description="Mine").status_code == 403
    assert (
        staff_client().patch(detail(poll), {"description": "Mine"}, format="json").json()["code"]
        == "not_allowed"
    )
    assert patch(api, poll, description="Mine").status_code == 401
    assert Poll.objects.get(pk=poll.pk).description == ""


def test_an_edit_raises_the_etag(authed, poll):
    etag = authed.get(detail(poll))["ETag"]
    patch(authed, poll, results_visibility="always")
    assert authed.get(detail(poll), HTTP_IF_NONE_MATCH=etag).status_code == 200


# --- Schema ------------------------------------------------------------------------------------


def schema(api) -> dict:
    return yaml.safe_load(api.get("/api/schema/").content)


def test_the_schema_publishes_the_settings_and_both_shapes_of_options(api, db):
    document = schema(api)
    bodies = document["components"]["schemas"]
    create_body = bodies["PollCreateInputRequest"]["properties"]
    assert list(create_body) == [
        "title",
        "options",
        "closes_at",
        "description",
        "results_visibility",
        "min_choices",
        "max_choices",
        "voting_method",
        "rank_all",
        "allow_vote_change",
        "unlisted",
        "shuffle_options",
        "voter_mode",
        "public_ballots",
        "voter_names",
        "names_shown_to",
    ]
    assert create_body["description"]["maxLength"] == 2000
    assert (create_body["min_choices"]["minimum"], create_body["min_choices"]["maximum"]) == (1, 20)
    assert create_body["unlisted"]["type"] == "boolean"
    visibility = bodies[create_body["results_visibility"]["allOf"][0]["$ref"].split("/")[-1]]
    assert visibility["enum"] == ["always", "after_vote", "after_close", "author_only"]

    patch_operation = document["paths"]["/api/polls/{public_id}/"]["patch"]
    ref = patch_operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    edit_body = bodies[ref.split("/")[-1]]["properties"]
    assert set(edit_body) == set(create_body)
    shapes = edit_body["options"]["oneOf"]
    assert [shape["type"] for shape in shapes] == ["array", "object"]
    assert shapes[1]["additionalProperties"]["maxLength"] == 100

    poll = bodies["Poll"]["properties"]
    assert poll["results_visibility"]["allOf"][0]["$ref"].endswith("ResultsVisibilityEnum")
    assert poll["unlisted"]["type"] == "boolean"
