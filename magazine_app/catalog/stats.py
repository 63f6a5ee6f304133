"""Reading statistics: batches of viewer events in, per-issue figures out.

Cheap by construction: the viewer sends one batch every ~30 s (and on leaving), never one
request per image; a batch costs one reader row update and one multi-row upsert of the
(issue, page, day) counters. Only pages the gate lets this reader see are counted.

Definitions (shown to staff on the statistics page):
- a *reader* is an account, or an anonymous browser (its reader token, hashed), that
  sent at least one event for the issue; staff are not counted;
- *pages viewed* counts each page once per reader (a page re-read is not counted again);
- *reading time* is the sum of the seconds reported by the viewer, capped per event and
  by wall-clock time per reader and per client address (see `ReadingBudget`);
- a page's *readers* is how many readers saw it at least once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from magazine_app.access import Access
from magazine_app.core.extensions import db
from magazine_app.models import (
    Issue,
    IssueReader,
    PageStat,
    ReadingPosition,
    User,
    local_date,
)

MAX_EVENTS = 200
MAX_SECONDS_PER_EVENT = 600

# Wall-clock budget of reading time. The viewer reports seconds per visible page every
# ~30 s, so an honest reader adds at most BUDGET_PAGES (a two-page spread) x elapsed time.
# Budgets are fixed windows of BUDGET_WINDOW s in the shared counter store (the
# rate-limit storage: SQLite file or Redis, shared by all workers): per reader, at most
# BUDGET_PAGES x (window + one batch) seconds per window, so over any T seconds a reader
# is credited at most about 3 T + 180 s however many batches they send; per client
# address READING_READERS_PER_IP times that, which is what stops a script minting
# reader tokens. No database column: the store keeps each window's start and total.
BUDGET_WINDOW = 60
BUDGET_PAGES = 2
BUDGET_BATCH = 30
READER_BUDGET = BUDGET_PAGES * (BUDGET_WINDOW + BUDGET_BATCH)


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
        if isinstance(seconds, float) and not math.isfinite(seconds):
            raise EventError("seconds must be a finite number")
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


class ReadingBudget:
    """Seconds a batch may add, granted from fixed-window counters in the shared store.

    Each counter is incremented atomically by the store (one UPSERT on SQLite, INCRBY on
    Redis), so concurrent batches from several workers never grant more than the cap
    together. The reader's counter counts what was asked (an inflated claim only burns
    that reader's own window); the address's counter counts what the reader was granted."""

    def __init__(self, reader_key: str, client_ip: str | None) -> None:
        self.reader_key = reader_key
        self.client_ip = _address_key(client_ip)

    @staticmethod
    def _take(store: Any, key: str, cap: int, amount: int) -> int:
        total = store.incr(key, BUDGET_WINDOW, amount=amount)
        return max(0, min(amount, cap - (total - amount)))

    def grant(self, requested: int) -> int:
        if requested <= 0:
            return 0
        try:
            store = budget_store()
            granted = self._take(store, f"reading:r:{self.reader_key}", READER_BUDGET, requested)
            if granted:
                per_ip = READER_BUDGET * int(current_app.config["READING_READERS_PER_IP"])
                granted = self._take(store, f"reading:ip:{self.client_ip}", per_ip, granted)
        except Exception:  # the store is down: lose this batch's seconds, not the request
            current_app.logger.exception("Reading budget store unavailable")
            return 0
        return granted


def _address_key(client_ip: str | None) -> str:
    """The client address the budget is kept for; IPv6 by /64, the block one subscriber
    line gets (anyone holding one has 2^64 addresses to rotate through)."""
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return client_ip or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


_STORE_LOCK = threading.Lock()


def budget_store() -> Any:
    """This app's counter store for reading budgets (same URI as the rate limits, but its
    own instance: it works when rate limiting is switched off)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("reading_budget")
    if store is None:
        from limits.storage import storage_from_string

        from magazine_app.core import ratelimit_sqlite  # noqa: F401  (registers the sqlite:// scheme)

        with _STORE_LOCK:
            store = app.extensions.get("reading_budget")
            if store is None:
                store = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
                app.extensions["reading_budget"] = store
    return store


def _within(events: list[Event], granted: int) -> list[Event]:
    """The batch with its seconds cut down to `granted`, earliest events served first
    (page views still count; only time is capped)."""
    out = []
    for e in events:
        seconds = min(e.seconds, granted)
        granted -= seconds
        out.append(Event(e.page, seconds))
    return out


def record_events(
    issue: Issue,
    access: Access,
    key: str,
    user: User | None,
    events: list[Event],
    now: datetime,
    budget: ReadingBudget | None = None,
) -> Recorded:
    """Add one batch to the counters. Events for pages out of range or that the gate
    hides from this reader are ignored (and counted as such). With a `budget` (every
    HTTP request), the batch's seconds are capped by wall-clock time."""
    allowed = [
        e for e in events if 1 <= e.page <= issue.page_count and access.allows_page(issue, e.page)
    ]
    ignored = len(events) - len(allowed)
    if not allowed:
        return Recorded(0, ignored)
    if budget is not None:
        allowed = _within(allowed, budget.grant(sum(e.seconds for e in allowed)))
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
