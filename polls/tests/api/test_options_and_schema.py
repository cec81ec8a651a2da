import inspect
import re

import pytest
import yaml
from django.test import RequestFactory
from rest_framework import exceptions as drf_exceptions

from polls import services
from polls.api import errors, parsers, views_site
from polls.api import views as api_views
from polls.tests.factories import PollFactory
from votr_project import database_errors

OPTIONS = "/api/options/"


def test_option_labels_are_distinct_ignoring_case_most_used_first(api, db):
    PollFactory(labels=["Yes", "No"])
    PollFactory(labels=["yes", "Maybe"])
    PollFactory(labels=["Yellow", "Blue"])

    response = api.get(OPTIONS, {"search": "ye"})

    assert response.status_code == 200
    labels = response.json()["labels"]
    assert len(labels) == 2
    assert labels[0].casefold() == "yes"
    assert labels[1] == "Yellow"


def test_option_labels_fold_look_alikes_as_the_label_rule_does(api, db):
    """One suggestion for "Yes" and "Υes" (a Greek capital): the same label in a poll."""
    PollFactory(labels=["Yes", "No"])
    PollFactory(labels=["\u03a5es", "Maybe"])

    assert len(api.get(OPTIONS, {"search": "es"}).json()["labels"]) == 1


def test_option_labels_are_at_most_ten(api, db):
    for start in range(0, 24, 2):
        PollFactory(labels=[f"Choice {start}", f"Choice {start + 1}"])

    assert len(api.get(OPTIONS, {"search": "choice"}).json()["labels"]) == 10


def test_option_labels_search_is_literal(api, db):
    PollFactory(labels=["100%", "Anything"])

    assert api.get(OPTIONS, {"search": "%"}).json()["labels"] == ["100%"]
    assert api.get(OPTIONS, {"search": "'; DROP TABLE x; --"}).json()["labels"] == []


def test_option_labels_query_count_is_fixed(api, database_cache, django_assert_num_queries):
    for _ in range(5):
        PollFactory()

    with django_assert_num_queries(3):  # the anonymous throttle (2) and the labels
        api.get(OPTIONS, {"search": "option"})


# --- Schema and docs -------------------------------------------------------------------------


def schema(api) -> dict:
    response = api.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_lists_every_endpoint_and_method(api, db):
    paths = schema(api)["paths"]

    assert {path: sorted(operations) for path, operations in paths.items()} == {
        "/api/": ["get"],
        "/api/auth/token/": ["delete", "post"],
        "/api/options/": ["get"],
        "/api/polls/": ["get", "post"],
        "/api/polls/{public_id}/": ["delete", "get", "patch"],
        "/api/polls/{public_id}/ballots/": ["get"],
        "/api/polls/{public_id}/close/": ["post"],
        "/api/polls/{public_id}/invites/": ["get", "post"],
        "/api/polls/{public_id}/invites/revoke/": ["post"],
        "/api/polls/{public_id}/results/": ["get"],
        "/api/polls/{public_id}/votes/": ["delete", "post", "put"],
        "/api/users/": ["post"],
    }


def test_schema_describes_request_and_response_bodies(api, db):
    document = schema(api)
    paths = document["paths"]

    def body_ref(operation, status):
        return operation["responses"][status]["content"]["application/json"]["schema"]

    create = paths["/api/polls/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PollCreateInputRequest"
    }
    assert body_ref(create, "201") == {"$ref": "#/components/schemas/Poll"}
    vote = paths["/api/polls/{public_id}/votes/"]["post"]
    assert body_ref(vote, "409") == {"$ref": "#/components/schemas/Error"}
    # Issue 10: the same answer whether or not the address has an account.
    sign_up = paths["/api/users/"]["post"]
    assert {"201", "202"} & set(sign_up["responses"]) == {"202"}
    assert body_ref(sign_up, "202") == {"$ref": "#/components/schemas/SignUpAccepted"}
    poll = document["components"]["schemas"]["Poll"]["properties"]
    assert list(poll) == [
        "id",
        "url",
        "title",
        "description",
        "author",
        "created_at",
        "closes_at",
        "closed_at",
        "is_open",
        "results_visibility",
        "results_hidden_until",
        "unlisted",
        "shuffle_options",
        "total_votes",
        "options",
        "ranked",
        "voting_method",
        "rank_all",
        "min_choices",
        "max_choices",
        "allow_vote_change",
        "voter_mode",
        "public_ballots",
        "voter_names",
        "names_shown_to",
        "ballot_order",
        "my_vote",
        "outcome",
        "my_choices",
        "my_ranking",
    ]
    assert set(document["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_every_operation_documents_its_errors_with_the_error_shape(api, db):
    for path, operations in schema(api)["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
            assert {"400", "401", "429"} <= set(errors), (method, path)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }


def test_docs_page_loads_everything_from_our_own_site(api, db):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    assert "<script>" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    script = api.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_schema_publishes_the_limits_the_server_enforces(api, db):
    document = schema(api)
    bodies = document["components"]["schemas"]

    create = bodies["PollCreateInputRequest"]["properties"]
    assert create["title"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert (create["options"]["minItems"], create["options"]["maxItems"]) == (2, 20)
    assert create["options"]["items"] == {"type": "string", "minLength": 1, "maxLength": 100}
    sign_up = bodies["SignUpInputRequest"]["properties"]
    assert (sign_up["username"]["minLength"], sign_up["username"]["maxLength"]) == (1, 150)
    assert (sign_up["email"]["minLength"], sign_up["email"]["maxLength"]) == (1, 254)
    assert sign_up["password"]["minLength"] == 8
    assert bodies["TokenInputRequest"]["properties"]["username"]["maxLength"] == 150

    def query(path, name):
        operation = document["paths"][path]["get"]
        return next(p["schema"] for p in operation["parameters"] if p["name"] == name)

    assert query("/api/polls/", "page") == {"type": "integer", "minimum": 1}
    assert query("/api/polls/", "page_size") == {"type": "integer", "minimum": 1, "maximum": 100}
    assert query("/api/options/", "search")["maxLength"] == 200


def query_schema(document, path, name) -> dict:
    operation = document["paths"][path]["get"]
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


# --- The index --------------------------------------------------------------------------------


def test_the_api_root_is_an_index_of_the_schema_docs_and_collections(api, db):
    response = api.get("/api/")

    assert response.status_code == 200
    links = response.json()
    assert links == {
        "schema": "http://testserver/api/schema/",
        "docs": "http://testserver/api/docs/",
        "polls": "http://testserver/api/polls/",
        "options": "http://testserver/api/options/",
        "token": "http://testserver/api/auth/token/",
        "users": "http://testserver/api/users/",
    }
    for name in ("schema", "docs", "polls", "options"):
        assert api.get(links[name]).status_code == 200, name


# --- What a client generated from the schema needs -------------------------------------------


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_and_a_description_of_its_own(api, db):
    found = dict(operations(schema(api)))

    for name, operation in found.items():
        assert operation.get("summary"), name
        assert operation.get("description"), name
    assert len({op["summary"] for op in found.values()}) == len(found)
    assert len({op["description"] for op in found.values()}) == len(found)


def test_who_may_reschedule_close_or_delete_is_the_permission_the_services_check(api, db):
    """The author, or anyone holding the permission (docs/security.md): not "staff"."""
    paths = schema(api)["paths"]
    rules = {
        ("patch", "/api/polls/{public_id}/"): "polls.change_poll",
        ("post", "/api/polls/{public_id}/close/"): "polls.change_poll",
        ("delete", "/api/polls/{public_id}/"): "polls.delete_poll",
    }
    for (method, path), permission in rules.items():
        description = paths[path][method]["description"]
        assert "author" in description, (method, path)
        assert f"anyone holding the `{permission}` permission" in description, (method, path)
        assert "staff" not in description, (method, path)


def test_created_answers_declare_location_and_refusals_to_wait_declare_retry_after(api, db):
    for name, operation in operations(schema(api)):
        responses = operation["responses"]
        if "201" in responses:
            assert "Location" in responses["201"]["headers"], name
        for status in ("429", "503"):
            assert "Retry-After" in responses[status]["headers"], (name, status)
    paths = schema(api)["paths"]
    assert "201" in paths["/api/polls/"]["post"]["responses"]
    assert "201" in paths["/api/polls/{public_id}/votes/"]["post"]["responses"]


def test_a_vote_answers_with_the_location_the_schema_declares(authed, user):
    poll = PollFactory()

    response = authed.post(
        f"/api/polls/{poll.public_id}/votes/", {"option": poll.options.first().pk}, format="json"
    )

    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/api/polls/{poll.public_id}/"


def emitted_codes() -> set[str]:
    """Every code an API answer can hold: each exception class the API raises or translates,
    the domain's refusals, and the bodies the middleware and database handlers write."""
    classes = [
        cls
        for module in (drf_exceptions, errors, parsers, api_views, views_site)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, drf_exceptions.APIException) and cls is not drf_exceptions.APIException
    ]
    codes = {cls.default_code for cls in classes}
    # A ValidationError answers "invalid" whatever its fields' codes, but for this one.
    codes |= {services.OptionNotInPoll.code, errors.NOT_ALLOWED}
    refusals = [services.VoteRefused]
    while refusals:
        refusal = refusals.pop()
        refusals += refusal.__subclasses__()
        if refusal is not services.VoteRefused:
            codes.add(refusal.code)
    request = RequestFactory().get("/api/polls/")
    for response in (
        database_errors.unavailable_response(request),
        database_errors.conflict_response(request),
    ):
        codes.add(yaml.safe_load(response.content)["code"])
    return codes


@pytest.mark.parametrize(
    ("request_kwargs", "code"),
    [
        ({"path": "/api/polls/?search=" + "x" * 3000}, "uri_too_long"),
        (
            {
                "path": "/api/polls/",
                "method": "post",
                "data": b"{}",
                "content_type": "application/json; charset=base64",
            },
            "unsupported_charset",
        ),
    ],
)
def test_the_middleware_answers_with_documented_codes(api, db, request_kwargs, code):
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "get")
    path = kwargs.pop("path")
    response = getattr(api, method)(path, **kwargs)

    assert response.json()["code"] == code
    assert code in schema(api)["components"]["schemas"]["ErrorCodeEnum"]["enum"]


def test_error_code_is_an_enum_of_every_code_the_server_can_answer(api, db):
    document = schema(api)
    error = document["components"]["schemas"]["Error"]["properties"]["code"]

    assert error["allOf"] == [{"$ref": "#/components/schemas/ErrorCodeEnum"}]
    enum = document["components"]["schemas"]["ErrorCodeEnum"]["enum"]
    assert emitted_codes() - set(enum) == set()
    assert {"locked_out", "too_large", "already_voted", "service_unavailable"} <= set(enum)


def test_ordering_values_have_readable_names_for_generated_clients(api, db):
    ordering = query_schema(schema(api), "/api/polls/", "ordering")

    items = ordering["items"]
    assert dict(zip(items["enum"], items["x-enum-varnames"], strict=True)) == {
        "created_at": "CREATED_AT",
        "-created_at": "CREATED_AT_DESC",
        "closes_at": "CLOSES_AT",
        "-closes_at": "CLOSES_AT_DESC",
        "total_votes": "TOTAL_VOTES",
        "-total_votes": "TOTAL_VOTES_DESC",
    }


def test_the_token_scheme_says_how_the_header_is_written(api, db):
    token = schema(api)["components"]["securitySchemes"]["tokenAuth"]

    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    assert "`Token <key>`" in token["description"]


def test_a_patch_requires_a_body_in_the_schema_and_on_the_server(authed, user):
    patch = schema(authed)["paths"]["/api/polls/{public_id}/"]["patch"]
    poll = PollFactory(author=user)

    assert patch["requestBody"]["required"] is True
    no_body = authed.generic("PATCH", f"/api/polls/{poll.public_id}/")
    assert no_body.status_code == 400
    assert no_body.json()["code"] == "invalid"
    assert authed.patch(f"/api/polls/{poll.public_id}/", {}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/polls/", "author"), ("/api/polls/", "search"), ("/api/options/", "search")],
)
def test_text_query_limits_are_the_ones_the_server_enforces(api, db, path, name):
    limit = query_schema(schema(api), path, name)["maxLength"]

    assert api.get(path, {name: "x" * limit}).status_code == 200
    too_long = api.get(path, {name: "x" * (limit + 1)})
    assert too_long.status_code == 400
    assert list(too_long.json()["errors"]) == [name]


def test_page_size_limits_are_the_ones_the_server_enforces(api, db):
    limits = query_schema(schema(api), "/api/polls/", "page_size")

    assert api.get("/api/polls/", {"page_size": limits["maximum"]}).status_code == 200
    assert api.get("/api/polls/", {"page_size": limits["minimum"]}).status_code == 200
    assert api.get("/api/polls/", {"page_size": limits["maximum"] + 1}).status_code == 400
    assert api.get("/api/polls/", {"page_size": limits["minimum"] - 1}).status_code == 400


def test_the_list_filters_are_documented_from_the_filterset(api, db):
    document = schema(api)

    assert query_schema(document, "/api/polls/", "status")["enum"] == ["closed", "open"]
    names = [p["name"] for p in document["paths"]["/api/polls/"]["get"]["parameters"]]
    assert set(names) == {"status", "author", "search", "ordering", "page", "page_size"}
