"""Queries per request: each request the benchmark measures, made once more through Django's
test client with the web process's settings and database, its queries counted.

    python -m bench.probe < requests.json    (run by bench/run.py, with the web environment)

Reads are made twice and the second is counted (the first warms per-process caches, as the
benchmark's warm-up does for gunicorn's workers). A request marked "conditional" is first made
plainly; when its answer has an ETag, it is made again with If-None-Match, and that one is
counted. Prints PROBE_JSON {name: {"queries", "status", "etag"}}.
"""

import json
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(client: Client, request: dict) -> dict:
    headers = dict(request.get("headers", {}))
    if request.get("login"):
        client.force_login(
            get_user_model().objects.get(pk=request["login"]),
            backend="django.contrib.auth.backends.ModelBackend",
        )
    send = getattr(client, request.get("method", "get"))
    kwargs = {"headers": headers}
    if "json" in request:
        kwargs |= {"data": json.dumps(request["json"]), "content_type": "application/json"}
    if "form" in request:
        kwargs |= {"data": request["form"]}
    etag = None
    if request.get("method", "get") == "get":
        response = send(request["path"], **kwargs)
        etag = response.headers.get("ETag")
        if request.get("conditional"):
            if etag is None:
                client.logout()
                return {"queries": None, "status": None, "etag": None}
            headers["If-None-Match"] = etag
    with CaptureQueriesContext(connection) as queries:
        response = send(request["path"], **kwargs)
    client.logout()
    return {"queries": len(queries), "status": response.status_code, "etag": etag}


def main() -> None:
    requests = json.load(sys.stdin)
    client = Client()
    results = {request["name"]: measure(client, request) for request in requests}
    print("PROBE_JSON " + json.dumps(results))


if __name__ == "__main__":
    main()
