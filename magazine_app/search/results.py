"""Searching the archive and one issue, through the gate.

SQL finds and ranks the matching pages; the gate (access.access_for + Access.allows_page)
then decides, hit by hit, what the reader is shown: a snippet, a page thumbnail and, in the
viewer, the highlight rectangles only for pages the reader may read; for the others the
issue, the page number and "réservé aux abonnés", nothing of the page itself. Readers
never see unpublished issues (the SQL filter mirrors Issue.is_published); staff see every
processed issue, as the gate gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import and_, or_, select

from .. import catalog
from ..access import Access, Level, access_for
from ..extensions import db
from ..models import Issue, IssueStatus, Page, Publication, User
from . import backends, highlight
from .query import Matcher, Query

PER_PAGE = 10  # issues per results page
HITS_PER_ISSUE = 5  # pages shown under each issue (the best ones, in page order)


@dataclass(frozen=True)
class Hit:
    page: int
    label: str
    locked: bool
    snippet: Markup | None = None
    thumb: dict[str, Any] | None = None  # the page's thumb rendition, only when readable
    rects: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class IssueResult:
    issue: Issue
    access: Access
    hits: list[Hit]
    hit_count: int

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

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_issues // self.per_page))


def _is_staff(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", True) and user.is_staff)


def _visible(user: User | None, now: datetime) -> Any:
    """Issues this user may find: published ones; staff also find processed, unpublished
    ones (the gate gives them full access)."""
    if _is_staff(user):
        return Issue.status == IssueStatus.READY
    return catalog.published_filter(now)


def search_archive(
    query: Query,
    user: User | None,
    now: datetime,
    filters: Filters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """Matching issues, best first (best page's relevance, then the newest issue), each
    with its best pages; paginated by issue."""
    filters = filters or Filters()
    page = max(1, page)
    if query.is_empty:
        return Results(query, [], 0, 0, page, per_page)
    # One pass over the index: every matching page of a visible issue with its score and
    # what the issue ranks by. Grouping and paging a few thousand small rows in Python is
    # cheaper than asking the engine to rank twice; Core rows, not ORM objects.
    hits = backends.for_session(db.session).hits(query)
    visible = select(Issue.id, Issue.release_date, Issue.number).where(_visible(user, now))
    if filters.publication is not None:
        visible = visible.where(Issue.publication_id == filters.publication.id)
    if filters.year is not None:
        visible = visible.where(
            Issue.release_date.between(date(filters.year, 1, 1), date(filters.year, 12, 31))
        )
    # (recency, number) of every issue this reader may find: a few hundred small rows.
    order = {
        i: (-(release.toordinal() if release else 0), -number)
        for i, release, number in db.session.execute(visible)
    }
    pages_of: dict[int, list[tuple[float, int]]] = {}
    best: dict[int, float] = {}
    stmt = select(hits.c.issue_id, hits.c.page_number, hits.c.score)
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
    keys = {i: (score, *order[i]) for i, score in best.items()}
    # Best page first, then the newest issue (undated last), then the higher number.
    ranked = sorted(keys, key=keys.__getitem__)
    total_hits = sum(len(v) for v in pages_of.values())
    shown = ranked[(page - 1) * per_page : page * per_page]
    if not shown:
        return Results(query, [], len(ranked), total_hits, page, per_page)
    # Publications first: each issue's many-to-one then comes from the identity map.
    list(db.session.scalars(select(Publication)))
    issues = {i.id: i for i in db.session.scalars(select(Issue).where(Issue.id.in_(shown)))}
    wanted: list[tuple[Issue, Access, list[int]]] = []
    for issue_id in shown:
        issue = issues[issue_id]
        access = access_for(user, issue, now)
        if access.level is Level.NONE:
            continue  # defence in depth: the SQL filter already left these out
        top = sorted(pages_of[issue_id])[:HITS_PER_ISSUE]
        wanted.append((issue, access, sorted(number for _, number in top)))
    built = _build_hits(wanted, Matcher(query), with_rects=False)
    results = [
        IssueResult(issue, access, built[issue.id], len(pages_of[issue.id]))
        for issue, access, _ in wanted
    ]
    return Results(query, results, len(ranked), total_hits, page, per_page)


def search_issue(query: Query, issue: Issue, access: Access) -> tuple[list[Hit], list[Hit]]:
    """Hits in one issue, in page order: (readable hits with snippet and rectangles,
    locked hits with the page number only)."""
    if query.is_empty or access.level is Level.NONE:
        return [], []
    hits = backends.for_session(db.session).hits(query, issue_id=issue.id)
    numbers = list(db.session.scalars(select(hits.c.page_number).order_by(hits.c.page_number)))
    found = _build_hits([(issue, access, numbers)], Matcher(query), with_rects=True)[issue.id]
    return [h for h in found if not h.locked], [h for h in found if h.locked]


def _build_hits(
    wanted: list[tuple[Issue, Access, list[int]]], matcher: Matcher, *, with_rects: bool
) -> dict[int, list[Hit]]:
    """The hits for these (issue, access, page numbers): text, thumbnail and word boxes are
    read (and shown) only for the pages the gate lets this reader read; of the others,
    only the label. Two indexed queries whatever the number of issues."""
    readable = {i.id: [n for n in ns if a.allows_page(i, n)] for i, a, ns in wanted}
    locked = {i.id: [n for n in ns if not a.allows_page(i, n)] for i, a, ns in wanted}
    rows: dict[tuple[int, int], Any] = {}
    if any(readable.values()):
        columns = [Page.issue_id, Page.number, Page.label, Page.text, Page.renditions]
        if with_rects:
            columns.append(Page.words)
        stmt = select(*columns).where(_pages_in(readable))
        rows = {(r.issue_id, r.number): r for r in db.session.execute(stmt)}
    labels: dict[tuple[int, int], str] = {}
    if any(locked.values()):
        stmt = select(Page.issue_id, Page.number, Page.label).where(_pages_in(locked))
        labels = {(r.issue_id, r.number): r.label for r in db.session.execute(stmt)}
    out: dict[int, list[Hit]] = {}
    for issue, _, numbers in wanted:
        hits = out.setdefault(issue.id, [])
        for n in numbers:
            row = rows.get((issue.id, n))
            if row is None:
                hits.append(Hit(page=n, label=labels.get((issue.id, n)) or str(n), locked=True))
                continue
            hits.append(
                Hit(
                    page=n,
                    label=row.label,
                    locked=False,
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


def years(user: User | None, now: datetime) -> list[int]:
    """Release years this user can filter on, newest first."""
    dates = db.session.scalars(
        select(Issue.release_date).where(_visible(user, now), Issue.release_date.is_not(None))
    )
    return sorted({d.year for d in dates}, reverse=True)
