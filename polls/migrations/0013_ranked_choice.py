"""Ranked-choice polls: the poll's voting method, a rank on each choice of a ranked ballot
(none on a chosen one), a count per distinct ranking, and the stored tally of a closed poll.

A ranked ballot's ranks are distinct (a unique constraint) and gapless: 1 to its number of
choices. No constraint can say "gapless" across rows, so triggers check that a ballot's ranked
choices number as many as its highest rank. On PostgreSQL the check of a written choice is a
constraint trigger deferred to the commit, so a ballot whose choices are rewritten (a vote
change) is checked as the transaction leaves it; a deletion is checked at the end of its
statement, once for all the rows it deleted. SQLite has no deferred triggers: there the check runs as
each ranked choice is written (the services write a ballot's ranks in order, 1 first).

SQLite rebuilds polls_poll and polls_choice for the new columns, dropping the triggers that
name them (0002's, made again by 0004's helpers, and 0011's poll counters): they are dropped
first and made again last, as in 0012.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

label_key_migration = importlib.import_module("polls.migrations.0004_option_label_key")
counter_migration = importlib.import_module("polls.migrations.0009_poll_counter")
listed_migration = importlib.import_module("polls.migrations.0011_listed_poll_counts")
drop_counter_triggers = counter_migration.run({"sqlite": listed_migration.SQLITE_BACKWARD})
create_counter_triggers = counter_migration.run({"sqlite": listed_migration.SQLITE_FORWARD})

POSTGRESQL_FORWARD = [
    """CREATE FUNCTION polls_choice_ranks_gapless() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        changed_ballot bigint;
    BEGIN
        IF TG_OP = 'DELETE' THEN changed_ballot := OLD.ballot_id;
        ELSE changed_ballot := NEW.ballot_id;
        END IF;
        IF EXISTS (
            SELECT 1 FROM polls_choice WHERE ballot_id = changed_ballot AND rank IS NOT NULL
            HAVING COUNT(*) <> MAX(rank)
        ) THEN
            RAISE EXCEPTION USING
                MESSAGE = 'ranks of ballot ' || changed_ballot || ' are not 1 to its count',
                ERRCODE = 'check_violation',
                CONSTRAINT = 'choice_ranks_gapless';
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE CONSTRAINT TRIGGER choice_ranks_gapless_write
        AFTER INSERT OR UPDATE OF rank, ballot_id ON polls_choice
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (NEW.rank IS NOT NULL)
        EXECUTE FUNCTION polls_choice_ranks_gapless()""",
    # A deletion is checked once per statement, not per row: a poll's or an account's
    # thousands of ballots deleted at once queue no event per choice. Only ballots that keep
    # ranked choices can have a gap; a whole ballot deleted has none left.
    """CREATE FUNCTION polls_choice_ranks_gapless_after_delete() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM polls_choice
            WHERE ballot_id IN (SELECT ballot_id FROM gone WHERE rank IS NOT NULL)
                AND rank IS NOT NULL
            GROUP BY ballot_id HAVING COUNT(*) <> MAX(rank)
        ) THEN
            RAISE EXCEPTION USING
                MESSAGE = 'a deletion left ranks that are not 1 to their count',
                ERRCODE = 'check_violation',
                CONSTRAINT = 'choice_ranks_gapless';
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER choice_ranks_gapless_delete AFTER DELETE ON polls_choice
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
        EXECUTE FUNCTION polls_choice_ranks_gapless_after_delete()""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER choice_ranks_gapless_delete ON polls_choice",
    "DROP TRIGGER choice_ranks_gapless_write ON polls_choice",
    "DROP FUNCTION polls_choice_ranks_gapless_after_delete()",
    "DROP FUNCTION polls_choice_ranks_gapless()",
]

SQLITE_CHECK = """
    FOR EACH ROW WHEN NEW.rank IS NOT NULL AND (
        SELECT COUNT(*) <> MAX(rank) FROM polls_choice
        WHERE ballot_id = NEW.ballot_id AND rank IS NOT NULL
    )
    BEGIN
        SELECT RAISE(ABORT, 'CHECK constraint failed: choice_ranks_gapless');
    END
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER choice_ranks_gapless_insert AFTER INSERT ON polls_choice {SQLITE_CHECK}",
    "CREATE TRIGGER choice_ranks_gapless_update"
    f" AFTER UPDATE OF rank, ballot_id ON polls_choice {SQLITE_CHECK}",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER choice_ranks_gapless_update",
    "DROP TRIGGER choice_ranks_gapless_insert",
]

ranks_gapless_forward = counter_migration.run(
    {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}
)
ranks_gapless_backward = counter_migration.run(
    {"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}
)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0012_anonymous_voting"),
    ]

    operations = [
        migrations.RunPython(
            label_key_migration.drop_sqlite_triggers, label_key_migration.create_sqlite_triggers
        ),
        migrations.RunPython(drop_counter_triggers, create_counter_triggers),
        migrations.CreateModel(
            name="RankingCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("ranking", models.CharField(max_length=400)),
                ("ballots", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="StoredTally",
            fields=[
                (
                    "poll",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="stored_tally",
                        serialize=False,
                        to="polls.poll",
                    ),
                ),
                ("revision", models.PositiveBigIntegerField()),
                ("tally", models.JSONField()),
            ],
        ),
        migrations.AddField(
            model_name="poll",
            name="rank_all",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="poll",
            name="voting_method",
            field=models.CharField(
                choices=[("choice", "Choose options"), ("ranked", "Ranked choice")],
                db_default="choice",
                default="choice",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="choice",
            name="rank",
            field=models.PositiveSmallIntegerField(blank=True, default=None, null=True),
        ),
        # Chosen ballots' choices had rank 1 each; they have no rank now (their options are
        # not in an order), which the new one-rank-per-ballot constraint needs.
        migrations.RunSQL(
            "UPDATE polls_choice SET rank = NULL", reverse_sql="UPDATE polls_choice SET rank = 1"
        ),
        migrations.AddConstraint(
            model_name="choice",
            constraint=models.UniqueConstraint(
                fields=("ballot", "rank"), name="choice_rank_once_per_ballot"
            ),
        ),
        migrations.AddConstraint(
            model_name="choice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("rank__isnull", True),
                    models.Q(("rank__gte", 1), ("rank__lte", 20)),
                    _connector="OR",
                ),
                name="choice_rank_in_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="poll",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("voting_method__in", ["choice", "ranked"]),
                    models.Q(
                        models.Q(("rank_all", False), ("voting_method", "choice")),
                        models.Q(
                            ("max_choices", 1), ("min_choices", 1), ("voting_method", "ranked")
                        ),
                        _connector="OR",
                    ),
                ),
                name="poll_voting_method_valid",
            ),
        ),
        migrations.AddField(
            model_name="rankingcount",
            name="poll",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="ranking_counts",
                to="polls.poll",
            ),
        ),
        migrations.AddConstraint(
            model_name="rankingcount",
            constraint=models.UniqueConstraint(
                fields=("poll", "ranking"), name="ranking_count_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="rankingcount",
            constraint=models.CheckConstraint(
                condition=models.Q(("ranking", ""), _negated=True), name="ranking_count_not_blank"
            ),
        ),
        migrations.RunPython(
            label_key_migration.create_sqlite_triggers, label_key_migration.drop_sqlite_triggers
        ),
        migrations.RunPython(create_counter_triggers, drop_counter_triggers),
        migrations.RunPython(ranks_gapless_forward, ranks_gapless_backward),
    ]
