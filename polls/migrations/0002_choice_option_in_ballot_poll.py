"""Make the database check that a choice's option and ballot belong to the choice's poll.

Django cannot declare a composite foreign key, so this adds two on PostgreSQL and the same
check as triggers on SQLite (which cannot add a foreign key to an existing table).
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """ALTER TABLE polls_choice ADD CONSTRAINT choice_option_in_poll
       FOREIGN KEY (option_id, poll_id) REFERENCES polls_option (id, poll_id) ON DELETE CASCADE""",
    """ALTER TABLE polls_choice ADD CONSTRAINT choice_ballot_in_poll
       FOREIGN KEY (ballot_id, poll_id) REFERENCES polls_ballot (id, poll_id) ON DELETE CASCADE""",
]
POSTGRESQL_BACKWARD = [
    "ALTER TABLE polls_choice DROP CONSTRAINT choice_ballot_in_poll",
    "ALTER TABLE polls_choice DROP CONSTRAINT choice_option_in_poll",
]

SQLITE_CHECK = """
    FOR EACH ROW WHEN
        NEW.poll_id IS NOT (SELECT poll_id FROM polls_option WHERE id = NEW.option_id)
        OR NEW.poll_id IS NOT (SELECT poll_id FROM polls_ballot WHERE id = NEW.ballot_id)
    BEGIN
        SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: choice_option_in_poll');
    END
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER choice_option_in_poll_insert BEFORE INSERT ON polls_choice {SQLITE_CHECK}",
    "CREATE TRIGGER choice_option_in_poll_update"
    f" BEFORE UPDATE OF ballot_id, option_id, poll_id ON polls_choice {SQLITE_CHECK}",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER choice_option_in_poll_update",
    "DROP TRIGGER choice_option_in_poll_insert",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def _run(schema_editor, direction):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"Votr supports PostgreSQL and SQLite, not {vendor}.")
    for statement in STATEMENTS[vendor][direction]:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, 0)


def backward(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("polls", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
