"""A `limits` storage on a SQLite file: rate-limit counters shared by every worker process
of one machine without running Redis (the embedded default, like SqliteHuey for jobs).

`memory://` keeps one set of counters per gunicorn worker, so N workers allow N times each
limit. This store keeps them in one file (`sqlite:////abs/path/ratelimit.db`): WAL mode so
that readers never wait for the writer, one atomic statement per increment
(`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, SQLite >= 3.35), and expired rows
deleted now and then. It supports the fixed-window strategy (Flask-Limiter's default),
which is what the app uses; moving and sliding windows are not implemented.
Imported for its side effect: the `sqlite` scheme is registered with `limits`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from limits.storage import Storage

CLEANUP_EVERY = 60.0  # seconds between deletions of expired counters (per process)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_counters_expires_at ON counters (expires_at);
"""

# A counter whose window has passed starts again at `amount`, with a new window.
_INCR = """
INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN counters.expires_at <= :now THEN excluded.value
                 ELSE counters.value + excluded.value END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN excluded.expires_at
                      ELSE counters.expires_at END
RETURNING value
"""


def path_from_uri(uri: str) -> Path:
    """`sqlite:////abs/file.db` -> /abs/file.db (`sqlite:///rel.db` is relative)."""
    parts = urlsplit(uri)
    if parts.netloc:
        raise ValueError(f"{uri}: expected sqlite:///path (no host)")
    path = unquote(parts.path)
    if not path or path == "/":
        raise ValueError(f"{uri}: no file path")
    return Path(path[1:]) if path.startswith("/") else Path(path)


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file. Thread- and process-safe: one connection
    per thread (and per process, after a fork), writes serialised by SQLite's lock."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        self.path = path_from_uri(uri or "")
        self.timeout = float(options.get("timeout", 10.0))
        self._local = threading.local()
        self._next_cleanup = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            conn.executescript(_SCHEMA)
        finally:
            conn.close()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # counters: losing the last ms is fine
        return conn

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection; a forked worker opens its own (a SQLite connection
        must never cross a fork)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = self._connect()
            local.pid = os.getpid()
        return local.conn

    def _cleanup(self, now: float) -> None:
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_EVERY
            self._conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        self._cleanup(now)
        row = self._conn.execute(
            _INCR, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}
        ).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._conn.execute(
            "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = self._conn.execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now)
        ).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._conn.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._conn.execute("DELETE FROM counters WHERE key = ?", (key,))
