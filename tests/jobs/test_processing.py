"""The ingestion job on the database side: status, progress, staging, failures,
re-processing, recovery after a killed consumer, and the `flask issues` commands."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from magazine_app import storage
from magazine_app.access import is_published
from magazine_app.catalog.queries import publication_by_slug
from magazine_app.catalog.register import register_issue
from magazine_app.core.extensions import db
from magazine_app.jobs.ingest import run_ingest_job
from magazine_app.jobs.leases import INTERRUPTED, recover_stale_jobs
from magazine_app.models import AuditEvent, Issue, IssueStatus, Page, TocEntry
from tests.conftest import TEST_SIZES, shared_path
from tests.pdfs import magazine_pdf
from tests.servers import consumer_env

HANGING_CHILD = Path(__file__).parents[1] / "ingest" / "hanging_child.py"


def _register(tmp_path: Path, pages: int = 6, number: int = 228, **kw) -> Issue:
    pdf = magazine_pdf(tmp_path / f"m{number}-{pages}.pdf", pages, **kw)
    issue = register_issue(
        publication_by_slug("challenge"), number, pdf, actor=None, period_label="Du 11 au 17"
    )
    db.session.commit()
    return issue


def _audit() -> list[tuple[str, str | None]]:
    """(action, via) of every audit line, oldest first."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, e.details.get("via")) for e in events]


def _no_staging() -> bool:
    staging = storage.root() / "staging"
    return not staging.exists() or not any(staging.iterdir())


def test_job_records_pages_toc_and_progress(fast, tmp_path) -> None:
    issue = _register(tmp_path, pages=6)
    seen: list[tuple[int, int]] = []
    outcome = run_ingest_job(issue.id, on_progress=lambda d, t: seen.append((d, t)))
    assert outcome.ok
    db.session.refresh(issue)
    assert issue.status is IssueStatus.READY and issue.page_count == 6
    assert (issue.progress_done, issue.progress_total) == (6, 6)
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert issue.toc_source == "outline" and issue.toc_entries[0].title == "Couverture"
    assert {e.level for e in issue.toc_entries} == {1, 2}
    page2 = issue.pages[1]
    assert "Page 2" in page2.text
    assert any(link.get("page") == 6 for link in page2.links)
    assert any(link.get("uri") == "https://www.challenge.ma/" for link in issue.pages[2].links)
    assert page2.renditions["placeholder"].startswith("data:image/jpeg;base64,")
    for size in ("thumb", "screen", "zoom"):
        rel = storage.rendition_relpath(
            issue.id, issue.rendition_dir, page2.renditions[size]["file"]
        )
        assert storage.resolve(rel).stat().st_size == page2.renditions[size]["bytes"]
    assert _no_staging()


def test_broken_pdf_fails_with_reason_and_leaves_nothing(fast, tmp_path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n%%EOF\n")
    issue = register_issue(publication_by_slug("challenge"), 300, broken, actor=None)
    db.session.commit()
    outcome = run_ingest_job(issue.id)
    db.session.refresh(issue)
    assert not outcome.ok
    assert issue.status is IssueStatus.FAILED
    assert issue.failure_reason and "PDF" in issue.failure_reason
    assert issue.rendition_dir is None
    assert db.session.scalar(select(func.count(Page.id)).where(Page.issue_id == issue.id)) == 0
    assert _no_staging()
    assert not storage.issue_root(issue.id).exists()


def test_corpus_password_pdf_fails_clearly(fast) -> None:
    pdf = shared_path("corpus", "broken", "pypdf-libreoffice-writer-password.pdf")
    issue = register_issue(publication_by_slug("challenge"), 301, pdf, actor=None)
    db.session.commit()
    run_ingest_job(issue.id)
    db.session.refresh(issue)
    assert issue.status is IssueStatus.FAILED
    assert "mot de passe" in issue.failure_reason


@pytest.mark.parametrize(("action", "words"), [("kill", "arrêté"), ("hang", "temps")])
def test_killed_or_hung_child_ends_as_failure(fast, tmp_path, action, words) -> None:
    fast.config["INGEST_PAGE_TIMEOUT"] = 3
    issue = _register(tmp_path, pages=4, number=400)
    command = [sys.executable, str(HANGING_CHILD), action, "3"]
    started = time.monotonic()
    outcome = run_ingest_job(issue.id, child_command=command)
    db.session.refresh(issue)
    assert not outcome.ok and issue.status is IssueStatus.FAILED
    assert "3" in issue.failure_reason and words in issue.failure_reason, issue.failure_reason
    assert time.monotonic() - started < 30
    assert _no_staging()


def test_reprocessing_replaces_cleanly(fast, tmp_path) -> None:
    issue = _register(tmp_path, pages=6)
    run_ingest_job(issue.id)
    db.session.refresh(issue)
    first_version = issue.rendition_dir
    pdf = magazine_pdf(tmp_path / "v2.pdf", 4, outline=False, title="v2")
    register_issue(publication_by_slug("challenge"), issue.number, pdf, actor=None, replace=True)
    db.session.commit()
    assert run_ingest_job(issue.id).ok
    db.session.refresh(issue)
    assert issue.page_count == 4 and issue.rendition_dir != first_version
    assert issue.toc_source == "built"
    assert db.session.scalar(select(func.count(Page.id)).where(Page.issue_id == issue.id)) == 4
    assert not (storage.issue_root(issue.id) / first_version).exists()
    assert [p.name for p in storage.issue_root(issue.id).iterdir()] == [issue.rendition_dir]
    assert (
        db.session.scalar(select(func.count(TocEntry.id)).where(TocEntry.issue_id == issue.id)) >= 1
    )


def test_duplicate_number_refused_without_replace(fast, tmp_path) -> None:
    from magazine_app.catalog.register import DuplicateIssue

    first = _register(tmp_path, number=500)
    with pytest.raises(DuplicateIssue, match="Challenge N°500 existe déjà") as info:
        _register(tmp_path, number=500)
    assert info.value.issue is first
    db.session.rollback()
    assert _audit() == [("issue.upload", "cli")]  # the refusal wrote no line


def test_stale_jobs_recovered_then_failed_after_bounded_attempts(fast, tmp_path) -> None:
    issue = _register(tmp_path, number=600)
    issue.status, issue.attempts = IssueStatus.PROCESSING, 1
    db.session.commit()
    assert recover_stale_jobs() == ([issue.id], [])
    assert issue.status is IssueStatus.QUEUED
    issue.status, issue.attempts = IssueStatus.PROCESSING, 2
    db.session.commit()
    assert recover_stale_jobs() == ([], [issue.id])
    assert issue.status is IssueStatus.FAILED and issue.failure_reason == INTERRUPTED


def test_enqueue_runs_the_job_through_huey(fast, tmp_path) -> None:
    from magazine_app.jobs import queue

    issue = _register(tmp_path, pages=3, number=700)
    queue.enqueue("ingest_issue", issue.id)  # HUEY_IMMEDIATE in tests: runs now, in app context
    db.session.refresh(issue)
    assert issue.status is IssueStatus.READY


# --------------------------------------------------------------------------- CLI


def test_cli_ingest_prints_summary_and_publishes(fast, runner, tmp_path) -> None:
    pdf = magazine_pdf(tmp_path / "cli.pdf", 5)
    result = runner.invoke(
        args=[
            "issues",
            "ingest",
            str(pdf),
            "--publication",
            "challenge-auto",
            "--number",
            "2",
            "--period",
            "Novembre 2021 - Janvier 2022",
            "--release-date",
            "2021-11-01",
            "--publish",
        ]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("5 pages, ") and " TOC entries, " in last and last.endswith(" MB")
    issue = db.session.scalar(select(Issue).where(Issue.number == 2))
    assert issue.publish_at is not None and issue.status is IssueStatus.READY
    # Registered and published through the console's operations, hence audited like them.
    assert _audit() == [("issue.upload", "cli"), ("issue.publish", "cli")]
    listing = runner.invoke(args=["issues", "list"]).output
    assert "challenge-auto" in listing and "ready" in listing
    assert listing.rstrip().endswith(" published")


def test_cli_list_says_the_publication_state(fast, runner, tmp_path) -> None:
    draft = _register(tmp_path, pages=2, number=10)
    scheduled = _register(tmp_path, pages=2, number=11)
    scheduled.publish_at = datetime(2099, 1, 2, 3, 4)
    db.session.commit()
    lines = runner.invoke(args=["issues", "list"]).output.splitlines()
    by_id = {int(line.split()[0]): line for line in lines}
    assert by_id[draft.id].endswith(" draft")
    assert by_id[scheduled.id].endswith(" scheduled 2099-01-02 03:04")


def test_demo_publishes_through_publish_now(fast, runner, tmp_path, monkeypatch) -> None:
    """`flask demo` registers, ingests, then publishes each issue with the console's
    operation (its READY check and its audit line), not by setting publish_at."""
    from magazine_app.cli import demo

    def one_issue():
        yield _register(tmp_path, pages=2, number=20)

    monkeypatch.setattr(demo, "register_demo_issues", one_issue)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    issue = db.session.scalar(select(Issue).where(Issue.number == 20))
    assert is_published(issue, datetime.now(UTC).replace(tzinfo=None))
    assert ("issue.publish", "cli") in _audit()


def test_cli_ingest_failure_exits_non_zero(fast, runner, tmp_path) -> None:
    bad = tmp_path / "notes.pdf"
    bad.write_text("pas un pdf")
    result = runner.invoke(
        args=["issues", "ingest", str(bad), "--publication", "challenge", "--number", "9"]
    )
    assert result.exit_code == 1
    assert "Ce fichier n'est pas un PDF." in result.output
    assert _audit() == []
    unknown = runner.invoke(
        args=["issues", "ingest", str(bad), "--publication", "nope", "--number", "1"]
    )
    assert unknown.exit_code == 2


@pytest.mark.slow
def test_worker_consumes_a_queued_job_and_survives_sigterm(app_config, tmp_path) -> None:
    """The real consumer (`flask jobs worker`) in its own process picks up a job that the
    web side enqueued in SqliteHuey, and stops cleanly on SIGTERM."""
    from magazine_app import create_app
    from magazine_app.jobs import queue

    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the consumer process test runs on the SQLite default")
    db_path = tmp_path / "worker.db"
    cfg = {
        **app_config,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "HUEY_IMMEDIATE": False,
        "HUEY_SQLITE_PATH": str(tmp_path / "jobs.db"),
        "INGEST_SIZES": TEST_SIZES,
    }
    app = create_app(cfg)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        issue = register_issue(
            publication_by_slug("challenge"), 800, magazine_pdf(tmp_path / "w.pdf", 3), actor=None
        )
        db.session.commit()
        issue_id = issue.id
        queue.enqueue("ingest_issue", issue_id)
        db.session.remove()
    env = consumer_env(cfg)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            with app.app_context():
                status = db.session.get(Issue, issue_id).status
                db.session.remove()
            if status in (IssueStatus.READY, IssueStatus.FAILED):
                break
            time.sleep(0.5)
        assert status is IssueStatus.READY
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        finally:
            if worker.poll() is None:
                worker.kill()
    with app.app_context():
        db.engine.dispose()
