"""Request ids (votr_project/middleware.py): the router's id is echoed, an unsafe or missing one
is replaced, and log lines written during a request carry it."""

import logging
import re

import pytest
from django.urls import reverse

from votr_project.middleware import RequestIdLogFilter, RequestIdMiddleware


@pytest.mark.django_db
def test_the_routers_request_id_is_echoed(client):
    request_id = "f4a1b2c3-0d9e-4f5a-8b7c-6d5e4f3a2b1c"
    response = client.get(reverse("healthz"), headers={"X-Request-ID": request_id})
    assert response["X-Request-ID"] == request_id


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get(reverse("healthz"))["X-Request-ID"]
    second = client.get(reverse("healthz"))["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forged", ['x" status=200 admin="1', "short", "a" * 201, "id with spaces in it"]
)
def test_an_unsafe_request_id_is_replaced_so_it_cannot_forge_log_lines(client, forged):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": forged})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db  # closing a response closes stale database connections
def test_log_lines_written_during_a_request_carry_its_id(rf):
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect()
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("votr.test_request_id")
    logger.addHandler(handler)
    try:

        def view(request):
            logger.warning("inside the view")
            from django.http import HttpResponse

            return HttpResponse()

        middleware = RequestIdMiddleware(view)
        response = middleware(rf.get("/", headers={"X-Request-ID": "router-id-12345678"}))
        # Django logs 4xx and 5xx responses after the middleware returns: still this request.
        logger.warning("after the middleware")
        response.close()  # the server is done with the request
        logger.warning("after the request")
    finally:
        logger.removeHandler(handler)
    assert [(r.getMessage(), r.request_id) for r in records] == [
        ("inside the view", "router-id-12345678"),
        ("after the middleware", "router-id-12345678"),
        ("after the request", "-"),
    ]
