"""Titles for forgiving search (see wiki.search): one SearchTitle row per page
(redirects included) with its match keys, and the trigram index that finds
titles close to a misspelt query.

PostgreSQL: the pg_trgm extension and a GIN gin_trgm_ops index on
match_key. SQLite: a table of each title's trigrams (raw SQL, like the FTS5
table of 0003_search). Existing pages are indexed here, with the same key
functions every later save uses.
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

SQLITE_CREATE = """
CREATE TABLE IF NOT EXISTS wiki_searchtitle_trigram (
    trigram TEXT NOT NULL,
    page_id INTEGER NOT NULL,
    PRIMARY KEY (trigram, page_id)
) WITHOUT ROWID
"""
SQLITE_PAGE_INDEX = (
    "CREATE INDEX IF NOT EXISTS wiki_searchtitle_trigram_page ON wiki_searchtitle_trigram (page_id)"
)


def create_titles(apps, schema_editor):
    from wiki.search import match_key, trigrams, words_key
    from wiki.titles import title_key

    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
        schema_editor.execute(SQLITE_PAGE_INDEX)
    Page = apps.get_model("wiki", "Page")
    SearchTitle = apps.get_model("wiki", "SearchTitle")
    rows = []
    for page_id, title, redirect_to in Page.objects.values_list("pk", "title", "redirect_to"):
        key = match_key(title)
        rows.append(
            SearchTitle(
                page_id=page_id,
                title=title,
                match_key=key,
                words_key=words_key(title),
                target_key=title_key(redirect_to or title),
            )
        )
        if vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO wiki_searchtitle_trigram (trigram, page_id) VALUES (%s, %s)",
                    [(trigram, page_id) for trigram in sorted(trigrams(key))],
                )
    SearchTitle.objects.bulk_create(rows, batch_size=500)


def drop_titles(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS wiki_searchtitle_trigram")


class AddIndexOnPostgres(migrations.AddIndex):
    """A trigram index exists on PostgreSQL only; the model state has it on
    every backend, so that makemigrations sees no change."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class TrigramExtensionOnPostgres(TrigramExtension):
    """Django's CreateExtension skips other databases going forwards but not
    backwards (it asks pg_extension), so unapplying this migration on SQLite
    would fail."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("wiki", "0008_problem_reports"),
    ]

    operations = [
        # Does nothing on other databases.
        TrigramExtensionOnPostgres(),
        migrations.CreateModel(
            name="SearchTitle",
            fields=[
                (
                    "page",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="wiki.page",
                    ),
                ),
                ("title", models.CharField(max_length=255)),
                ("match_key", models.CharField(db_index=True, max_length=255)),
                ("words_key", models.CharField(db_index=True, max_length=510)),
                ("target_key", models.CharField(max_length=255)),
            ],
        ),
        AddIndexOnPostgres(
            model_name="searchtitle",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass("match_key", name="gin_trgm_ops"),
                name="wiki_searchtitle_trigram_gin",
            ),
        ),
        migrations.RunPython(create_titles, drop_titles),
    ]
