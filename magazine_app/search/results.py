"""Searching the archive and one issue, through the gate.

The gate (access.access_for) decides first, issue by issue, which pages this reader may
read; the engines then search those pages only, inside their own SQL (a page range per
issue), so the pages the reader may not read are never matched: no page number, count,
rank, snippet or rectangle of theirs reaches the answer, and they cost the engine (almost)
nothing to measure. One deliberate, coarse exception: for a single whole word, the archive
search may say that an issue has more results in the subscribers' pages (yes or no: no
count, no page number). Which issues are searched at all is the gate's list condition
(access.visible_issues): readers find published issues, staff every processed one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import load_only
from sqlalchemy.sql import Subquery

from magazine_app.access import Access, Level, Viewer, access_for, visible_issues
from magazine_app.core.extensions import db
from magazine_app.models import Issue, Page, Publication
from magazine_app.search import backends, highlight
from magazine_app.search.query import Matcher, Query

Span = tuple[int, int]  # (first, last) page numbers, inclusive

PER_PAGE = 10  # issues per results page
HITS_PER_ISSUE = 5  # pages shown under each issue (the best ones, in page order)


@dataclass(frozen=True)
class Hit:
    """A page the reader may read that matches the query (there are no others)."""

    page: int
    label: str
    snippet: Markup | None = None
    thumb: dict[str, Any] | None = None  # the page's thumb rendition
    rects: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class IssueResult:
    issue: Issue
    access: Access
    hits: list[Hit]
    hit_count: int  # readable pages that match
    # Single whole word only: the word is also on a page this reader may not read.
    more_for_subscribers: bool = False

    @property
    def more(self) -> int:
        return self.hit_count - len(self.hits)


@dataclass(frozen=True)
class Filters:
    publication: Publication | None = None
    year: int | None = None


@dataclass(frozen=True)
class Results:
    query: Query
    issues: list[IssueResult]
    total_issues: int
    total_hits: int
    page: int
    per_page: int
    # Single whole word only: issues not listed (no readable page matches) have the word on
    # pages this reader may not read.
    more_for_subscribers_elsewhere: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_issues // self.per_page))


# What the gate needs of an issue (and the ranking): the archive's issues are loaded light.
_GATE_COLUMNS = (
    Issue.id,
    Issue.publication_id,
    Issue.number,
    Issue.release_date,
    Issue.publish_at,
    Issue.status,
    Issue.preview_pages,
)


def search_archive(
    query: Query,
    viewer: Viewer,
    now: datetime,
    filters: Filters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """Matching issues, best first (best page's relevance, then the newest issue), each
    with its best pages; paginated by issue. Only the pages this reader may read are
    searched, ranked and counted. `viewer`: who searches (access.Viewer: a user, None for
    an anonymous visitor, or the staff console)."""
    filters = filters or Filters()
    page = max(1, page)
    if query.is_empty:
        return Results(query, [], 0, 0, page, per_page)
    # The gate first, for every issue this reader may find (a few hundred light objects):
    # which pages of each may be searched at all, grouped by range for the SQL below.
    visible = select(Issue).options(load_only(*_GATE_COLUMNS)).where(visible_issues(viewer, now))
    if filters.publication is not None:
        visible = visible.where(Issue.publication_id == filters.publication.id)
    if filters.year is not None:
        visible = visible.where(
            Issue.release_date.between(date(filters.year, 1, 1), date(filters.year, 12, 31))
        )
    order: dict[int, tuple[int, int]] = {}  # (recency, number) of the searchable issues
    accesses: dict[int, Access] = {}
    readable: dict[Span, list[int]] = {}  # range of readable pages -> issues
    locked_from: dict[int, list[int]] = {}  # first page the reader may not read -> issues
    for issue in db.session.scalars(visible):
        access = access_for(viewer, issue, now)
        if access.level is Level.NONE:
            continue  # defence in depth: the SQL filter already left these out
        span = access.readable_pages(issue)
        if span is not None:
            readable.setdefault(span, []).append(issue.id)
            accesses[issue.id] = access
            release = issue.release_date
            order[issue.id] = (-(release.toordinal() if release else 0), -issue.number)
        if access.level is not Level.FULL:
            locked_from.setdefault(span[1] + 1 if span else 1, []).append(issue.id)
    hits = backends.for_session(db.session).hits(query)
    # One pass over the index, limited in SQL to readable pages: every such matching page
    # with its score. Grouping and paging a few thousand small rows in Python is cheaper
    # than asking the engine to rank twice; Core rows, not ORM objects.
    pages_of: dict[int, list[tuple[float, int]]] = {}
    best: dict[int, float] = {}
    if readable:
        stmt = select(hits.c.issue_id, hits.c.page_number, hits.c.score).where(
            _within(hits, readable)
        )
        for issue_id, number, score in db.session.connection().execute(stmt):
            if issue_id not in order:
                continue
            found = pages_of.get(issue_id)
            if found is None:
                found = pages_of[issue_id] = []
                best[issue_id] = score
            elif score < best[issue_id]:
                best[issue_id] = score
            found.append((score, number))
    # Only for one whole word, and only yes or no per issue: which issues also have it on
    # pages this reader may not read. Any finer query never touches those pages.
    locked_ids: set[int] = set()
    if query.is_single_word and locked_from:
        stmt = select(hits.c.issue_id).where(_beyond(hits, locked_from)).distinct()
        locked_ids = set(db.session.connection().execute(stmt).scalars())
    elsewhere = bool(locked_ids - pages_of.keys())
    keys = {i: (score, *order[i]) for i, score in best.items()}
    # Best page first, then the newest issue (undated last), then the higher number.
    ranked = sorted(keys, key=keys.__getitem__)
    total_hits = sum(len(v) for v in pages_of.values())
    shown = ranked[(page - 1) * per_page : page * per_page]
    if not shown:
        return Results(query, [], len(ranked), total_hits, page, per_page, elsewhere)
    # Publications first: each issue's many-to-one then comes from the identity map. The
    # light issues loaded above get their other columns here.
    list(db.session.scalars(select(Publication)))
    issues = {i.id: i for i in db.session.scalars(select(Issue).where(Issue.id.in_(shown)))}
    wanted: list[tuple[Issue, Access, list[int]]] = []
    for issue_id in shown:
        top = sorted(pages_of[issue_id])[:HITS_PER_ISSUE]
        wanted.append((issues[issue_id], accesses[issue_id], sorted(n for _, n in top)))
    built = _build_hits(wanted, Matcher(query), with_rects=False)
    results = [
        IssueResult(issue, access, built[issue.id], len(pages_of[issue.id]), issue.id in locked_ids)
        for issue, access, _ in wanted
    ]
    return Results(query, results, len(ranked), total_hits, page, per_page, elsewhere)


def search_issue(query: Query, issue: Issue, access: Access) -> list[Hit]:
    """Hits in one issue, in page order, with snippet and rectangles. Only the pages this
    reader may read are searched: of the others, nothing, not even whether they match."""
    span = access.readable_pages(issue)
    if query.is_empty or span is None:
        return []
    hits = backends.for_session(db.session).hits(query, issue_id=issue.id, pages=span)
    numbers = list(db.session.scalars(select(hits.c.page_number).order_by(hits.c.page_number)))
    return _build_hits([(issue, access, numbers)], Matcher(query), with_rects=True)[issue.id]


def _within(hits: Subquery, spans: dict[Span, list[int]]) -> Any:
    """Hits on these issues' readable page ranges, as one SQL condition."""
    return or_(
        *(
            and_(hits.c.issue_id.in_(ids), hits.c.page_number.between(first, last))
            for (first, last), ids in spans.items()
        )
    )


def _beyond(hits: Subquery, locked_from: dict[int, list[int]]) -> Any:
    """Hits on these issues' pages from the first one the reader may not read."""
    return or_(
        *(
            and_(hits.c.issue_id.in_(ids), hits.c.page_number >= first)
            for first, ids in locked_from.items()
        )
    )


def _build_hits(
    wanted: list[tuple[Issue, Access, list[int]]], matcher: Matcher, *, with_rects: bool
) -> dict[int, list[Hit]]:
    """The hits for these (issue, access, page numbers): text, thumbnail and word boxes,
    read in one indexed query whatever the number of issues. The engines searched readable
    pages only; the gate is asked again page by page, and any other page is dropped."""
    readable = {i.id: [n for n in ns if a.allows_page(i, n)] for i, a, ns in wanted}
    rows: dict[tuple[int, int], Any] = {}
    if any(readable.values()):
        columns = [Page.issue_id, Page.number, Page.label, Page.text, Page.renditions]
        if with_rects:
            columns.append(Page.words)
        stmt = select(*columns).where(_pages_in(readable))
        rows = {(r.issue_id, r.number): r for r in db.session.execute(stmt)}
    out: dict[int, list[Hit]] = {}
    for issue_id, numbers in readable.items():
        hits = out.setdefault(issue_id, [])
        for n in numbers:
            row = rows.get((issue_id, n))
            if row is None:
                continue  # indexed but gone from the pages (a stale index row)
            hits.append(
                Hit(
                    page=n,
                    label=row.label,
                    snippet=highlight.snippet(row.text, matcher),
                    thumb=(row.renditions or {}).get("thumb"),
                    rects=highlight.rects(row.words or [], matcher) if with_rects else [],
                )
            )
    return out


def _pages_in(numbers: dict[int, list[int]]) -> Any:
    """Pages (issue, numbers...) as one condition each engine answers from the unique
    (issue_id, number) index."""
    return or_(*(and_(Page.issue_id == i, Page.number.in_(ns)) for i, ns in numbers.items() if ns))


def years(viewer: Viewer, now: datetime) -> list[int]:
    """Release years this viewer can filter on, newest first."""
    dates = db.session.scalars(
        select(Issue.release_date).where(
            visible_issues(viewer, now), Issue.release_date.is_not(None)
        )
    )
    return sorted({d.year for d in dates}, reverse=True)
