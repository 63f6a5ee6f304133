"""Reading statistics cannot be inflated: the seconds credited are bounded by wall-clock
time per reader and per client address, and the events body is bounded while it is read
(a chunked body has no Content-Length to check)."""

from __future__ import annotations

import http.client
import io
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from magazine_app.catalog import stats
from magazine_app.core.extensions import db
from magazine_app.models import IssueReader, PageStat
from tests.conftest import CSRF_RE, csrf_token

ATTACKER_IP = "203.0.113.7"
PER_IP = 2  # readers' worth of time per address, small to keep the bound tight
# A reader is credited at most two pages (a spread) x (60 s + one 30-s batch) per minute.
WINDOW = 60
READER_PER_WINDOW = 2 * (60 + 30)


@pytest.fixture
def app_config(app_config, tmp_path: Path):
    # A store of this test's own: counters from other tests never leak in.
    app_config["RATELIMIT_STORAGE_URI"] = f"sqlite:///{tmp_path / 'ratelimit.db'}"
    app_config["READING_READERS_PER_IP"] = PER_IP
    return app_config


@pytest.fixture
def issue(make_issue):
    return make_issue(pages=4, preview_pages=4)


def _post(client, issue, events, token, ip=ATTACKER_IP, **kw):
    return client.post(
        f"/lire/{issue.publication.slug}/{issue.number}/evenements",
        json={"events": events, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
        **kw,
    )


def _credited() -> tuple[int, int]:
    readers = db.session.scalar(select(func.coalesce(func.sum(IssueReader.seconds), 0)))
    pages = db.session.scalar(select(func.coalesce(func.sum(PageStat.seconds), 0)))
    return int(readers), int(pages)


def _bound(readers: int, elapsed: float) -> int:
    """What `readers` honest readers could be credited in `elapsed` seconds at most."""
    windows = int(elapsed // WINDOW) + 2  # a window may start on each side
    return readers * READER_PER_WINDOW * windows


def test_minted_tokens_from_one_address_are_bounded_by_wall_clock(app, issue) -> None:
    """24 anonymous cookies posted 345 reading hours in 30 s: now the whole address gets
    at most PER_IP readers' worth of elapsed time, however many tokens it mints."""
    greedy = [{"page": 1 + i % 4, "seconds": stats.MAX_SECONDS_PER_EVENT} for i in range(200)]
    start = time.monotonic()
    for _ in range(24):
        browser = app.test_client()  # a fresh cookie jar: a new anonymous reader token
        token = csrf_token(browser, "/")
        assert _post(browser, issue, greedy, token).status_code == 204
    elapsed = time.monotonic() - start
    readers, pages = _credited()
    assert db.session.scalar(select(func.count(IssueReader.id))) == 24  # views still count
    assert readers == pages  # the per-page figures agree with the per-reader ones
    assert 0 < readers <= _bound(PER_IP, elapsed), (readers, elapsed)
    assert readers < 24 * 200 * stats.MAX_SECONDS_PER_EVENT // 100  # was 2 880 000 s


def test_rotating_ipv6_addresses_of_one_line_share_a_budget(app, issue) -> None:
    """An IPv6 subscriber line is a /64: changing address within it changes nothing."""
    greedy = [{"page": 1, "seconds": stats.MAX_SECONDS_PER_EVENT}] * 50
    start = time.monotonic()
    for i in range(12):
        browser = app.test_client()
        ip = f"2001:db8:5:6:{i:x}::1"
        assert _post(browser, issue, greedy, csrf_token(browser, "/"), ip=ip).status_code == 204
    readers, _pages = _credited()
    assert 0 < readers <= _bound(PER_IP, time.monotonic() - start), readers


def test_one_reader_sending_batches_fast_gets_elapsed_time_only(client, issue) -> None:
    token = csrf_token(client, "/")
    start = time.monotonic()
    for _ in range(40):
        batch = [{"page": 1, "seconds": 30}, {"page": 2, "seconds": 30}]
        assert _post(client, issue, batch, token).status_code == 204
    elapsed = time.monotonic() - start
    readers, _pages = _credited()
    assert 60 <= readers <= _bound(1, elapsed), (readers, elapsed)  # was 2 400 s
    row = db.session.scalar(select(IssueReader))
    assert sorted(row.pages_seen) == [1, 2]


def test_another_address_is_not_starved_by_an_attacker(app, issue) -> None:
    greedy = [{"page": 1, "seconds": stats.MAX_SECONDS_PER_EVENT}] * 50
    for _ in range(6):
        browser = app.test_client()
        _post(browser, issue, greedy, csrf_token(browser, "/"))
    before, _ = _credited()
    honest = app.test_client()
    batch = [{"page": 3, "seconds": 25}]
    response = _post(honest, issue, batch, csrf_token(honest, "/"), ip="198.51.100.20")
    assert response.status_code == 204
    after, _ = _credited()
    assert after - before == 25


def test_honest_batches_are_credited_in_full(client, issue) -> None:
    """The viewer's pace (two pages of a spread, a batch every 30 s): nothing is lost
    within a window."""
    token = csrf_token(client, "/")
    for _ in range(3):
        spread = [{"page": 2, "seconds": 30}, {"page": 3, "seconds": 30}]
        assert _post(client, issue, spread, token).status_code == 204
    assert _credited() == (180, 180)


# --------------------------------------------------------------------------- body bounds


def _padded_body(token: str, size: int) -> bytes:
    return json.dumps(
        {"events": [{"page": 1, "seconds": 20}], "csrf_token": token, "pad": "x" * size}
    ).encode()


def test_chunked_body_over_the_limit_is_413_and_nothing_is_recorded(client, issue) -> None:
    """No Content-Length (Transfer-Encoding: chunked, de-chunked by the server): the body
    is cut at the limit while read."""
    token = csrf_token(client, "/")
    body = _padded_body(token, 200_000)
    response = client.post(
        f"/lire/challenge/{issue.number}/evenements",
        content_type="application/json",
        input_stream=io.BytesIO(body),
        environ_overrides={
            "CONTENT_LENGTH": "",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input_terminated": True,
        },
    )
    assert response.status_code == 413
    assert _credited() == (0, 0)
    assert db.session.scalar(select(func.count(IssueReader.id))) == 0


def test_real_chunked_request_over_the_limit_is_413(live_server, issue) -> None:
    """The same through a real HTTP server, with a real chunked request."""
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    conn.request("GET", "/")
    home = conn.getresponse()
    html = home.read().decode()
    cookies = "; ".join(
        value.split(";", 1)[0] for name, value in home.getheaders() if name == "Set-Cookie"
    )
    token = CSRF_RE.search(html).group(1)
    url = f"/lire/challenge/{issue.number}/evenements"

    def send(body: bytes) -> int:
        chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
        headers = {"Content-Type": "application/json", "Cookie": cookies}
        conn.request("POST", url, body=chunks, headers=headers, encode_chunked=True)
        response = conn.getresponse()
        response.read()
        return response.status

    assert send(_padded_body(token, 200_000)) == 413
    db.session.rollback()
    assert db.session.scalar(select(func.count(IssueReader.id))) == 0
    # A batch under the limit, in several chunks, is read whole and recorded as usual.
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    assert send(_padded_body(token, 20_000)) == 204
    db.session.rollback()
    assert _credited() == (20, 20)
    conn.close()
