"""The two full-text engines behind one small interface.

Both keep one row per page in a table named `search_pages` (created by migration
0004_search, not a SQLAlchemy model) and answer `hits(query, issue_id=None, pages=None)`: a
subquery of (issue_id, page_number, score), lower score = more relevant. `pages` (first,
last) restricts one issue's search to the pages the gate lets the reader read, inside the
engine's own WHERE clause: the text of the other pages is never even matched.

* SQLite (the embedded default): an FTS5 table with one indexed column and nothing else: its
  rowid encodes the page (issue_id * PAGE_SLOTS + page number), so a hit's issue and page
  cost no lookup at all (reading stored columns of 4,000 hits costs more than ranking them)
  and an issue's rows are one rowid range. FTS5 has no French stemmer, so it indexes text
  already folded and stemmed in Python (text.index_text), with the `unicode61
  remove_diacritics 2` tokenizer as a second line of defence; queries are stemmed the same
  way. Relevance: bm25() (FTS5's `rank`).
* PostgreSQL: a tsvector column with a GIN index, built with the `french_unaccent`
  configuration (a copy of `french` whose word mappings run `unaccent` before the French
  Snowball stemmer). Python only splits and folds words (text.folded_text), so both engines
  see the same words; PostgreSQL stems them and drops stop words. Queries are built from
  plainto_tsquery / phraseto_tsquery / to_tsquery(':*') with bound parameters.
  Relevance: -ts_rank(document, query) (no length normalisation: pages are alike in length).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Float, Integer, column, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from magazine_app.models import Issue
from magazine_app.search.query import Query, Term
from magazine_app.search.text import folded_text, index_text

TABLE = "search_pages"
PG_CONFIG = "french_unaccent"
PAGE_SLOTS = 100_000  # SQLite rowid = issue_id * PAGE_SLOTS + page number (MAX_PDF_PAGES: 400)


class Backend(Protocol):
    def index_pages(self, session: Session, issue: Issue) -> int: ...

    def remove_issue(self, session: Session, issue_id: int) -> None: ...

    def clear(self, session: Session) -> None: ...

    def hits(
        self, query: Query, issue_id: int | None = None, pages: tuple[int, int] | None = None
    ) -> Subquery: ...


def _span(pages: tuple[int, int] | None) -> tuple[int, int]:
    """(first, last) page numbers to search, clamped to what the index can hold."""
    first, last = pages or (1, PAGE_SLOTS - 1)
    return max(first, 1), min(last, PAGE_SLOTS - 1)


def _columns(stmt: Any) -> Subquery:
    return stmt.columns(
        column("issue_id", Integer),
        column("page_number", Integer),
        column("score", Float),
    ).subquery("hits")


class SQLiteBackend:
    name = "sqlite"

    def index_pages(self, session: Session, issue: Issue) -> int:
        self.remove_issue(session, issue.id)
        rows = []
        for page in issue.pages:
            if not 0 < page.number < PAGE_SLOTS:
                raise ValueError(f"page number {page.number} does not fit the search index")
            rows.append(
                {"rowid": issue.id * PAGE_SLOTS + page.number, "body": index_text(page.text)}
            )
        if rows:
            # OR REPLACE: a row left by a deleted issue whose id SQLite reused is replaced.
            session.execute(
                text(f"INSERT OR REPLACE INTO {TABLE} (rowid, body) VALUES (:rowid, :body)"),  # noqa: S608
                rows,
            )
        return len(rows)

    def remove_issue(self, session: Session, issue_id: int) -> None:
        session.execute(
            text(f"DELETE FROM {TABLE} WHERE rowid BETWEEN :lo AND :hi"),  # noqa: S608
            {"lo": issue_id * PAGE_SLOTS, "hi": (issue_id + 1) * PAGE_SLOTS - 1},
        )

    def clear(self, session: Session) -> None:
        session.execute(text(f"DELETE FROM {TABLE}"))  # noqa: S608

    @staticmethod
    def match_expression(query: Query) -> str:
        """The FTS5 MATCH string. Every token is a quoted string of [a-z0-9] (folded, then
        stemmed), so no user input can reach FTS5's syntax."""

        def render(term: Term) -> str:
            body = '"' + " ".join(term.stems) + '"'
            return body + "*" if term.prefix else body

        expr = " AND ".join(render(t) for t in query.positive)
        for term in query.negative:
            expr += f" NOT {render(term)}"
        return expr

    def hits(
        self, query: Query, issue_id: int | None = None, pages: tuple[int, int] | None = None
    ) -> Subquery:
        params: dict[str, Any] = {"match": self.match_expression(query)}
        where = f"{TABLE} MATCH :match"
        if issue_id is not None:
            # A rowid range: FTS5 reads only these pages' entries of this issue.
            first, last = _span(pages)
            where += " AND rowid BETWEEN :lo AND :hi"
            params.update(lo=issue_id * PAGE_SLOTS + first, hi=issue_id * PAGE_SLOTS + last)
        stmt = text(
            f"SELECT rowid / {PAGE_SLOTS} AS issue_id, rowid % {PAGE_SLOTS} AS page_number, "  # noqa: S608
            f"rank AS score FROM {TABLE} WHERE {where}"
        ).bindparams(**params)
        return _columns(stmt)


class PostgresBackend:
    name = "postgresql"

    def index_pages(self, session: Session, issue: Issue) -> int:
        self.remove_issue(session, issue.id)
        rows = [
            {
                "page_id": page.id,
                "issue_id": issue.id,
                "page_number": page.number,
                "body": folded_text(page.text),
            }
            for page in issue.pages
        ]
        if rows:
            session.execute(
                text(
                    f"INSERT INTO {TABLE} (page_id, issue_id, page_number, document) "  # noqa: S608
                    "VALUES (:page_id, :issue_id, :page_number, "
                    f"to_tsvector('{PG_CONFIG}', :body)) "
                    "ON CONFLICT (page_id) DO UPDATE SET issue_id = EXCLUDED.issue_id, "
                    "page_number = EXCLUDED.page_number, document = EXCLUDED.document"
                ),
                rows,
            )
        return len(rows)

    def remove_issue(self, session: Session, issue_id: int) -> None:
        session.execute(text(f"DELETE FROM {TABLE} WHERE issue_id = :i"), {"i": issue_id})  # noqa: S608

    def clear(self, session: Session) -> None:
        session.execute(text(f"DELETE FROM {TABLE}"))  # noqa: S608

    @staticmethod
    def tsquery(query: Query) -> tuple[str, dict[str, Any]]:
        """A tsquery SQL expression and its parameters. Words are folded [a-z0-9] runs, so
        ':*' appended to a bound word is always a valid to_tsquery() argument."""
        params: dict[str, Any] = {}

        def render(n: int, term: Term) -> str:
            key = f"t{n}"
            if term.prefix:
                *head, last = term.words
                params[key] = last + ":*"
                pre = f"to_tsquery('{PG_CONFIG}', :{key})"
                if head:
                    params[key + "h"] = " ".join(head)
                    return f"(phraseto_tsquery('{PG_CONFIG}', :{key}h) <-> {pre})"
                return pre
            params[key] = " ".join(term.words)
            fn = "phraseto_tsquery" if term.is_phrase else "plainto_tsquery"
            return f"{fn}('{PG_CONFIG}', :{key})"

        parts = [render(n, t) for n, t in enumerate(query.terms) if not t.negated]
        parts += [f"!!{render(n, t)}" for n, t in enumerate(query.terms) if t.negated]
        return "(" + " && ".join(parts) + ")", params

    def hits(
        self, query: Query, issue_id: int | None = None, pages: tuple[int, int] | None = None
    ) -> Subquery:
        expr, params = self.tsquery(query)
        where = f"document @@ {expr}"
        if issue_id is not None:
            first, last = _span(pages)
            where += " AND issue_id = :issue_id AND page_number BETWEEN :lo AND :hi"
            params.update(issue_id=issue_id, lo=first, hi=last)
        stmt = text(
            f"SELECT issue_id, page_number, -ts_rank(document, {expr}) AS score "  # noqa: S608
            f"FROM {TABLE} WHERE {where}"
        ).bindparams(**params)
        return _columns(stmt)


def for_session(session: Session) -> Backend:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostgresBackend()
    if dialect == "sqlite":
        return SQLiteBackend()
    raise RuntimeError(f"full-text search is not implemented for {dialect}")
