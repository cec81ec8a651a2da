"""Whatever a client sends, the answer is a 4xx in the one error shape, never a 500."""

import json

import pytest

from polls.models import Poll

POLLS = "/api/polls/"


def assert_error_shape(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], dict)
    if code:
        assert body["code"] == code
    return body


def test_invalid_json_is_400(authed):
    response = authed.post(POLLS, b'{"title": ', content_type="application/json")

    assert_error_shape(response, 400, "parse_error")


def test_bad_utf8_is_400(authed):
    response = authed.post(POLLS, b'{"title": "\xff\xfe"}', content_type="application/json")

    assert_error_shape(response, 400, "parse_error")


def test_deeply_nested_json_is_400(authed):
    response = authed.post(POLLS, b"[" * 60_000, content_type="application/json")

    assert_error_shape(response, 400, "parse_error")


def test_a_body_that_is_not_an_object_is_400(authed):
    body = assert_error_shape(authed.post(POLLS, [1, 2], format="json"), 400, "invalid")

    assert list(body["errors"]) == ["non_field_errors"]


def test_a_huge_body_is_413_and_nothing_is_created(authed, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = json.dumps({"title": "x" * 20_000, "options": ["A", "B"]})

    response = authed.post(POLLS, payload, content_type="application/json")

    assert_error_shape(response, 413, "too_large")
    assert not Poll.objects.exists()


def test_a_body_larger_than_the_largest_valid_poll_is_413(authed):
    """DATA_UPLOAD_MAX_MEMORY_SIZE: 64 KiB, twice the largest poll a client can create."""
    payload = json.dumps({"title": "Q?", "options": ["A", "B"], "padding": "x" * 70_000})

    response = authed.post(POLLS, payload, content_type="application/json")

    assert_error_shape(response, 413, "too_large")


def test_a_form_body_is_415(authed):
    response = authed.post(POLLS, {"title": "Q?"}, format="multipart")

    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "payload",
    [
        {"title": 42, "options": ["A", "B"]},
        {"title": None, "options": ["A", "B"]},
        {"title": ["Q?"], "options": ["A", "B"]},
        {"title": "Q?", "options": "A,B"},
        {"title": "Q?", "options": {"A": 1}},
        {"title": "Q?", "options": ["A", 2]},
        {"title": "Q?", "options": ["A", None]},
        {"title": "Q?", "options": ["A", "B"], "closes_at": "tomorrow"},
        {"title": "Q?", "options": ["A", "B"], "closes_at": 1893456000},
        {"title": "Q?", "options": ["A", "B"], "closes_at": "99999-01-01T00:00:00Z"},
        {"title": "Q\x00?", "options": ["A", "B"]},
        {"title": "x" * 10_000, "options": ["A", "B"]},
        {"title": "Q?", "options": ["A"] * 5_000},
        {"title": "Q?", "options": []},
    ],
)
def test_wrong_types_and_values_are_400_per_field(authed, payload):
    body = assert_error_shape(authed.post(POLLS, payload, format="json"), 400, "invalid")

    assert set(body["errors"]) <= {"title", "options", "closes_at"}
    assert body["errors"]
    assert not Poll.objects.exists()


def test_a_600000_option_body_answers_a_small_4xx_without_looking_at_the_labels(
    authed, monkeypatch
):
    """2.4 MB of options once cost ~10 s of a worker and answered ~20 MB of errors."""
    looked_at = count_label_validations(monkeypatch)
    body = json.dumps({"title": "Q?", "options": [""] * 600_000})
    assert len(body) < 2_500_000  # under Django's default limit

    response = authed.post(POLLS, body, content_type="application/json")

    assert_error_shape(response, 413, "too_large")
    assert len(response.content) < 200
    assert looked_at == []


def test_an_oversized_option_list_within_the_body_limit_is_refused_on_its_length(
    authed, monkeypatch, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    looked_at = count_label_validations(monkeypatch)
    body = json.dumps({"title": "Q?", "options": ["x"] * 600_000})

    response = authed.post(POLLS, body, content_type="application/json")

    body = assert_error_shape(response, 400, "invalid")
    assert body["errors"] == {"options": ["A poll can have at most 20 options (it has 600000)."]}
    assert len(response.content) < 300
    assert looked_at == []
    assert not Poll.objects.exists()


def count_label_validations(monkeypatch) -> list:
    """Every option label the serializer or the services look at, from now on."""
    from polls.api.fields import StrictCharField
    from polls.services import checks
    from polls.services import polls as services_polls

    looked_at = []
    real_to_internal_value = StrictCharField.to_internal_value
    real_label_key = checks.label_key

    def to_internal_value(field, data):
        if field.field_name == "":  # a list's child, not a named field
            looked_at.append(data)
        return real_to_internal_value(field, data)

    monkeypatch.setattr(StrictCharField, "to_internal_value", to_internal_value)
    for module in (checks, services_polls):
        monkeypatch.setattr(
            module, "label_key", lambda label: looked_at.append(label) or real_label_key(label)
        )
    return looked_at


@pytest.mark.parametrize("label", ["x" * 101, 7])
def test_an_answer_carries_a_handful_of_messages_per_field_at_most(authed, label):
    response = authed.post(POLLS, {"title": "Q?", "options": [label] * 20}, format="json")

    body = assert_error_shape(response, 400, "invalid")
    assert len(body["errors"]["options"]) == 5
    assert body["errors"]["options"][-1] == "And 16 more problems."


def test_an_overlong_username_at_login_is_400_before_it_is_recorded(api, db):
    """django-axes records a failed login's username in 255 characters (a 500 on PostgreSQL)."""
    response = api.post("/api/auth/token/", {"username": "u" * 300, "password": "x"}, format="json")

    body = assert_error_shape(response, 400, "invalid")
    assert list(body["errors"]) == ["username"]


def test_an_overlong_email_at_sign_up_is_400(api, db):
    """Over the column's 254 characters, though a valid address (a 500 on PostgreSQL)."""
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".example"
    details = {"username": "newcomer", "email": email, "password": "a-long-passphrase"}

    body = assert_error_shape(api.post("/api/users/", details, format="json"), 400, "invalid")

    assert list(body["errors"]) == ["email"]


def test_list_item_errors_say_which_item(authed):
    body = authed.post(POLLS, {"title": "Q?", "options": ["A", 2]}, format="json").json()

    assert body["errors"] == {"options": ["Item 2: Not a valid string."]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/polls/%00/",
        "/api/polls/' OR 1=1 --/",
        "/api/polls/<script>/",
        "/api/polls/%ff%fe/",
        "/api/polls/" + "a" * 500 + "/",
        "/api/polls/1/../../admin/",
        "/api/polls/a%0Ab/",
        "/api/polls/a%0Ab/close/",
        "/api/nothing-here/",
        "/api/polls",
    ],
)
def test_unknown_addresses_under_api_are_json_404s(api, db, path):
    assert_error_shape(api.get(path), 404, "not_found")


@pytest.mark.parametrize("name", ["search", "author", "status", "ordering"])
def test_nul_in_a_query_parameter_is_400(api, db, name):
    body = assert_error_shape(api.get(POLLS, {name: "a\x00b"}), 400, "invalid")

    assert list(body["errors"]) == [name]


def test_an_overlong_search_is_400(api, db):
    assert_error_shape(api.get(POLLS, {"search": "x" * 1000}), 400, "invalid")


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "٣"])
def test_a_page_that_is_not_a_number_from_1_is_400(api, poll, page):
    body = assert_error_shape(api.get(POLLS, {"page": page}), 400, "invalid")

    assert body["errors"] == {"page": ["Use a page number from 1."]}


@pytest.mark.parametrize("page", ["2", "99999999999999999999999"])
def test_a_page_past_the_last_is_404(api, poll, page):
    assert_error_shape(api.get(POLLS, {"page": page}), 404, "not_found")


@pytest.mark.parametrize("size", ["lots", "0", "101", "", "1.5"])
def test_a_page_size_outside_the_published_limits_is_400(api, poll, size):
    """The schema says 1 to 100: the server holds a client to it rather than guessing."""
    body = assert_error_shape(api.get(POLLS, {"page_size": size}), 400, "invalid")

    assert body["errors"] == {"page_size": ["Use a page size from 1 to 100."]}


def test_the_largest_published_page_size_is_accepted(api, poll):
    assert api.get(POLLS, {"page_size": "100"}).status_code == 200


@pytest.mark.parametrize(
    "header", ["Token a\x00b", "Token " + "x" * 5000, "Token a b", "Token", "Token é", "Token a-b"]
)
def test_a_malformed_authorization_header_is_401(api, db, header):
    assert_error_shape(api.get(POLLS, HTTP_AUTHORIZATION=header), 401, "authentication_failed")
