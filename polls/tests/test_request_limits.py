"""Requests Votr refuses to read (votr_project.middleware: RequestLimitsMiddleware and the WSGI
UnreadableCharsetGuard) and what a client's values can do to the logs (gunicorn.conf.py), through
the test client and through a real gunicorn with the project's configuration."""

import http.client
import os
import runpy
import time
from io import BytesIO
from wsgiref.util import setup_testing_defaults

import pytest
from django.test import override_settings

from votr_project.middleware import MAX_URL_LENGTH, UnreadableCharsetGuard

from .production import BASE_DIR, wait_for
from .production import gunicorn as start_gunicorn

CSRF_COOKIE = "abcdefghijklmnopqrstuvwxyzABCDEF"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")
FORM_UTF16 = "application/x-www-form-urlencoded; charset=utf-16"

pytestmark = pytest.mark.django_db


# --- Bodies in a charset other than UTF-8 ------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        FORM_UTF16,
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/x-www-form-urlencoded; charset=no-such-charset",
        "multipart/form-data; boundary=xyz; charset=utf-16",
    ],
)
def test_a_form_post_in_another_charset_is_a_400_in_the_sites_look(client, caplog, content_type):
    client.cookies["csrftoken"] = CSRF_COOKIE
    response = client.generic("POST", "/accounts/login/", b"a=b", content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "We can’t read that request" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()  # base.html
    for header in SECURITY_HEADERS:
        assert header in response
    assert [r.getMessage() for r in caplog.records] == [
        "Bad Request (unsupported_charset): /accounts/login/"
    ]


def test_a_utf8_form_post_is_read_as_before(client):
    client.cookies["csrftoken"] = CSRF_COOKIE
    response = client.post(
        "/accounts/login/",
        b"username=a&password=b",
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
    )
    assert response.status_code == 200  # the login form, read and shown again


def test_a_signed_in_api_post_in_another_charset_is_a_json_400(client, user):
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF_COOKIE
    response = client.generic("POST", "/api/polls/", b"a=b", content_type=FORM_UTF16)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body must be UTF-8 (its Content-Type names another charset).",
        "code": "unsupported_charset",
        "errors": {},
    }


@pytest.mark.parametrize("charset", ["utf-16", "utf-7", "latin-1"])
def test_json_in_another_charset_is_a_json_400(client, charset):
    response = client.generic(
        "POST",
        "/api/users/",
        "{}".encode(charset),
        content_type=f"application/json; charset={charset}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_charset"


def call_wsgi(application, *, content_type, method="POST", cookie=""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/accounts/login/",
        "QUERY_STRING": "page=2",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": "3",
        "HTTP_COOKIE": cookie,
        "SERVER_NAME": "testserver",
        "wsgi.input": BytesIO(b"a=b"),
    }
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


@pytest.mark.parametrize(
    "content_type",
    [
        # Not text encodings: Django's request raises while decoding the query string with it.
        "application/x-www-form-urlencoded; charset=base64",
        "text/plain; charset=rot13",
        # An RFC 2231 parameter naming an unknown charset: Django cannot parse the header.
        "application/x-www-form-urlencoded; charset*=bogus''utf-8",
        # Django raises BadRequest on every read of request.POST, the error views' too.
        FORM_UTF16,
    ],
)
def test_the_wsgi_guard_lets_django_build_every_request(content_type):
    from django.core.wsgi import get_wsgi_application

    application = UnreadableCharsetGuard(get_wsgi_application())
    status, headers, _ = call_wsgi(
        application, content_type=content_type, cookie=f"csrftoken={CSRF_COOKIE}"
    )
    # A text/plain body is not read, so the CSRF check refuses it for its missing token.
    refused = not content_type.startswith("text/plain")
    assert status == ("400 Bad Request" if refused else "403 Forbidden")
    assert "Content-Security-Policy" in headers


@override_settings(ALLOWED_HOSTS=["votr.example.com"])
def test_a_bad_host_and_a_utf16_form_post_do_not_recurse_through_the_error_views():
    """DisallowedHost is raised before RequestLimitsMiddleware runs; the error views' CSRF check
    then reads request.POST, which the guard has made readable."""
    from django.core.wsgi import get_wsgi_application

    application = UnreadableCharsetGuard(get_wsgi_application())
    status, _, body = call_wsgi(
        application, content_type=FORM_UTF16, cookie=f"csrftoken={CSRF_COOKIE}"
    )
    assert status == "400 Bad Request"
    assert "We can’t read that request" in body.decode()


# --- Over-long URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/", "/?q="])
def test_an_over_long_page_url_is_a_short_414_with_the_security_headers(client, prefix):
    response = client.get(prefix + "a" * MAX_URL_LENGTH)
    assert response.status_code == 414
    assert "That address is too long" in response.content.decode()
    assert "aaaaaaaaaa" not in response.content.decode()
    assert len(response.content) < 4000
    for header in SECURITY_HEADERS:
        assert header in response


def test_an_over_long_api_url_is_a_json_414(client):
    response = client.get("/api/" + "a" * MAX_URL_LENGTH)
    assert response.status_code == 414
    assert response.json()["code"] == "uri_too_long"


def test_a_url_of_the_longest_allowed_length_is_served(client):
    query = "q=" + "a" * (MAX_URL_LENGTH - len("/") - len("q="))
    assert client.get("/", QUERY_STRING=query).status_code == 200


# --- The access log escapes what a client chose ------------------------------------------------


def test_the_access_log_escapes_control_characters_quotes_and_non_ascii():
    escape = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))["_escape"]
    assert escape('/x\nmethod=POST path="/" \\ \r\t\x00\x7f\xc3\xa9') == (
        '/x\\nmethod=POST path=\\"/\\" \\\\ \\r\\t\\x00\\x7f\\xc3\\xa9'
    )
    assert escape("a" * 5000) == "a" * 1000 + "..."


# --- Through a real gunicorn -------------------------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn with the project's gunicorn.conf.py and production settings (debug off). Only
    static files and the cache differ, so that no collectstatic or migration is needed: nothing
    requested here touches the database."""
    folder = tmp_path_factory.mktemp("gunicorn")
    (folder / "gunicorn_test_settings.py").write_text(
        "from votr_project.settings import *  # noqa: F403\n"
        "STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': "  # noqa: F405
        "'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}\n"
        # An existing folder, so whitenoise has no "No directory" warning to add to the log.
        f"STATIC_ROOT = {str(folder)!r}\n"
    )
    log_path = folder / "gunicorn.log"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "RABBIT", "CELERY_"))
    } | {
        "DJANGO_SETTINGS_MODULE": "gunicorn_test_settings",
        "PYTHONPATH": f"{folder}{os.pathsep}{BASE_DIR}",
        "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SITE_URL": "http://127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite3'}",
    }
    with start_gunicorn(env, log_path) as web:
        # The readiness request's access line, written after its response, is not a test's.
        wait_for(
            lambda: 'path="/static/css/votr.css"' in log_path.read_text(),
            timeout=10,
            what="the readiness request's access line",
        )
        yield {"port": web.port, "log": log_path}


def send(gunicorn, method, target, *, headers=None, body=None):
    """One request; returns the response and the log lines it wrote."""
    before = gunicorn["log"].read_text().count("\n")
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn["port"], timeout=10)
    connection.putrequest(method, target, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(body or b"")))
    connection.endheaders(body)
    response = connection.getresponse()
    response.read()
    connection.close()
    time.sleep(0.3)  # the access line is written after the response
    return response, gunicorn["log"].read_text().splitlines()[before:]


def test_gunicorn_answers_a_utf16_form_post_with_a_400_and_one_log_line(gunicorn):
    response, lines = send(
        gunicorn,
        "POST",
        "/accounts/login/",
        headers={"Content-Type": FORM_UTF16, "Cookie": f"csrftoken={CSRF_COOKIE}"},
        body="a=b".encode("utf-16"),
    )
    assert response.status == 400
    for header in SECURITY_HEADERS:
        assert response.getheader(header)
    # Django's one warning and gunicorn's access line (before the fix: about 750 lines).
    assert len(lines) == 2, lines
    assert "Bad Request (unsupported_charset): /accounts/login/" in lines[0]
    assert 'path="/accounts/login/" status=400' in lines[1]


def test_gunicorn_builds_a_request_with_a_charset_that_is_not_a_text_encoding(gunicorn):
    response, lines = send(
        gunicorn, "GET", "/nowhere/?a=b", headers={"Content-Type": "text/plain; charset=base64"}
    )
    assert response.status == 404
    assert len(lines) == 2, lines


def test_gunicorn_answers_an_over_long_url_with_votrs_414(gunicorn):
    response, lines = send(gunicorn, "GET", "/" + "a" * 5000)
    assert response.status == 414
    for header in SECURITY_HEADERS:
        assert response.getheader(header)
    assert len(lines) == 2
    assert all(len(line) < 1300 for line in lines)


def test_a_forged_path_stays_on_its_access_line(gunicorn):
    forged = "method=POST%20path=%22/api/polls/%22%20status=201"
    response, lines = send(gunicorn, "GET", f"/api/x%0A{forged}%22%5C")
    assert response.status == 404
    # Django's "Not Found" warning (Django escapes the path) and the access line, nothing more.
    assert len(lines) == 2, lines
    assert "Not Found: /api/x\\nmethod=POST" in lines[0]
    assert lines[1].startswith(
        'method=GET path="/api/x\\nmethod=POST path=\\"/api/polls/\\" status=201\\"\\\\" '
        "status=404 "
    )


def test_the_apps_own_log_lines_hold_no_raw_client_line_break(client, caplog):
    """Django escapes the path of its "Not Found" line; django-axes masks the username (and
    address) of a failed login, so neither can start a forged line."""
    caplog.set_level("DEBUG")
    client.post("/accounts/login/", {"username": "x\nFORGED", "password": "y"})
    client.get("/x%0AFORGED")
    messages = [record.getMessage() for record in caplog.records]
    assert "Not Found: /x\\nFORGED" in messages
    assert any("login failure" in message for message in messages)
    assert not any("\n" in message for message in messages)
