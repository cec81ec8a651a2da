"""schemathesis against the live schema: every operation, with a token, must never answer 5xx
and every answer must match the schema (status, content type and body)."""

import json

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from polls.models import Poll
from polls.tests.factories import PollFactory, UserFactory

FUZZER_TOKEN = "f" * 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation; 7 operations stay well under two minutes on the 2-core CI machine.
EXAMPLES_PER_OPERATION = 50


def generated_schema() -> dict:
    """The document /api/schema/ serves, generated in-process so that the operations are known
    when pytest collects the tests (the test below checks the live one is the same)."""
    generator = SchemaGenerator()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(generated_schema())


def test_the_fuzzed_schema_is_the_one_served(client, db):
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert json.loads(served.content) == generated_schema()


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    # Throttling is tested on its own; here it would turn most answers into 429s.
    for scope in list(SimpleRateThrottle.THROTTLE_RATES):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, "100000/minute")


@pytest.fixture
def fuzzer(transactional_db):
    return UserFactory(username="fuzzer", is_staff=False)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, fuzzer, live_server, transactional_db):
    # The token and one poll of the caller's own exist for every example (an earlier one may
    # have revoked or deleted them), and half the examples aim at that real poll.
    Token.objects.get_or_create(user=fuzzer, defaults={"key": FUZZER_TOKEN})
    poll = Poll.objects.filter(author=fuzzer).first() or PollFactory(author=fuzzer)
    if case.path_parameters and len(str(case.path_parameters.get("public_id", ""))) % 2:
        case.path_parameters["public_id"] = poll.public_id

    response = case.call(
        base_url=live_server.url, headers={"Authorization": f"Token {FUZZER_TOKEN}"}
    )

    case.validate_response(response, checks=CHECKS)
