"""What crashes leave under STORAGE_ROOT (staging folders, upload `.part` files) is swept
when no live job or upload owns it; and re-processing keeps the staff's preview choice."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from magazine_app import storage
from magazine_app.catalog.queries import publication_by_slug
from magazine_app.catalog.register import register_issue
from magazine_app.core.extensions import db
from magazine_app.jobs import queue
from magazine_app.jobs.ingest import run_ingest_job
from magazine_app.jobs.leases import sweep_leftovers
from magazine_app.models import Issue, IssueStatus, utcnow
from tests.conftest import TEST_SIZES
from tests.pdfs import magazine_pdf


def _issue(tmp_path: Path, number: int, status: IssueStatus, **kw) -> Issue:
    issue = register_issue(
        publication_by_slug("challenge"),
        number,
        magazine_pdf(tmp_path / f"{number}.pdf", 2),
        actor=None,
    )
    issue.status = status
    for key, value in kw.items():
        setattr(issue, key, value)
    db.session.commit()
    return issue


def _folder(name: str) -> Path:
    path = storage.resolve(f"staging/{name}")
    (path / "screen").mkdir(parents=True)
    (path / "screen" / "0001.webp").write_bytes(b"x" * 1000)
    return path


def _part(name: str, age: float) -> Path:
    path = storage.resolve(f"staging/uploads/{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 partial")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_sweep_removes_only_what_nothing_alive_owns(app, tmp_path) -> None:
    now = utcnow()
    live = _issue(
        tmp_path,
        1,
        IssueStatus.PROCESSING,
        job_owner="worker-a:123:a1b2c3d4e5f6",
        job_lease_until=now + timedelta(minutes=1),
    )
    expired = _issue(
        tmp_path,
        2,
        IssueStatus.PROCESSING,
        job_owner="worker-b:456:0a0b0c0d0e0f",
        job_lease_until=now - timedelta(seconds=5),
    )
    failed = _issue(tmp_path, 3, IssueStatus.FAILED)
    live_folder = _folder(f"{live.id}-a1b2c3d4e5f6")  # the running job's
    dead_attempt = _folder(f"{live.id}-ffffffffffff")  # an earlier attempt of that issue
    expired_folder = _folder(f"{expired.id}-0a0b0c0d0e0f")
    failed_folder = _folder(f"{failed.id}-123456789abc")
    gone_folder = _folder("99999-abcdefabcdef")  # its issue was deleted
    stranger = _folder("notes")  # not a name we create: not ours to judge
    old_part = _part("upload-old.part", age=2 * 3600)
    fresh_part = _part("upload-now.part", age=60)  # an upload in progress

    sweep = sweep_leftovers()

    assert live_folder.is_dir() and (live_folder / "screen" / "0001.webp").exists()
    assert fresh_part.exists() and stranger.is_dir()
    for path in (dead_attempt, expired_folder, failed_folder, gone_folder, old_part):
        assert not path.exists(), path
    assert set(sweep.removed) == {
        dead_attempt,
        expired_folder,
        failed_folder,
        gone_folder,
        old_part,
    }
    # The age limit is a setting.
    app.config["UPLOAD_PART_MAX_AGE"] = 30
    sweep_leftovers()
    assert not fresh_part.exists()


def test_the_sweep_is_a_scheduled_huey_task(app, tmp_path) -> None:
    huey = app.extensions["huey"]
    due = {t.name for t in huey.read_periodic(datetime(2026, 3, 1, 4, 17))}
    assert {"sweep_leftovers_periodic", "recover_jobs_periodic"} <= due  # hourly, each minute
    due = {t.name for t in huey.read_periodic(datetime(2026, 3, 1, 4, 18))}
    assert "recover_jobs_periodic" in due and "sweep_leftovers_periodic" not in due
    orphan = _folder("42-abcabcabcabc")
    queue.enqueue("sweep_leftovers")  # HUEY_IMMEDIATE in tests: runs now
    assert not orphan.exists()


def test_a_new_issue_gets_the_configured_free_pages(app, tmp_path) -> None:
    app.config["PREVIEW_PAGES"] = 2
    issue = register_issue(
        publication_by_slug("challenge"), 11, magazine_pdf(tmp_path / "p.pdf", 4), actor=None
    )
    assert issue.preview_pages == 2


def test_reprocessing_keeps_zero_preview_pages(app, tmp_path) -> None:
    app.config["INGEST_SIZES"] = TEST_SIZES
    issue = register_issue(
        publication_by_slug("challenge"), 10, magazine_pdf(tmp_path / "p.pdf", 4), actor=None
    )
    db.session.commit()
    assert run_ingest_job(issue.id).ok
    assert issue.preview_pages == app.config["PREVIEW_PAGES"] == 3  # a new issue's default
    issue.preview_pages = 0  # staff: no free page
    db.session.commit()
    register_issue(
        publication_by_slug("challenge"),
        10,
        magazine_pdf(tmp_path / "p2.pdf", 5),
        actor=None,
        replace=True,
    )
    db.session.commit()
    assert run_ingest_job(issue.id).ok
    db.session.refresh(issue)
    assert issue.page_count == 5 and issue.preview_pages == 0
