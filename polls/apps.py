from django.apps import AppConfig
from django.conf import settings

from votr_project.database import install_deadlines


class PollsConfig(AppConfig):
    name = "polls"
    verbose_name = "Polls"

    def ready(self):
        # Every process (web, worker, manage.py) waits for PostgreSQL with a deadline.
        if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
            install_deadlines(
                connect_seconds=settings.DB_CONNECT_TIMEOUT,
                statement_seconds=settings.DB_STATEMENT_TIMEOUT,
            )
