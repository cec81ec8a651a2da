"""Labels are unique in a poll by a stored key, polls.labels.label_key, instead of PostgreSQL's
lower(label), which disagreed with the rule in the services (["I", "İ"]) and ignored look-alikes.

The key is stricter than lower(): existing options whose labels now count as the same label are
listed on the output, poll by poll. To let the constraint be added, the first option of each such
group (by position) keeps the key; the others get a stand-in key, their key followed by
"~ID<option id>", which no real key can equal (keys are case-folded, so they never hold a
capital). A label whose key is empty (one that shows nothing) is listed too and gets
"~ID<option id>" alone. Labels and votes are left as they are; the next change of wording of
such a poll (services.poll_reword) must make its labels distinct first, and then rewrites the
stand-in keys.
"""

import importlib

from django.db import migrations, models

from polls.labels import label_key

# SQLite rebuilds polls_option for the new field and constraints, which its triggers on
# polls_choice (they read polls_option) do not survive: they are dropped first, made again last.
choice_in_poll = importlib.import_module("polls.migrations.0002_choice_option_in_ballot_poll")

KEY_MAX_LENGTH = 400  # polls.labels.LABEL_KEY_MAX_LENGTH when this migration was written
POLLS_PER_BATCH = 500


def _unique_fallback(key: str, option_id: int) -> str:
    suffix = f"~ID{option_id}"
    return key[: KEY_MAX_LENGTH - len(suffix)] + suffix


def _keyed(options) -> tuple[list, list[str]]:
    """The options (of one poll, in order) with their keys set, and what to report."""
    first_label, report = {}, []
    for option in options:
        key = label_key(option.label)
        if key and key not in first_label:
            first_label[key] = option.label
            option.label_key = key
            continue
        if key:
            report.append(f"option {option.label!r} is now the same label as {first_label[key]!r}")
        else:
            report.append(f"option {option.label!r} shows nothing")
        option.label_key = _unique_fallback(key, option.id)
    return options, report


def fill_label_keys(apps, schema_editor):
    Poll = apps.get_model("polls", "Poll")
    Option = apps.get_model("polls", "Option")
    poll_ids = list(Poll.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(poll_ids), POLLS_PER_BATCH):
        batch = poll_ids[start : start + POLLS_PER_BATCH]
        options = Option.objects.filter(poll_id__in=batch).only("id", "poll_id", "label")
        per_poll = {}
        for option in options.order_by("poll_id", "position", "id"):
            per_poll.setdefault(option.poll_id, []).append(option)
        changed = []
        for poll_id, poll_options in per_poll.items():
            keyed, report = _keyed(poll_options)
            changed += keyed
            for line in report:
                print(f"\n  Poll {poll_id}: {line}; it gets a stand-in key.", end="")
        Option.objects.bulk_update(changed, ["label_key"], batch_size=1000)


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
