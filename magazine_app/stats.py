"""Reading statistics: batches of viewer events in, per-issue figures out.

Cheap by construction: the viewer sends one batch every ~30 s (and on leaving), never one
request per image; a batch costs one reader row update and one multi-row upsert of the
(issue, page, day) counters. Only pages the gate lets this reader see are counted.

Definitions (shown to staff on the statistics page):
- a *reader* is an account, or an anonymous browser (its reader token, hashed), that
  sent at least one event for the issue; staff are not counted;
- *pages viewed* counts each page once per reader (a page re-read is not counted again);
- *reading time* is the sum of the seconds reported by the viewer, capped per event;
- a page's *readers* is how many readers saw it at least once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from .access import Access
from .extensions import db
from .models import Issue, IssueReader, PageStat, Publication, ReadingPosition, User, local_date

MAX_EVENTS = 200
MAX_SECONDS_PER_EVENT = 600


class EventError(ValueError):
    """A malformed batch (400)."""


@dataclass(frozen=True)
class Event:
    page: int
    seconds: int


@dataclass(frozen=True)
class Recorded:
    recorded: int
    ignored: int


def parse_events(data: Any) -> list[Event]:
    """Validate the JSON body's "events" list: [{"page": n, "seconds": s}, ...]."""
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise EventError('expected {"events": [{"page": n, "seconds": s}, ...]}')
    items = data["events"]
    if len(items) > MAX_EVENTS:
        raise EventError(f"at most {MAX_EVENTS} events per batch")
    events = []
    for item in items:
        if not isinstance(item, dict):
            raise EventError("each event is an object")
        page, seconds = item.get("page"), item.get("seconds", 0)
        if isinstance(page, bool) or not isinstance(page, int):
            raise EventError("page must be an integer")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise EventError("seconds must be a number")
        events.append(Event(page, int(min(max(seconds, 0), MAX_SECONDS_PER_EVENT))))
    return events


def reader_key(user: User | None, reader_token: str | None) -> str | None:
    """Who is reading, without storing the browser token itself."""
    if user is not None:
        return f"u{user.id}"
    if reader_token:
        return "t" + hashlib.sha256(reader_token.encode()).hexdigest()[:40]
    return None


def _dialect_insert(model: type) -> Any:
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the two supported databases are above
        raise RuntimeError(f"unsupported database {name}")
    return insert(model)


def _reader_row(issue: Issue, key: str, user: User | None, now: datetime) -> IssueReader:
    """Get or create (race-free) this reader's row, locked for update on PostgreSQL."""
    stmt = _dialect_insert(IssueReader).values(
        issue_id=issue.id,
        reader_key=key,
        user_id=user.id if user is not None else None,
        first_seen_at=now,
        last_seen_at=now,
        last_page=1,
        seconds=0,
        pages_seen=[],
    )
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=["issue_id", "reader_key"]))
    return db.session.execute(
        select(IssueReader)
        .where(IssueReader.issue_id == issue.id, IssueReader.reader_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def record_events(
    issue: Issue,
    access: Access,
    key: str,
    user: User | None,
    events: list[Event],
    now: datetime,
) -> Recorded:
    """Add one batch to the counters. Events for pages out of range or that the gate
    hides from this reader are ignored (and counted as such)."""
    allowed = [
        e for e in events if 1 <= e.page <= issue.page_count and access.allows_page(issue, e.page)
    ]
    ignored = len(events) - len(allowed)
    if not allowed:
        return Recorded(0, ignored)
    row = _reader_row(issue, key, user, now)
    seen = set(row.pages_seen or [])
    views: Counter[int] = Counter()
    seconds: dict[int, int] = defaultdict(int)
    for e in allowed:
        views[e.page] += 1
        seconds[e.page] += e.seconds
    new_pages = set(views) - seen
    row.pages_seen = sorted(seen | new_pages)
    row.seconds += sum(seconds.values())
    row.last_seen_at = now
    row.last_page = allowed[-1].page
    if user is not None and row.user_id is None:
        row.user_id = user.id

    day = local_date(now)
    values = [
        {
            "issue_id": issue.id,
            "page": page,
            "day": day,
            "readers": 1 if page in new_pages else 0,
            "views": views[page],
            "seconds": seconds[page],
        }
        for page in sorted(views)
    ]
    insert = _dialect_insert(PageStat).values(values)
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["issue_id", "page", "day"],
            set_={
                "readers": PageStat.readers + insert.excluded.readers,
                "views": PageStat.views + insert.excluded.views,
                "seconds": PageStat.seconds + insert.excluded.seconds,
            },
        )
    )
    db.session.flush()
    return Recorded(len(allowed), ignored)


# --------------------------------------------------------------------------- figures


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


def issue_title(issue: Issue) -> str:
    publication: Publication = issue.publication
    return f"{publication.title} N°{issue.number}"
