"""Fixtures for the staff console tests: an administrator, PDFs to upload, and a
background job worker for the live-progress browser test (the staff user and its logged-in
client are in tests/conftest.py: the reader and jobs tests use them too)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from magazine_app.models import Role, User
from tests.conftest import TEST_SIZES, LiveServer
from tests.pdfs import magazine_pdf


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("admin@challenge.ma", role=Role.ADMIN, name="Admin")


@pytest.fixture
def small_pdf(tmp_path: Path) -> Path:
    return magazine_pdf(tmp_path / "numero.pdf", 4)


def upload_data(pdf: bytes | Path, **fields: Any) -> dict[str, Any]:
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    form = {
        "publication": "challenge",
        "number": "228",
        "title": "",
        "period_label": "Du 11 au 17 février 2022",
        "release_date": "2022-02-11",
        "cover_lines": "ACTUALITÉ | Le Maroc passe à l'Euro 6\nLa Bourse en hausse",
    }
    form.update({k: str(v) for k, v in fields.items()})
    form["pdf"] = (io.BytesIO(data), fields.get("filename", "numero-228.pdf"))
    return form


def stored_files(root: Path) -> list[Path]:
    """Every file under the storage root (originals, renditions, staging)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class QueueWorker:
    """Runs queued Huey tasks in a background thread, for tests only: the live server
    answers the browser while the job really runs (its PDF work in child processes)."""

    def __init__(self, app: Flask) -> None:
        self.huey = app.extensions["huey"]
        self.stop_event = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            task = self.huey.dequeue()
            if task is None:
                time.sleep(0.05)
                continue
            try:
                self.huey.execute(task)
            except BaseException as exc:  # recorded and re-raised by the test
                self.errors.append(exc)

    def __enter__(self) -> QueueWorker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)


@pytest.fixture
def queued_app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Jobs go through a real (SQLite) queue instead of running inside the request."""
    app_config.update(
        HUEY_IMMEDIATE=False,
        HUEY_SQLITE_PATH=str(tmp_path / "jobs.db"),
        INGEST_SIZES=TEST_SIZES,
        INGEST_WORKERS=1,
        STAFF_POLL_SECONDS=0.3,
        MAX_UPLOAD_BYTES=3 * 1024 * 1024,
    )
    return app_config


@pytest.fixture
def staff_server(
    queued_app_config: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[tuple[Flask, LiveServer, QueueWorker]]:
    app: Flask = request.getfixturevalue("app")
    server: LiveServer = request.getfixturevalue("live_server")
    with QueueWorker(app) as worker:
        yield app, server, worker
    if worker.errors:
        raise worker.errors[0]
