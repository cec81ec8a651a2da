"""The database cache's table (settings: "Cache"), so that `migrate` alone leaves a working site.

The same table `manage.py createcachetable` makes, created by Django's own code for it; a
database where that command already made it is left as it is. Made whatever the current cache
backend, so a site that drops REDIS_URL later still has it. The name is frozen here on purpose:
a migration must not change with the settings.
"""

import io

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "votr_cache"


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable(stdout=io.StringIO())
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0005_user_activation_pending"),
    ]

    operations = [
        # Not dropped on the way back: a deployment may have had it from createcachetable.
        migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=False),
    ]
