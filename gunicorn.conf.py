"""gunicorn's configuration for the Procfile's `web` process (gunicorn reads this file by default
from the directory it starts in). Every value comes from the platform's environment, so the
same file serves Heroku, any other Procfile host and the Procfile test.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os

# The router sends traffic to $PORT on every interface of the dyno.
# https://devcenter.heroku.com/articles/dyno-startup-behavior#port-binding-of-web-dynos
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Heroku sets WEB_CONCURRENCY from the dyno's memory; elsewhere set it to about 2 x cores.
# Votr's requests are short database round-trips, which sync workers handle well.
# https://devcenter.heroku.com/articles/python-gunicorn
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"

# Heroku's router drops a request after 30 s (H12). Kill a stuck worker before that, so its log
# line says what happened and the worker is replaced.
# https://devcenter.heroku.com/articles/request-timeout
timeout = 25
# On SIGTERM (a deploy, a restart, Ctrl-C under honcho) workers finish the requests they hold,
# for at most this long. Heroku sends SIGKILL 30 s after SIGTERM.
# https://devcenter.heroku.com/articles/dynos#graceful-shutdown-with-sigterm
graceful_timeout = 20
# Idle keep-alive connections from the router are kept this long.
keepalive = 5

# The router terminates TLS and says so in X-Forwarded-Proto. Only the router can reach a dyno,
# so its forwarded headers are trusted from any address. Behind another proxy, set
# FORWARDED_ALLOW_IPS to that proxy's address. Django reads the scheme from the same header
# (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

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
# gunicorn's runtime control socket lives at one path per user by default, so two servers on one
# machine (tests, review apps) would fight over it; Votr does not use it.
control_socket_disable = True
