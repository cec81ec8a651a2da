"""gunicorn's configuration for the Procfile's `web` process (gunicorn reads this file by default
from the directory it starts in). Every value comes from the platform's environment, so the
same file serves Heroku, any other Procfile host and the Procfile test.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os

from gunicorn.glogging import Logger as _Logger
from gunicorn.glogging import SafeAtoms as _SafeAtoms

# The router sends traffic to $PORT on every interface of the dyno.
# https://devcenter.heroku.com/articles/dyno-startup-behavior#port-binding-of-web-dynos
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Workers: Heroku sets WEB_CONCURRENCY from the dyno's size; elsewhere set it to about 2 x cores.
# Threads: WEB_THREADS per worker, 1 by default (gunicorn's sync worker), more for gthread.
# https://devcenter.heroku.com/articles/python-gunicorn
#
# Chosen by measurement (bench/run.py --seconds 4 on the 2-core benchmark machine, PostgreSQL and
# Redis on the same machine; ratios to the plain-view ceiling of the same run):
#
#   workers x threads     API vote   poll page   results.json   home   API list   p99 API vote
#   3 sync                  0.064      0.138        0.193        0.068    0.043       44 ms
#   2 x 4 gthread           0.058      0.067        0.088        0.068    0.036       55 ms
#   3 x 4 gthread           0.044      0.066        0.164        0.061    0.038       95 ms
#
# Votr's requests are short and CPU-bound when the database and Redis answer in a fraction of a
# millisecond: threads then only contend for the GIL, and sync workers win on rate and p99. On a
# Heroku dyno each query and cache call crosses the network (about a millisecond), and threads
# overlap those waits, as Heroku's own Python guidance has it: app.json sets WEB_THREADS=4 there.
# Every thread holds its own database connection: workers x threads per dyno must stay within
# the database plan's connection limit.
# https://devcenter.heroku.com/articles/python-concurrency-and-database-connections
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# The application is imported once, before the workers fork, so they share its memory and a
# broken deploy fails at once rather than in each worker. Nothing connects at import time
# (Django, Redis and the broker open their connections on first use, in each worker).
preload_app = True

# Heroku's router drops a request after 30 s (H12). Kill a stuck worker before that, so its log
# line says what happened and the worker is replaced.
# https://devcenter.heroku.com/articles/request-timeout
timeout = 25
# On SIGTERM (a deploy, a restart, Ctrl-C under honcho) workers finish the requests they hold,
# for at most this long. Heroku sends SIGKILL 30 s after SIGTERM.
# https://devcenter.heroku.com/articles/dynos#graceful-shutdown-with-sigterm
graceful_timeout = 20
# An idle keep-alive connection (gthread; sync workers close each connection) is kept longer
# than the router's own idle timeout of 90 s, so the router, never gunicorn, closes it: a request
# sent just as gunicorn closed its end would fail.
# https://devcenter.heroku.com/articles/http-routing#keepalives
keepalive = 95

# The router terminates TLS and says so in X-Forwarded-Proto. Only the router can reach a dyno,
# so its forwarded headers are trusted from any address. Behind another proxy, set
# FORWARDED_ALLOW_IPS to that proxy's address. Django reads the scheme from the same header
# (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# What gunicorn accepts before Django sees a request. gunicorn refuses anything larger itself,
# with a bare page that carries none of Votr's headers (Content-Security-Policy, nosniff,
# X-Frame-Options), so its limits sit at the top of what a client may legitimately send, and
# Votr's own, tighter limits answer in Django (votr_project.middleware.RequestLimitsMiddleware:
# a 414 in the site's look for a URL over 2,048 characters).
# https://docs.gunicorn.org/en/stable/settings.html#security
# The request line (method, URL, protocol): gunicorn's maximum, 8190 bytes (its default is
# 4094), so that a URL between Votr's 2,048 and 8,190 gets Votr's 414; only one beyond that
# gets gunicorn's bare 414.
limit_request_line = 8190
# Header fields: a browser sends 10 to 20, Heroku's router adds 8 (X-Forwarded-*, X-Request-*,
# Via, Connect-Time, Total-Route-Time); 50 leaves room for proxies and extensions and halves
# gunicorn's default of 100, which bounds the headers buffered per request.
limit_request_fields = 50
# One header field: the biggest Votr receives is Cookie (its session, CSRF and messages
# cookies: under 3 KB, plus whatever a parent domain sets). 8190 bytes, gunicorn's default, is
# the header line limit of nginx, Apache and Heroku's router.
# https://kb.heroku.com/why-do-i-get-a-400-bad-request-response-when-i-have-large-cookies
limit_request_field_size = 8190

# Logs go to stdout, where the platform collects them. The access log is the one line per
# request: method, path without the query string (which may hold tokens), status, bytes,
# duration and the request id that votr_project.middleware echoes (the router's X-Request-ID,
# or one it made up), so a request can be followed from the router's log to the app's.
# gunicorn does not count bytes it hands to sendfile(), so static files log bytes=0.
accesslog = "-"
errorlog = "-"  # stderr, which honcho and Heroku collect alongside stdout
access_log_format = (
    'method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s '
    "request_id=%({x-request-id}o)s"
)

# Every value in the access line that a client chose (path, headers, query, method) is written
# escaped, as Apache's and nginx's logs do: `"` and `\` get a backslash, whitespace its C
# notation (\n, \r, \t), any other control or non-ASCII byte \xNN. A decoded path such as
# /api/x%0Amethod=POST… therefore stays on its line and cannot forge another. Each value is cut
# at _MAX_LOGGED_VALUE characters, so a long URL or header costs one short line.
# https://httpd.apache.org/docs/current/mod/mod_log_config.html#formats
_MAX_LOGGED_VALUE = 1000
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0x100)]}
_ESCAPES |= {
    ord('"'): '\\"',
    ord("\\"): "\\\\",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def _escape(value: str) -> str:
    """The log form of one value. WSGI strings hold one byte per character (PEP 3333); a
    character beyond Latin-1, if any, is written \\uNNNN."""
    escaped = value[:_MAX_LOGGED_VALUE].translate(_ESCAPES)
    escaped = escaped.encode("ascii", "backslashreplace").decode("ascii")
    return escaped + ("..." if len(value) > _MAX_LOGGED_VALUE else "")


class _EscapedAtoms(_SafeAtoms):
    """gunicorn's SafeAtoms (a missing atom reads "-"), escaping with _escape where gunicorn's
    only puts a backslash before quotes."""

    def __init__(self, atoms):
        dict.__init__(self, {k: _escape(v) if isinstance(v, str) else v for k, v in atoms.items()})


class _EscapingLogger(_Logger):
    atoms_wrapper_class = _EscapedAtoms


logger_class = _EscapingLogger

# gunicorn's runtime control socket lives at one path per user by default, so two servers on one
# machine (tests, review apps) would fight over it; Votr does not use it.
control_socket_disable = True
