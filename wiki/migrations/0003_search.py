"""Full-text search (see wiki.search).

PostgreSQL: the search_vector column and its GIN index. SQLite: an FTS5 table
(the column exists there too, always null, so one model serves both). Existing
pages are indexed from their raw text here; `manage.py rebuildsearch` indexes
the rendered text that every later save writes.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

# Compressed vectors stay in the row (out of line only when a row cannot fit
# a page otherwise): ranking thousands of matches then reads no TOAST table,
# which made a search for a common word several times slower.
POSTGRES_STORAGE = "ALTER TABLE wiki_page ALTER COLUMN search_vector SET STORAGE MAIN"
POSTGRES_BACKFILL = """
UPDATE wiki_page SET search_vector =
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', CASE WHEN redirect_to = '' THEN body ELSE '' END), 'B')
"""
# A content page fills title and body; a redirect fills redirect_title only.
SQLITE_CREATE = """
CREATE VIRTUAL TABLE IF NOT EXISTS wiki_page_fts USING fts5(
    title, body, redirect_title, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""
SQLITE_BACKFILL = """
INSERT INTO wiki_page_fts (rowid, title, body, redirect_title)
SELECT id,
    CASE WHEN redirect_to = '' THEN title ELSE '' END,
    CASE WHEN redirect_to = '' THEN body ELSE '' END,
    CASE WHEN redirect_to = '' THEN '' ELSE title END
FROM wiki_page
"""


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_STORAGE)
        schema_editor.execute(POSTGRES_BACKFILL)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
        schema_editor.execute(SQLITE_BACKFILL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS wiki_page_fts")


class AddIndexOnPostgres(migrations.AddIndex):
    """A GIN index exists on PostgreSQL only; the model state has it on every
    backend, so that makemigrations sees no change."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("wiki", "0002_moderators_and_site_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="page",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create_index, drop_index),
        AddIndexOnPostgres(
            model_name="page",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="wiki_page_search_gin"
            ),
        ),
        AddIndexOnPostgres(
            model_name="page",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("title", config="english"),
                name="wiki_page_title_search_gin",
            ),
        ),
    ]
