"""Reading statistics: batches of viewer events in (what staff read back of them is in reports.py).

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

import hashlib
import ipaddress
import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from magazine_app.access import Access
from magazine_app.core.extensions import db
from magazine_app.models import (
    Issue,
    IssueReader,
    PageStat,
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
