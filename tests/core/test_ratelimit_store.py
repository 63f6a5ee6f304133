"""Rate-limit counters shared by every worker: the SQLite store of the embedded default.

Two gunicorn workers are two processes that each ran `create_app` on the same instance
folder; with `memory://` each had its own counters (login allowed twice as many tries).
These tests start real processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from limits.storage import storage_from_string

from magazine_app import create_app
from magazine_app.core.ratelimit_sqlite import SQLiteStorage
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]

# One "worker": an app on the shared instance folder, posting failed logins.
WORKER = """
import json, re, sys
from magazine_app import create_app
cfg, tries, tag = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
app = create_app(cfg)
client = app.test_client()
page = client.get("/connexion").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
codes = []
for i in range(tries):
    data = {"email": f"nobody{i}-{tag}@example.com", "password": "faux", "csrf_token": token}
    codes.append(client.post("/connexion", data=data).status_code)
print(json.dumps(codes))
"""

INCREMENTER = """
import json, sys
from limits.storage import storage_from_string
import magazine_app.core.ratelimit_sqlite
store = storage_from_string(sys.argv[1])
print(json.dumps([store.incr("shared", 60) for _ in range(int(sys.argv[2]))]))
"""


def _run(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _output(proc: subprocess.Popen) -> list[int]:
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    return json.loads(out.strip().splitlines()[-1])


def test_embedded_default_is_a_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "x" * 32})
    expected = f"sqlite:///{tmp_path / 'inst' / 'ratelimit.db'}"
    assert app.config["RATELIMIT_STORAGE_URI"] == expected
    explicit = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "SECRET_KEY": "x" * 32,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    assert explicit.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_redis_url_keeps_redis_for_rate_limits(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "x" * 32})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/0"


def test_two_workers_share_one_login_limit(app, app_config, tmp_path: Path) -> None:
    """LOGIN_RATE_LIMIT is 10 per minute per address: two workers together allow 10."""
    cfg = {
        **app_config,
        "INSTANCE_PATH": str(tmp_path / "shared-instance"),
        "RATELIMIT_ENABLED": True,
        "HUEY_IMMEDIATE": False,
    }
    cfg.pop("RATELIMIT_STORAGE_URI", None)  # the embedded default
    first = _output(_run(WORKER, json.dumps(cfg), "8", "a"))
    second = _output(_run(WORKER, json.dumps(cfg), "8", "b"))
    assert first == [200] * 8
    assert second == [200] * 2 + [429] * 6  # was [200] * 8: each worker counted alone
    assert (tmp_path / "shared-instance" / "ratelimit.db").exists()


def test_concurrent_increments_from_threads_count_exactly(tmp_path: Path) -> None:
    store = SQLiteStorage(f"sqlite:///{tmp_path / 'limits.db'}")
    results: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        got = [store.incr("k", 60) for _ in range(250)]
        with lock:
            results.extend(got)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every increment saw its own value: none lost, none counted twice.
    assert sorted(results) == list(range(1, 2001))
    assert store.get("k") == 2000


def test_concurrent_increments_from_processes_count_exactly(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'limits.db'}"
    procs = [_run(INCREMENTER, uri, "200") for _ in range(4)]
    results = [value for proc in procs for value in _output(proc)]
    assert sorted(results) == list(range(1, 801))
    assert storage_from_string(uri).get("shared") == 800


def test_window_expiry_cleanup_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "limits.db"
    store = storage_from_string(f"sqlite:///{path}")
    assert isinstance(store, SQLiteStorage)
    assert store.incr("short", 1, amount=3) == 3
    assert store.incr("short", 1) == 4
    assert 0 < store.get_expiry("short") - time.time() <= 1
    time.sleep(1.1)
    assert store.get("short") == 0  # its window is over
    store._next_cleanup = 0  # the next write sweeps expired rows
    assert store.incr("other", 60) == 1
    with sqlite3.connect(path) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM counters")]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert keys == ["other"]
    assert mode == "wal"
    assert store.incr("short", 60) == 1  # a new window starts from zero
    store.clear("other")
    assert store.get("other") == 0
    assert store.check() is True
    assert store.reset() == 1


@pytest.mark.parametrize("uri", ["sqlite://host/x.db", "sqlite://"])
def test_bad_uris_are_refused(uri: str) -> None:
    with pytest.raises(ValueError, match="sqlite"):
        SQLiteStorage(uri)


# --------------------------------------------------------------------------- ProxyFix


@pytest.mark.parametrize(("proxies", "expected"), [(0, [200, 200, 429, 429]), (1, [200] * 4)])
def test_x_forwarded_for_is_honoured_only_behind_a_configured_proxy(
    request, app_config, tmp_path: Path, proxies: int, expected: list[int]
) -> None:
    """Without PROXY_FIX_X_FOR a client cannot dodge the login limit by sending a new
    X-Forwarded-For each time; with it (behind nginx), each client has its own limit."""
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"sqlite:///{tmp_path / 'limits.db'}",
        LOGIN_RATE_LIMIT="2 per minute",
        PROXY_FIX_X_FOR=proxies,
    )
    client = request.getfixturevalue("client")
    token = csrf_token(client, "/connexion")
    codes = [
        client.post(
            "/connexion",
            data={"email": f"x{i}@example.com", "password": "faux", "csrf_token": token},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # nginx
        ).status_code
        for i in range(4)
    ]
    assert codes == expected
