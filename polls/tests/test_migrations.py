"""Data migrations, run forward from the migration before them on a database with old rows."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from polls.labels import label_key

BEFORE_LABEL_KEY = [("polls", "0003_auditentry")]
LABEL_KEY = [("polls", "0004_option_label_key")]


@pytest.fixture
def old_schema(transactional_db):
    """The database as migration 0003 left it; the latest schema again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_LABEL_KEY)
    yield executor.loader.project_state(BEFORE_LABEL_KEY).apps
    call_command("migrate", "polls", verbosity=0)


def test_label_keys_are_filled_and_new_collisions_reported_and_set_apart(old_schema, capsys):
    User = old_schema.get_model("polls", "User")
    Poll = old_schema.get_model("polls", "Poll")
    Option = old_schema.get_model("polls", "Option")
    author = User.objects.create(username="author", email="author@example.com")
    now = timezone.now()

    def poll_with(*labels):
        poll = Poll.objects.create(
            title="Q?", author=author, created_at=now, closes_at=now + timedelta(days=1)
        )
        for position, label in enumerate(labels, start=1):
            Option.objects.create(poll=poll, label=label, position=position)
        return poll

    # Distinct under lower(label), the old rule; the same label under label_key.
    clash = poll_with("Yes", "No", "\u03a5es", "Ye\u200bs", "\u200b")
    fine = poll_with("Yes", "No")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(LABEL_KEY)

    options = executor.loader.project_state(LABEL_KEY).apps.get_model("polls", "Option")
    keys = dict(options.objects.filter(poll_id=fine.pk).values_list("label", "label_key"))
    assert keys == {"Yes": "yes", "No": "no"}
    rows = options.objects.filter(poll_id=clash.pk).order_by("position")
    assert [(o.label, o.label_key) for o in rows] == [
        ("Yes", "yes"),
        ("No", "no"),
        ("\u03a5es", f"yes~ID{rows[2].pk}"),
        ("Ye\u200bs", f"yes~ID{rows[3].pk}"),
        ("\u200b", f"~ID{rows[4].pk}"),
    ]
    assert label_key("\u03a5es") == "yes"
    report = capsys.readouterr().out
    assert f"Poll {clash.pk}: option '\u03a5es' is now the same label as 'Yes'" in report
    assert f"Poll {clash.pk}: option 'Ye\\u200bs' is now the same label as 'Yes'" in report
    assert f"Poll {clash.pk}: option '\\u200b' shows nothing" in report
    assert f"Poll {fine.pk}" not in report


BEFORE_LISTED_COUNTS = [("polls", "0010_poll_settings")]
LISTED_COUNTS = [("polls", "0011_listed_poll_counts")]


def poll_counter_row() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM polls_pollcounter WHERE id = 1")
        columns = [column[0] for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


@pytest.fixture
def before_listed_counts(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_LISTED_COUNTS)
    yield executor.loader.project_state(BEFORE_LISTED_COUNTS).apps
    call_command("migrate", "polls", verbosity=0)


def test_listed_counts_are_filled_and_kept_and_undone_with_the_migration(before_listed_counts):
    """0011 counts the polls already there, its triggers count new ones, and going back
    leaves 0009's triggers counting again."""
    User = before_listed_counts.get_model("polls", "User")
    Poll = before_listed_counts.get_model("polls", "Poll")
    author = User.objects.create(username="author", email="author@example.com")
    now = timezone.now()

    def poll(**fields):
        return Poll.objects.create(
            title="Q?", author=author, created_at=now, closes_at=now + timedelta(days=1), **fields
        )

    poll()
    poll(unlisted=True)
    poll(closed_at=now + timedelta(hours=1))
    poll(unlisted=True, closed_at=now + timedelta(hours=1))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(LISTED_COUNTS)
    assert poll_counter_row() == {
        "id": 1,
        "polls": 4,
        "unclosed": 2,
        "listed": 2,
        "listed_unclosed": 1,
    }

    listed = executor.loader.project_state(LISTED_COUNTS).apps.get_model("polls", "Poll")
    listed.objects.filter(unlisted=True, closed_at__isnull=True).update(unlisted=False)
    assert poll_counter_row()["listed_unclosed"] == 2

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(BEFORE_LISTED_COUNTS)
    assert poll_counter_row() == {"id": 1, "polls": 4, "unclosed": 2}
    poll()
    assert poll_counter_row() == {"id": 1, "polls": 5, "unclosed": 3}
