"""Shared fixtures: an app on a migrated database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), each test inside a transaction that is rolled back (or, for the
tests marked `commits`, on tables emptied after it), a test client, a CLI runner, an
`auth` helper, factories returning callables, a live server and a headless Chromium for
browser tests."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.globals import app_ctx
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import make_server

from magazine_app import create_app
from magazine_app.core.extensions import db
from magazine_app.models import (
    Issue,
    IssueStatus,
    Publication,
    Role,
    SubscriptionStatus,
    User,
    local_date,
    utcnow,
)
from magazine_app.subscriptions import api_keys

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAGAZINE_SHARED_DIR", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL")
SEED_TABLES = ("publications", "plans", "plan_publications")
TEST_PASSWORD = "motdepasse-123"


def shared_path(*parts: str) -> Path:
    """A path in ../shared; skips the test when it is absent (fails in CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing, and CI must run the tests that read ../shared")
        pytest.skip(f"{path} is absent (../shared is not beside this checkout)")
    return path


# --------------------------------------------------------------------------- database


def _database_url(tmp_root: Path) -> str:
    if PG_URL:
        from magazine_app.core.config import normalise_database_url

        return normalise_database_url(PG_URL)
    return f"sqlite:///{tmp_root / 'test.db'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def _session_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("magazine")
    return {"root": root, "instance": root / "instance", "storage": root / "uploads"}


@pytest.fixture(scope="session")
def database_url(_session_dirs: dict[str, Path]) -> Iterator[str]:
    """Migrate an empty database once per session, with the real migrations."""
    url = _database_url(_session_dirs["root"])
    if url.startswith("postgresql"):
        _reset_postgres(url)
    app = create_app(base_config(_session_dirs, url))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seeds = {
            t: [dict(r._mapping) for r in db.session.execute(text(f"SELECT * FROM {t}"))]  # noqa: S608
            for t in SEED_TABLES
        }
        db.session.remove()
        db.engine.dispose()
    _SEEDS.update(seeds)
    yield url


_SEEDS: dict[str, list[dict[str, Any]]] = {}


def base_config(dirs: dict[str, Path], url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(dirs["instance"]),
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "STORAGE_ROOT": str(dirs["storage"]),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "HUEY_IMMEDIATE": True,
        "SERVER_NAME": None,
    }


def _wipe(app: Flask) -> None:
    """Empty every table and restore the seed rows of the data migration (after a test
    marked `commits`; the others are rolled back)."""
    with app.app_context():
        db.session.remove()
        engine = db.engine
        existing = set(inspect(engine).get_table_names())
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name in existing]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(t.name for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
                # The FTS5 index is not a model (no foreign key cascades into it).
                if "search_pages" in existing:
                    conn.execute(text("DELETE FROM search_pages"))
            for name in SEED_TABLES:
                if _SEEDS.get(name):
                    conn.execute(db.metadata.tables[name].insert(), _SEEDS[name])
            if engine.dialect.name == "postgresql":
                for name in ("publications", "plans"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                            f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                        )
                    )
        db.engine.dispose()


@pytest.fixture
def app_config(_session_dirs: dict[str, Path], database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The config dict given to create_app; tests may change it before using `app`."""
    cfg = base_config(_session_dirs, database_url)
    cfg["STORAGE_ROOT"] = str(tmp_path / "uploads")
    cfg["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    return cfg


# --------------------------------------------------------------- one transaction per test


class _OneConnection:
    """Flask-SQLAlchemy's session looks up the app's engine for every statement; in a
    rolled-back test every session runs on the test's one connection instead."""

    bind: Any

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


def _app_context_id() -> int:
    # Flask-SQLAlchemy's scope: one session per app context (the test's, each request's,
    # each job's).
    return id(app_ctx._get_current_object())


def _sqlite_driver_leaves_transactions_alone(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions itself, late, and breaks SAVEPOINT: SQLAlchemy's
    # documented workaround turns that off and emits BEGIN itself (_sqlite_begin).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Run the block inside one transaction on one connection, rolled back at the end.

    Every session opened meanwhile (the test's, each request's, each job's, the CLI's) is
    bound to that connection, and its commits and rollbacks become savepoints
    (`join_transaction_mode="create_savepoint"`, as in warehouse's tests): the code under
    test commits as in production, and nothing it wrote outlives the test. Much cheaper
    than emptying every table after each test (a TRUNCATE of all tables on PostgreSQL)."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_driver_leaves_transactions_alone)
        event.listen(engine, "begin", _sqlite_begin)
        engine.dispose()  # no connection opened before the listeners stays in the pool
    connection = engine.connect()
    outer = connection.begin()
    app_sessions = db.session
    # A subclass of the app's session class keeps the listeners the app registered on
    # db.session (the mail queued "after commit", core/mail.py).
    session_class = type(
        "OneConnectionSession", (_OneConnection, app_sessions.session_factory.class_), {}
    )
    db.session = scoped_session(
        sessionmaker(
            class_=session_class,
            db=db,
            bind=connection,
            join_transaction_mode="create_savepoint",
            query_cls=db.Query,
        ),
        scopefunc=_app_context_id,
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = app_sessions
        outer.rollback()
        connection.close()
        engine.dispose()


def commits(request: pytest.FixtureRequest) -> bool:
    """Does this test really commit (marked `commits`), so that its rows must be visible
    to other connections, and be wiped after it?"""
    return request.node.get_closest_marker("commits") is not None


# Fixtures whose users really commit: a live server answers from its own threads, each
# with its own connection, which must see what the test arranged.
COMMITTING_FIXTURES = {"live_server", "staff_server"}


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The `app` fixture keeps an app context pushed for the test body; without this, Flask
    would reuse it for requests and share `g` (CSRF token, logged-in user) between them.
    The test's own session is committed before each request (what the test arranged is
    visible; in a rolled-back test that releases its savepoint on the shared connection)
    and its snapshot released after (what the request wrote is visible)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            db.session.expire_all()
            db.session.commit()


@pytest.fixture
def app(app_config: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app, its context pushed for the test body; the test runs in a rolled-back
    transaction, or, when it is marked `commits`, really commits and the tables are
    emptied after it."""
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    ctx = app.app_context()
    ctx.push()
    if commits(request):
        try:
            yield app
        finally:
            db.session.remove()
            ctx.pop()
            _wipe(app)
        return
    try:
        with rolled_back(app):
            yield app
    finally:
        ctx.pop()


@pytest.fixture
def settle(app: Flask, request: pytest.FixtureRequest) -> Callable[[], None]:
    """How a factory ends: a flush in a rolled-back test (its requests commit the test's
    session first, and share its connection), a commit in a test marked `commits` (a live
    server's threads and other connections must read what it arranged)."""
    if commits(request):
        return lambda: db.session.commit()
    return lambda: db.session.flush()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything that uses the database is marked `db`, so CI can run exactly that part
    again on PostgreSQL; a test that uses a live server is marked `commits`."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "database_url" in fixtures:
            item.add_marker(pytest.mark.db)
        if fixtures & COMMITTING_FIXTURES:
            item.add_marker(pytest.mark.commits)


# --------------------------------------------------------------------------- factories


@pytest.fixture
def make_user(settle: Callable[[], None]) -> Callable[..., User]:
    from magazine_app.accounts import operations as accounts

    counter = iter(range(1, 10_000))

    def make(
        email: str | None = None,
        password: str = TEST_PASSWORD,
        role: Role | str = Role.READER,
        name: str = "",
    ) -> User:
        email = email or f"user{next(counter)}@example.com"
        user = accounts.create_user(email, password, role=Role(role), name=name)
        settle()
        return user

    return make


@pytest.fixture
def make_subscriber(
    make_user: Callable[..., User], settle: Callable[[], None]
) -> Callable[..., User]:
    """A reader with a subscription to `plan` (default: Challenge, one year, begun a month
    ago), given by the operation staff and `flask subscriptions grant` use, on the
    publisher's calendar (a Casablanca day, not the machine's)."""
    from magazine_app.subscriptions.operations import grant, plan_by_code

    def make(
        email: str | None = None,
        plan: str = "challenge-1an",
        *,
        status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
        starts_on: date | None = None,
        ends_on: date | None = None,
        **user: Any,
    ) -> User:
        reader = make_user(email, **user)
        plan_row = plan_by_code(plan)
        assert plan_row is not None, f"no plan {plan!r} in the seed data"
        today = local_date(utcnow())
        grant(
            reader,
            plan_row,
            starts_on or today - timedelta(days=30),
            ends_on or today + timedelta(days=335),
            status=status,
            actor=None,  # as `flask subscriptions grant` does: audited "via the command line"
        )
        settle()
        return reader

    return make


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str, **kw: Any) -> str:
    """The CSRF token of the form on `url`, as a browser would submit it (the one scraper
    of the suite; `kw` goes to `client.get`, e.g. headers)."""
    page = client.get(url, **kw)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = TEST_PASSWORD, next: str | None = None):
        token = csrf_token(self.client, "/connexion")
        data = {"email": email, "password": password, "csrf_token": token}
        if next is not None:
            data["next"] = next
        return self.client.post("/connexion", data=data)

    def logout(self):
        token = csrf_token(self.client, "/compte")
        return self.client.post("/deconnexion", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def staff_user(make_user: Callable[..., User]) -> User:
    return make_user("redac@challenge.ma", role=Role.STAFF, name="Rédactrice")


@pytest.fixture
def staff_client(client: FlaskClient, auth: AuthActions, staff_user: User) -> FlaskClient:
    auth.login(staff_user.email)
    return client


# --------------------------------------------------------------------------- issues

# Small renditions keep the tests fast; the pipeline is the real one.
TEST_SIZES = {"thumb": 120, "screen": 400, "zoom": 800}
_INGESTED: dict[tuple[int, bool], Path] = {}


@pytest.fixture(scope="session")
def ingested_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ingested")


@pytest.fixture
def make_issue(settle: Callable[[], None], ingested_cache: Path) -> Callable[..., Any]:
    """Create a processed issue of a generated PDF. The PDF is really ingested (child
    processes, renditions, manifest) once per shape and session; later calls copy that
    output into this test's storage and record it with the same domain function."""
    from sqlalchemy import select

    from magazine_app import storage
    from magazine_app.catalog.register import record_manifest
    from magazine_app.ingest import load_manifest, run_ingest
    from magazine_app.ingest.renditions import make_placeholders
    from magazine_app.models import Issue, IssueStatus, Publication, utcnow
    from magazine_app.storage import store_original
    from tests.pdfs import magazine_pdf

    counter = iter(range(1, 10_000))

    def make(
        publication: str = "challenge",
        number: int | None = None,
        *,
        pages: int = 8,
        outline: bool = True,
        published: bool | Any = True,
        preview_pages: int = 3,
        release_date: Any = None,
        period_label: str = "Du 11 au 17 février 2022",
    ) -> Issue:
        from datetime import date, timedelta

        key = (pages, outline)
        if key not in _INGESTED:
            folder = ingested_cache / f"{pages}-{outline}"
            pdf = magazine_pdf(ingested_cache / f"{pages}-{outline}.pdf", pages, outline=outline)
            run_ingest(pdf, folder / "out", sizes=TEST_SIZES)
            (folder / "source.pdf").write_bytes(pdf.read_bytes())
            _INGESTED[key] = folder
        folder = _INGESTED[key]
        pub = db.session.scalar(select(Publication).where(Publication.slug == publication))
        issue = Issue(
            publication=pub,
            number=number or 900 + next(counter),
            period_label=period_label,
            release_date=release_date or date(2022, 2, 11),
            preview_pages=preview_pages,
            cover_lines=[{"kicker": "ACTUALITÉ", "title": "Le Maroc passe à l'Euro 6"}],
        )
        if published is True:
            issue.publish_at = utcnow() - timedelta(hours=1)
        elif published:
            issue.publish_at = published
        db.session.add(issue)
        db.session.flush()
        sha, size, _ = store_original(folder / "source.pdf")
        issue.source_sha256, issue.source_bytes = sha, size
        issue.source_path = f"originals/{sha}.pdf"
        version = "v1-test"
        target = storage.issue_root(issue.id) / version
        shutil.copytree(folder / "out", target)
        manifest = load_manifest(target)
        record_manifest(issue, manifest, version, make_placeholders(manifest, target))
        assert issue.status is IssueStatus.READY
        settle()
        return issue

    return make


# --------------------------------------------------------------------------- billing API


@pytest.fixture
def api_key(settle: Callable[[], None]) -> str:
    """A live key (plaintext) of a billing client."""
    _client, key = api_keys.create_key("facturation-test")
    settle()
    return key


class ApiCaller:
    """The test client with `Authorization: Bearer <key>` on every call."""

    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.get(url, headers=self._headers(headers), **kw)

    def put(self, url: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.put(url, headers=self._headers(headers), **kw)

    def post(self, url: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.post(url, headers=self._headers(headers), **kw)


@pytest.fixture
def api(client: FlaskClient, api_key: str) -> ApiCaller:
    return ApiCaller(client, api_key)


@pytest.fixture
def make_issue_row(settle: Callable[[], None]) -> Callable[..., Issue]:
    """A published issue row without pages (enough for entitlements and purchases)."""

    def make(
        publication: str = "challenge",
        number: int = 228,
        released: date = date(2022, 2, 11),
        published: bool = True,
    ) -> Issue:
        pub = db.session.scalar(select(Publication).where(Publication.slug == publication))
        issue = Issue(
            publication=pub,
            number=number,
            title=f"{pub.title} N°{number}",
            period_label="Du 11 au 17 février 2022",
            release_date=released,
            status=IssueStatus.READY,
            # Published at 06:00 UTC on its release day, or now if that is still ahead (a
            # test releasing "today" ran between midnight and 06:00 UTC and saw no issue).
            publish_at=min(datetime.combine(released, time(6)), utcnow()) if published else None,
            page_count=8,
            preview_pages=3,
        )
        db.session.add(issue)
        settle()
        return issue

    return make


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[Path]]:
    """The messages written so far (MAIL_OUTBOX: one .eml per message)."""

    def read() -> list[Path]:
        folder = Path(app.config["MAIL_OUTBOX"])
        return sorted(folder.glob("*.eml")) if folder.exists() else []

    return read


# ---------------------------------------------------------------- live server and browser


class LiveServer:
    """The app on a real socket, one thread per connection.

    Once stopped, it runs no request any more: the ones in progress are waited for, and
    a browser still open (its keep-alive connections, a last beacon) gets a 503 without
    reaching the app, so that nothing holds the database while the tables are emptied."""

    def __init__(self, app: Flask) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.running = 0
        self.stopped = False
        self.idle = threading.Condition()
        self.server = make_server("127.0.0.1", self.port, self._guarded(app), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _guarded(self, app: Flask) -> Callable[..., Any]:
        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
            with self.idle:
                if self.stopped:
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return
                self.running += 1
            body = None
            try:
                body = app(environ, start_response)
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()
                with self.idle:
                    self.running -= 1
                    self.idle.notify_all()

        return wsgi

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        with self.idle:
            self.stopped = True
            self.idle.wait_for(lambda: self.running == 0, timeout=10)
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.stop()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()
