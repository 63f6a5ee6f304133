"""The catalogue: publications and issues as readers see them.

The kiosk and the archive are public: they list what the gate lets a visitor find
(`access.visible_issues(None, ...)`), whoever looks; staff find unpublished issues in
their console. Queries only: no HTTP, no writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import extract, func, select
from sqlalchemy.orm import joinedload

from magazine_app.access import visible_issues
from magazine_app.core.extensions import db
from magazine_app.models import Issue, Page, Publication


@dataclass(frozen=True)
class KioskEntry:
    publication: Publication
    issue: Issue | None


def publications() -> list[Publication]:
    return list(
        db.session.scalars(select(Publication).order_by(Publication.position, Publication.id))
    )


def publication_by_slug(slug: str) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.slug == slug))


def find_issue(publication: Publication | str, number: int) -> Issue | None:
    """Issue `number` of a publication (given as a row, or by its slug as in a URL or an
    API call), published or not: what readers may see is the gate's decision."""
    stmt = select(Issue).where(Issue.number == number)
    if isinstance(publication, Publication):
        stmt = stmt.where(Issue.publication_id == publication.id)
    else:
        stmt = stmt.join(Issue.publication).where(Publication.slug == publication)
    return db.session.scalar(stmt)


def latest_published(publication: Publication, now: datetime) -> Issue | None:
    return db.session.scalar(
        select(Issue)
        .where(Issue.publication_id == publication.id, visible_issues(None, now))
        .order_by(Issue.release_date.desc().nulls_last(), Issue.number.desc())
        .limit(1)
    )


def kiosk(now: datetime) -> list[KioskEntry]:
    """The latest published issue of each publication, in the publisher's order."""
    return [KioskEntry(pub, latest_published(pub, now)) for pub in publications()]


# The staff list shows the newest issues; older ones are reached by publication filter.
STAFF_LIST_LIMIT = 200


def staff_issues(publication_slug: str | None = None) -> list[Issue]:
    """The issues of the staff dashboard, every state included, newest first (undated
    ones, just uploaded, on top)."""
    stmt = select(Issue).join(Issue.publication)
    if publication_slug:
        stmt = stmt.where(Publication.slug == publication_slug)
    return list(
        db.session.scalars(
            stmt.order_by(Issue.release_date.desc().nulls_first(), Issue.id.desc()).limit(
                STAFF_LIST_LIMIT
            )
        )
    )


# --------------------------------------------------------------------------- archive

ARCHIVE_PAGE_SIZE = 48


def archive_years(publication: Publication, now: datetime) -> list[tuple[int | None, int]]:
    """(year, number of published issues) newest first; None groups issues without a
    release date. One aggregate query, however many issues there are."""
    year = extract("year", Issue.release_date)
    rows = db.session.execute(
        select(year, func.count(Issue.id))
        .where(Issue.publication_id == publication.id, visible_issues(None, now))
        .group_by(year)
    ).all()
    years = [(int(y) if y is not None else None, n) for y, n in rows]
    return sorted(years, key=lambda yn: (yn[0] is None, -(yn[0] or 0)))


@dataclass(frozen=True)
class ArchivePage:
    issues: list[Issue]
    page: int
    pages: int
    total: int


def archive_page(
    publication: Publication,
    now: datetime,
    year: int | None,
    page: int = 1,
    per_page: int = ARCHIVE_PAGE_SIZE,
) -> ArchivePage:
    """One page of a publication's published issues of one year (None: undated),
    newest first: the archive never loads hundreds of issues at once."""
    where = [Issue.publication_id == publication.id, visible_issues(None, now)]
    if year is None:
        where.append(Issue.release_date.is_(None))
    else:
        where += [Issue.release_date >= date(year, 1, 1), Issue.release_date < date(year + 1, 1, 1)]
    total = db.session.scalar(select(func.count(Issue.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    issues = list(
        db.session.scalars(
            select(Issue)
            .where(*where)
            .options(joinedload(Issue.publication))
            .order_by(Issue.release_date.desc().nulls_last(), Issue.number.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return ArchivePage(issues, page, pages, total)


def cover_renditions(issue_ids: list[int]) -> dict[int, dict]:
    """{issue id: renditions of its page 1} in one query that reads no page text: covers
    of a long list must not load every page of every issue."""
    if not issue_ids:
        return {}
    rows = db.session.execute(
        select(Page.issue_id, Page.renditions).where(Page.issue_id.in_(issue_ids), Page.number == 1)
    ).all()
    return {issue_id: renditions or {} for issue_id, renditions in rows}
