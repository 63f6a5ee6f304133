"""What staff read back of the reading statistics (catalog/stats.py records them): per
issue, readers, subscribers and time per page; per reader, the last issue read."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from magazine_app.core.extensions import db
from magazine_app.models import (
    Issue,
    IssueReader,
    PageStat,
    ReadingPosition,
    User,
)


@dataclass(frozen=True)
class PageRow:
    page: int
    readers: int
    views: int
    seconds: int


@dataclass
class IssueStats:
    readers: int = 0
    subscribers: int = 0  # readers with an account
    pages_viewed: int = 0
    total_seconds: int = 0
    pages: list[PageRow] = field(default_factory=list)  # every page, in order
    days: list[tuple[date, int]] = field(default_factory=list)  # new readers per day

    @property
    def average_seconds(self) -> int:
        return round(self.total_seconds / self.readers) if self.readers else 0

    @property
    def pages_per_reader(self) -> float:
        return round(self.pages_viewed / self.readers, 1) if self.readers else 0.0

    def most_read(self, n: int = 10) -> list[PageRow]:
        ranked = [p for p in self.pages if p.readers]
        return sorted(ranked, key=lambda p: (-p.readers, -p.seconds, p.page))[:n]


def issue_stats(issue: Issue) -> IssueStats:
    stats = IssueStats()
    readers = db.session.execute(
        select(IssueReader.user_id, IssueReader.seconds, IssueReader.first_seen_at).where(
            IssueReader.issue_id == issue.id
        )
    ).all()
    stats.readers = len(readers)
    stats.subscribers = sum(1 for r in readers if r.user_id is not None)
    stats.total_seconds = sum(r.seconds for r in readers)
    per_day = Counter(r.first_seen_at.date() for r in readers)
    stats.days = sorted(per_day.items())

    sums = {
        row.page: row
        for row in db.session.execute(
            select(
                PageStat.page,
                func.sum(PageStat.readers).label("readers"),
                func.sum(PageStat.views).label("views"),
                func.sum(PageStat.seconds).label("seconds"),
            )
            .where(PageStat.issue_id == issue.id)
            .group_by(PageStat.page)
        )
    }
    for number in range(1, max(issue.page_count, max(sums, default=0)) + 1):
        row = sums.get(number)
        stats.pages.append(
            PageRow(
                number,
                int(row.readers) if row else 0,
                int(row.views) if row else 0,
                int(row.seconds) if row else 0,
            )
        )
    stats.pages_viewed = sum(p.readers for p in stats.pages)
    return stats


def readers_by_issue(issue_ids: list[int]) -> dict[int, int]:
    """Reader counts for the dashboard list, in one query."""
    if not issue_ids:
        return {}
    rows = db.session.execute(
        select(IssueReader.issue_id, func.count(IssueReader.id))
        .where(IssueReader.issue_id.in_(issue_ids))
        .group_by(IssueReader.issue_id)
    )
    return {issue_id: count for issue_id, count in rows}


def stats_csv(issue: Issue, stats: IssueStats) -> str:
    """One line per page (readers, events, seconds), then the totals; `;`-separated with
    a BOM so that a French Excel opens it straight away."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["page", "lecteurs", "affichages", "secondes"])
    for p in stats.pages:
        writer.writerow([p.page, p.readers, p.views, p.seconds])
    writer.writerow([])
    writer.writerow(["numéro", f"{issue.publication.title} N°{issue.number}"])
    writer.writerow(["lecteurs", stats.readers])
    writer.writerow(["lecteurs abonnés ou inscrits", stats.subscribers])
    writer.writerow(["pages vues", stats.pages_viewed])
    writer.writerow(["temps de lecture moyen (s)", stats.average_seconds])
    return out.getvalue()


@dataclass(frozen=True)
class LastReading:
    issue: Issue
    page: int
    at: datetime


def last_reading(user: User) -> LastReading | None:
    """The issue this subscriber read most recently (statistics, else saved position)."""
    row = db.session.scalar(
        select(IssueReader)
        .where(IssueReader.user_id == user.id)
        .order_by(IssueReader.last_seen_at.desc())
        .limit(1)
    )
    position = db.session.scalar(
        select(ReadingPosition)
        .where(ReadingPosition.user_id == user.id)
        .order_by(ReadingPosition.updated_at.desc())
        .limit(1)
    )
    candidates = []
    if row is not None:
        candidates.append(LastReading(row.issue, row.last_page, row.last_seen_at))
    if position is not None:
        candidates.append(LastReading(position.issue, position.page, position.updated_at))
    return max(candidates, key=lambda c: c.at) if candidates else None
