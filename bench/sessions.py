"""Signed-in sessions for the page vote, made as Django makes them (SessionStore's signed
encoding, the user's session hash) and written in bulk.

    python -m bench.sessions FIRST COUNT    (run by bench/run.py, with the web environment)

User i's session key is bench.load.session_key(i), which bench/lua/page_vote.lua sends.
"""

import sys
from datetime import timedelta

import django

django.setup()

from django.contrib import auth  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.load import PASSWORD, session_key  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"


def create(first: int, count: int) -> None:
    # Every bench user has the same password field, so the same session hash.
    session_hash = auth.get_user_model()(password=PASSWORD).get_session_auth_hash()
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    Session.objects.bulk_create(
        (
            Session(
                session_key=session_key(user),
                session_data=store.encode(
                    {
                        auth.SESSION_KEY: str(user),
                        auth.BACKEND_SESSION_KEY: BACKEND,
                        auth.HASH_SESSION_KEY: session_hash,
                    }
                ),
                expire_date=expires,
            )
            for user in range(first, first + count)
        ),
        batch_size=5000,
    )


if __name__ == "__main__":
    create(int(sys.argv[1]), int(sys.argv[2]))
