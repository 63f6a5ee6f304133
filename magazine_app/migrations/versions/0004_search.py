"""full-text search index of pages

SQLite: an FTS5 table over text folded and stemmed in Python; its rowid encodes the page
(issue id * 100000 + page number), see magazine_app/search/backends.py.
PostgreSQL: the unaccent extension, a `french_unaccent` text search configuration (french
with unaccent before the Snowball stemmer), a table of tsvectors with a GIN index.
Neither is a SQLAlchemy model: migrations/env.py and tests/core/test_migrations.py ignore
tables named search_pages*. Run `flask search reindex` after upgrading an instance that
already has issues.

Revision ID: 0004_search
Revises: 0003_staff
"""

from alembic import op

revision = "0004_search"
down_revision = "0003_staff"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # unaccent is a trusted extension (PostgreSQL >= 13): a database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")
        op.execute("CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french)")
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION french_unaccent "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
        )
        op.execute(
            "CREATE TABLE search_pages ("
            " page_id integer PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,"
            " issue_id integer NOT NULL REFERENCES issues (id) ON DELETE CASCADE,"
            " page_number integer NOT NULL,"
            " document tsvector NOT NULL)"
        )
        # fastupdate off: no pending list that every search must scan until autovacuum
        # merges it (an archive grows by an issue a week; searches are what must be fast).
        op.execute(
            "CREATE INDEX ix_search_pages_document ON search_pages "
            "USING gin (document) WITH (fastupdate = off)"
        )
        op.execute("CREATE INDEX ix_search_pages_issue_id ON search_pages (issue_id)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_pages USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )


def downgrade():
    op.execute("DROP TABLE IF EXISTS search_pages")
    if op.get_bind().dialect.name == "postgresql":
        # The unaccent extension stays: other objects of the database may use it.
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")
