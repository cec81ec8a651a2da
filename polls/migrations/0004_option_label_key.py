"""Labels are unique in a poll by a stored key, polls.labels.label_key, instead of PostgreSQL's
lower(label), which disagreed with the rule in the services (["I", "İ"]) and ignored look-alikes.

The key is stricter than lower(): existing options whose labels now count as the same label are
listed on the output, poll by poll. To let the constraint be added, the first option of each such
group (by position) keeps the key; the others get their key followed by "~ID<option id>", which
no real key can equal (keys are case-folded, so they never hold a capital). Their labels and
votes are left as they are; the next change of wording of such a poll (services.poll_reword)
must make its labels distinct first. A label whose key is empty (one that shows nothing) gets
"~ID<option id>" alone.
"""

import importlib

from django.db import migrations, models

from polls.labels import label_key

# SQLite rebuilds polls_option for the new field and constraints, which its triggers on
# polls_choice (they read polls_option) do not survive: they are dropped first, made again last.
choice_in_poll = importlib.import_module("polls.migrations.0002_choice_option_in_ballot_poll")

KEY_MAX_LENGTH = 400  # polls.labels.LABEL_KEY_MAX_LENGTH when this migration was written
BATCH_SIZE = 1000


def _unique_fallback(key: str, option_id: int) -> str:
    suffix = f"~ID{option_id}"
    return key[: KEY_MAX_LENGTH - len(suffix)] + suffix


def fill_label_keys(apps, schema_editor):
    Option = apps.get_model("polls", "Option")
    options = Option.objects.order_by("poll_id", "position", "id").only("id", "poll_id", "label")
    batch, poll_id, first_label, collisions = [], None, {}, []
    for option in options.iterator(chunk_size=BATCH_SIZE):
        if option.poll_id != poll_id:
            poll_id, first_label = option.poll_id, {}
        key = label_key(option.label)
        if key and key not in first_label:
            first_label[key] = option.label
            option.label_key = key
        else:
            if key:
                collisions.append((poll_id, first_label[key], option.label))
            option.label_key = _unique_fallback(key, option.id)
        batch.append(option)
        if len(batch) >= BATCH_SIZE:
            Option.objects.bulk_update(batch, ["label_key"])
            batch = []
    Option.objects.bulk_update(batch, ["label_key"])
    for poll_id, kept, other in collisions:
        print(
            f"\n  Poll {poll_id}: option {other!r} is now the same label as {kept!r}; "
            f"{kept!r} keeps the key (see polls/migrations/0004_option_label_key.py).",
            end="",
        )


def _on_sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


drop_sqlite_triggers = _on_sqlite(choice_in_poll.SQLITE_BACKWARD)
create_sqlite_triggers = _on_sqlite(choice_in_poll.SQLITE_FORWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0003_auditentry"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, create_sqlite_triggers),
        migrations.AddField(
            model_name="option",
            name="label_key",
            field=models.CharField(default="", editable=False, max_length=KEY_MAX_LENGTH),
            preserve_default=False,
        ),
        migrations.RunPython(fill_label_keys, migrations.RunPython.noop, elidable=True),
        migrations.RemoveConstraint(
            model_name="option",
            name="option_label_unique_in_poll_ignoring_case",
        ),
        migrations.AddConstraint(
            model_name="option",
            constraint=models.UniqueConstraint(
                fields=("poll", "label_key"), name="option_label_key_unique_in_poll"
            ),
        ),
        migrations.AddConstraint(
            model_name="option",
            constraint=models.CheckConstraint(
                condition=models.Q(("label_key", ""), _negated=True),
                name="option_label_key_not_blank",
            ),
        ),
        migrations.RunPython(create_sqlite_triggers, drop_sqlite_triggers),
    ]
