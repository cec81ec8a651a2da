"""Django's migrate, exempt from the statement timeout that requests and tasks run under.

Later migrations backfill whole tables, which may take longer than a request is allowed to; an
operator running `manage.py migrate` by hand (`heroku run python manage.py migrate`) gets the same
exemption as the release phase. The connect deadline still applies, and the limits come back when
the command ends (the test runner migrates in the same process as the tests).
"""

import re

from django.core.management.commands import migrate
from django.db import connections

from votr_project.database import statement_deadline_lifted

STATEMENT_TIMEOUT_OPTION = re.compile(r"\s*-c\s*statement_timeout=\S+")


class Command(migrate.Command):
    def handle(self, *args, **options):
        originals = {}
        for connection in connections.all():
            settings_options = connection.settings_dict.get("OPTIONS", {})
            if STATEMENT_TIMEOUT_OPTION.search(settings_options.get("options", "")):
                connection.close()  # the next connection opens without the server-side limit
                originals[connection] = settings_options["options"]
                settings_options["options"] = STATEMENT_TIMEOUT_OPTION.sub(
                    "", settings_options["options"]
                ).strip()
        try:
            with statement_deadline_lifted():
                return super().handle(*args, **options)
        finally:
            for connection, original in originals.items():
                connection.close()
                connection.settings_dict["OPTIONS"]["options"] = original
