"""Full-text search of issues: index pages when an issue is processed, search the archive
and one issue through the gate, mark the hits.

Public API (domain functions: they add and flush, the caller commits):

    index_issue(issue)      (re)index an issue's pages; called by processing.record_manifest
    remove_issue(issue_id)  drop an issue from the index (call it when deleting an issue)
    reindex_all()           rebuild the whole index (`flask search reindex`)
    parse(q) -> Query       what the reader typed; never raises
    search_archive(query, viewer, now, filters, page) -> Results  (viewer: access.Viewer)
    search_issue(query, issue, access) -> [Hit]   (only readable pages are searched)

Engines: SQLite FTS5 (embedded default) and PostgreSQL full-text search; see backends.py.
"""

from __future__ import annotations

from sqlalchemy import select

from magazine_app.core.extensions import db
from magazine_app.models import Issue, IssueStatus
from magazine_app.search import backends
from magazine_app.search.query import MAX_QUERY_CHARS, Matcher, Query, Term, parse
from magazine_app.search.results import (
    Filters,
    Hit,
    IssueResult,
    Results,
    search_archive,
    search_issue,
    years,
)

__all__ = [
    "MAX_QUERY_CHARS",
    "Filters",
    "Hit",
    "IssueResult",
    "Matcher",
    "Query",
    "Results",
    "Term",
    "index_issue",
    "parse",
    "reindex_all",
    "remove_issue",
    "search_archive",
    "search_issue",
    "years",
]


def index_issue(issue: Issue) -> int:
    """Replace the issue's pages in the index with its current pages (in the caller's
    transaction, so a failed re-processing leaves the old index with the old pages)."""
    count = backends.for_session(db.session).index_pages(db.session, issue)
    db.session.flush()
    return count


def remove_issue(issue_id: int) -> None:
    """Drop an issue's pages from the index. On PostgreSQL deleting the issue's pages does it
    too (foreign key); SQLite's FTS5 table has no foreign keys, so call this on deletion."""
    backends.for_session(db.session).remove_issue(db.session, issue_id)
    db.session.flush()


def reindex_all() -> tuple[int, int]:
    """Rebuild the index from every processed issue; returns (issues, pages)."""
    backend = backends.for_session(db.session)
    backend.clear(db.session)
    issues = pages = 0
    for issue in db.session.scalars(
        select(Issue).where(Issue.status == IssueStatus.READY).order_by(Issue.id)
    ):
        pages += backend.index_pages(db.session, issue)
        issues += 1
        db.session.expire(issue)  # keep memory flat on a large archive
    db.session.flush()
    return issues, pages


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic filter: the index tables (search_pages and FTS5's shadow tables) are made by
    migration 0004_search, not by models, so autogenerate and the models/migrations check
    must not see them."""
    return not (type_ == "table" and (name or "").startswith(backends.TABLE))
