import re

import yaml

from polls.tests.factories import PollFactory

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
        "/api/auth/token/": ["delete", "post"],
        "/api/options/": ["get"],
        "/api/polls/": ["get", "post"],
        "/api/polls/{public_id}/": ["delete", "get", "patch"],
        "/api/polls/{public_id}/close/": ["post"],
        "/api/polls/{public_id}/votes/": ["post"],
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
        "author",
        "created_at",
        "closes_at",
        "closed_at",
        "is_open",
        "total_votes",
        "options",
        "my_vote",
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
