"""The catalogue: publications and issues as readers and staff see them.

Domain functions: no HTTP; they add and flush, the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .extensions import db
from .models import Issue, IssueStatus, Publication


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


def published_filter(now: datetime):
    """The one SQL condition for "readers can see this issue" (mirrors Issue.is_published)."""
    return (
        (Issue.status == IssueStatus.READY)
        & Issue.publish_at.is_not(None)
        & (Issue.publish_at <= now)
    )


def latest_published(publication: Publication, now: datetime) -> Issue | None:
    return db.session.scalar(
        select(Issue)
        .where(Issue.publication_id == publication.id, published_filter(now))
        .order_by(Issue.release_date.desc().nulls_last(), Issue.number.desc())
        .limit(1)
    )


def kiosk(now: datetime) -> list[KioskEntry]:
    """The latest published issue of each publication, in the publisher's order."""
    return [KioskEntry(pub, latest_published(pub, now)) for pub in publications()]


def published_issues(publication: Publication, now: datetime) -> list[Issue]:
    return list(
        db.session.scalars(
            select(Issue)
            .where(Issue.publication_id == publication.id, published_filter(now))
            .order_by(Issue.release_date.desc().nulls_last(), Issue.number.desc())
        )
    )


def issues_by_year(issues: list[Issue]) -> list[tuple[int | None, list[Issue]]]:
    """Group issues (already newest first) by release year, newest year first."""
    groups: dict[int | None, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(issue.release_date.year if issue.release_date else None, []).append(issue)
    return list(groups.items())
