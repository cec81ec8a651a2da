"""A client-side deadline on every PostgreSQL round trip.

statement_timeout is enforced by the server and libpq's connect_timeout by a blocking connect;
neither helps when the server accepts a connection and then never answers, or stops answering
on a connection already open (persistent connections, CONN_MAX_AGE). psycopg2 hands the waiting
to a callback instead when one is set, so each wait here has a deadline: the connect timeout
while connecting, the statement timeout (plus a second for the server's own error to arrive)
for a statement. Past it the callback raises OperationalError and psycopg2 closes the
connection, so Django opens a fresh one next time.
https://www.psycopg.org/docs/extensions.html#psycopg2.extensions.set_wait_callback
"""

import contextlib
import select
import threading
import time

import psycopg2
from psycopg2 import extensions

# The server reports its own statement_timeout within this margin; only a hung one misses it.
SERVER_ERROR_GRACE = 1.0

_limits = {"connect": 0.0, "statement": 0.0}
_override = threading.local()


def _wait_with_deadline(conn) -> None:
    block_ends = getattr(_override, "ends", None)
    if block_ends is not None:
        seconds = _override.seconds
        deadline = block_ends
    elif conn.status == extensions.STATUS_SETUP:
        seconds = _limits["connect"]
        deadline = time.monotonic() + seconds if seconds else None
    else:
        seconds = _limits["statement"] and _limits["statement"] + SERVER_ERROR_GRACE
        deadline = time.monotonic() + seconds if seconds else None
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            events = select.POLLIN
        elif state == extensions.POLL_WRITE:
            events = select.POLLOUT
        else:
            raise psycopg2.OperationalError(f"unexpected state from poll(): {state}")
        poller = select.poll()
        # Registered afresh each time: while connecting, libpq may move to another socket.
        poller.register(conn.fileno(), events)
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and (remaining <= 0 or not poller.poll(remaining * 1000)):
            raise psycopg2.OperationalError(
                f"the database did not answer within {seconds:g} s (client-side deadline)"
            )


def install_deadlines(*, connect_seconds: float, statement_seconds: float) -> None:
    """Wait for PostgreSQL at most `connect_seconds` to connect and `statement_seconds` (plus
    SERVER_ERROR_GRACE) per statement, in this process; 0 means no deadline."""
    _limits.update(connect=float(connect_seconds), statement=float(statement_seconds))
    extensions.set_wait_callback(_wait_with_deadline)


@contextlib.contextmanager
def deadline(seconds: float):
    """Everything this thread waits for from PostgreSQL within the block (connecting, setting
    the session up, each statement) must be done `seconds` after the block starts: for a check
    that must answer quickly whatever the usual limits are."""
    previous = getattr(_override, "ends", None), getattr(_override, "seconds", None)
    _override.ends, _override.seconds = time.monotonic() + seconds, seconds
    try:
        yield
    finally:
        _override.ends, _override.seconds = previous


@contextlib.contextmanager
def statement_deadline_lifted():
    """Within the block, statements of this process have no client-side deadline (the migrate
    command); connecting keeps its own."""
    previous = _limits["statement"]
    _limits["statement"] = 0.0
    try:
        yield
    finally:
        _limits["statement"] = previous
