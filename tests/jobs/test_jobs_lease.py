"""Job leases: a `kill -9` of the consumer leaves no orphan process and no double
ingestion; an issue is requeued only once its lease expired; a job that lost its lease
records nothing; staff can retry or delete an issue whose job died."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from magazine_app import storage
from magazine_app.catalog.queries import publication_by_slug
from magazine_app.catalog.register import register_issue
from magazine_app.core.extensions import db
from magazine_app.jobs.ingest import BUSY, LEASE_LOST, run_ingest_job
from magazine_app.jobs.leases import ABANDONED, next_lease_expiry, recover_stale_jobs
from magazine_app.models import AuditEvent, Issue, IssueStatus, utcnow
from tests.conftest import TEST_SIZES, csrf_token
from tests.pdfs import magazine_pdf
from tests.servers import consumer_env

ROOT = Path(__file__).resolve().parents[2]


def _register(tmp_path: Path, pages: int = 6, number: int = 228) -> Issue:
    pdf = magazine_pdf(tmp_path / f"m{number}-{pages}.pdf", pages)
    issue = register_issue(
        publication_by_slug("challenge"), number, pdf, actor=None, period_label="Du 1er"
    )
    db.session.commit()
    return issue


def _as_another_worker(issue_id: int, **values) -> None:
    """Write like another process would: its own connection and transaction."""
    with db.engine.begin() as conn:
        conn.execute(update(Issue).where(Issue.id == issue_id).values(**values))


# --------------------------------------------------------------------------- lost lease


# Another worker writes and reads through its own connection: it must see this test's rows.
@pytest.mark.commits
@pytest.mark.parametrize("when", ["mid-way", "after the last page"])
def test_a_job_that_lost_its_lease_records_nothing(fast, tmp_path, when) -> None:
    issue = _register(tmp_path, pages=6)
    issue_id = issue.id
    other = storage.issue_root(issue_id) / "v-other"
    (other / "screen").mkdir(parents=True)
    (other / "screen" / "0001.webp").write_bytes(b"the other worker's page")
    at = 2 if when == "mid-way" else 6

    def take_over(done: int, total: int) -> None:
        if done == at:  # our lease expired meanwhile; another worker claimed the issue
            _as_another_worker(
                issue_id,
                job_owner="other-host:4242:abcdefabcdef",
                job_lease_until=utcnow() + timedelta(minutes=5),
                rendition_dir="v-other",
                progress_done=1,
                progress_total=6,
            )

    outcome = run_ingest_job(issue_id, on_progress=take_over)

    assert not outcome.ok and outcome.reason == LEASE_LOST
    db.session.expire_all()
    row = db.session.get(Issue, issue_id)
    # Still the other worker's: status, owner, its version, its progress.
    assert row.status is IssueStatus.PROCESSING and row.job_owner.startswith("other-host:")
    assert row.rendition_dir == "v-other" and row.progress_done == 1 and row.pages == []
    assert [p.name for p in storage.issue_root(issue_id).iterdir()] == ["v-other"]
    assert (other / "screen" / "0001.webp").read_bytes() == b"the other worker's page"
    staging = storage.root() / "staging"
    assert not staging.exists() or not any(staging.iterdir())


def test_a_duplicate_job_leaves_a_live_lease_alone(fast, tmp_path) -> None:
    issue = _register(tmp_path, pages=3, number=300)
    lease = utcnow() + timedelta(minutes=1)
    issue.status, issue.attempts = IssueStatus.PROCESSING, 1
    issue.job_owner, issue.job_lease_until = "busy-host:1:0123456789ab", lease
    db.session.commit()
    outcome = run_ingest_job(issue.id)
    assert not outcome.ok and outcome.reason == BUSY
    db.session.refresh(issue)
    assert issue.status is IssueStatus.PROCESSING and issue.attempts == 1
    assert issue.job_owner == "busy-host:1:0123456789ab" and issue.rendition_dir is None


# Another worker writes and reads through its own connection: it must see this test's rows.
@pytest.mark.commits
def test_a_job_holds_then_releases_its_lease(fast, tmp_path) -> None:
    fast.config["JOB_LEASE_SECONDS"] = 30
    issue = _register(tmp_path, pages=3, number=301)
    seen = []

    def watch(done: int, total: int) -> None:
        with db.engine.connect() as conn:
            seen.append(conn.execute(select(Issue.job_owner, Issue.job_lease_until)).one())

    assert run_ingest_job(issue.id, on_progress=watch).ok
    owner, until = seen[-1]
    assert owner and owner.split(":")[1] == str(os.getpid())
    assert timedelta(seconds=20) < until - utcnow() <= timedelta(seconds=30)
    db.session.refresh(issue)
    assert issue.job_owner is None and issue.job_lease_until is None
    assert issue.status is IssueStatus.READY


def test_recovery_requeues_only_expired_leases(fast, tmp_path) -> None:
    now = utcnow()
    live = _register(tmp_path, number=310)
    expired = _register(tmp_path, number=311)
    for issue, until in (
        (live, now + timedelta(seconds=30)),
        (expired, now - timedelta(seconds=1)),
    ):
        issue.status, issue.attempts = IssueStatus.PROCESSING, 1
        issue.job_owner, issue.job_lease_until = "host:1:aaaaaaaaaaaa", until
    db.session.commit()
    assert recover_stale_jobs() == ([expired.id], [])
    assert live.status is IssueStatus.PROCESSING and live.job_owner == "host:1:aaaaaaaaaaaa"
    assert expired.status is IssueStatus.QUEUED and expired.job_owner is None
    assert next_lease_expiry() == now + timedelta(seconds=30)
    # Once the live lease expires too, the next pass requeues it.
    assert recover_stale_jobs(now + timedelta(seconds=31)) == ([live.id], [])


# --------------------------------------------------------------------------- staff console


def _abandoned(make_issue, **kw) -> Issue:
    issue = make_issue(pages=4, published=False, **kw)
    issue.status, issue.attempts = IssueStatus.PROCESSING, 1
    issue.progress_done, issue.progress_total = 2, 4
    issue.job_owner = "dead-host:999:deadbeef0000"
    issue.job_lease_until = utcnow() - timedelta(seconds=10)
    db.session.commit()
    return issue


# The ingestion job runs inside the request (HUEY_IMMEDIATE) and commits on its own: the
# request's later rollback of its savepoint would undo it in a rolled-back test.
@pytest.mark.commits
def test_staff_see_a_dead_job_failed_and_retry_it(fast, staff_client, make_issue) -> None:
    issue = _abandoned(make_issue)
    base = f"/redaction/numeros/{issue.id}"
    state = staff_client.get(f"{base}/etat.json").get_json()
    assert state["status"] == "failed" and state["reason"] == ABANDONED and state["finished"]
    page = staff_client.get(base).get_data(as_text=True)
    assert "serveur de tâches arrêté ou redémarré" in page and "Relancer le traitement" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "issue.job_abandoned"))
    assert event.target_id == issue.id and event.details["owner"] == "dead-host:999:deadbeef0000"
    assert "Échec" in staff_client.get("/redaction/").get_data(as_text=True)

    # Without the CSRF token: nothing is retried.
    assert staff_client.post(f"{base}/relancer", data={}).status_code == 400
    assert db.session.get(Issue, issue.id).status is IssueStatus.FAILED
    token = csrf_token(staff_client, base)
    response = staff_client.post(f"{base}/relancer", data={"csrf_token": token})
    assert response.status_code == 302
    issue = db.session.get(Issue, issue.id)
    assert issue.status is IssueStatus.READY  # HUEY_IMMEDIATE: re-processed in the request
    assert issue.job_owner is None and [p.name for p in storage.issue_root(issue.id).iterdir()] == [
        issue.rendition_dir
    ]
    retried = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "issue.retry"))
    assert retried.actor_email == "redac@challenge.ma" and retried.target_id == issue.id


def test_staff_delete_a_dead_job_after_confirming(fast, staff_client, make_issue) -> None:
    issue = _abandoned(make_issue)
    issue_id, folder = issue.id, storage.issue_root(issue.id)
    url = f"/redaction/numeros/{issue_id}/supprimer"
    confirm = staff_client.get(url).get_data(as_text=True)
    assert "Supprimer définitivement" in confirm and "en cours de traitement" not in confirm
    assert staff_client.post(url, data={}).status_code == 400  # no CSRF token
    assert db.session.get(Issue, issue_id) is not None
    response = staff_client.post(url, data={"csrf_token": csrf_token(staff_client, url)})
    assert response.status_code == 302
    assert db.session.get(Issue, issue_id) is None and not folder.exists()
    deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "issue.delete"))
    assert deleted.details["issue_id"] == issue_id


def test_a_live_job_can_be_neither_retried_nor_deleted(fast, staff_client, make_issue) -> None:
    issue = _abandoned(make_issue)
    issue.job_lease_until = utcnow() + timedelta(minutes=1)  # its worker is alive
    db.session.commit()
    base = f"/redaction/numeros/{issue.id}"
    assert staff_client.get(f"{base}/etat.json").get_json()["status"] == "processing"
    token = csrf_token(staff_client, base)
    for action, message in (("relancer", "Seul un traitement en échec"), ("supprimer", "attendez")):
        response = staff_client.post(f"{base}/{action}", data={"csrf_token": token})
        assert response.status_code == 302
        assert message in staff_client.get(response.headers["Location"]).get_data(as_text=True)
    issue = db.session.get(Issue, issue.id)
    assert issue.status is IssueStatus.PROCESSING and issue.job_owner.startswith("dead-host")


# --------------------------------------------------------------------------- kill -9


def _processes() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (ppid, process group, state, command line), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry)] = (int(fields[1]), int(fields[2]), fields[0], cmdline)
    return found


def _descendants(root: int) -> dict[int, str]:
    procs = _processes()
    out, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _, state, cmdline) in procs.items():
            if ppid == parent and pid not in out and state not in "ZX":
                out[pid] = cmdline
                todo.append(pid)
    return out


def _survivors(pids: set[int], group: int, marker: str) -> dict[int, str]:
    """Still-running processes among `pids`, in process group `group`, or whose command
    line names `marker` (zombies are dead: only their exit status is left)."""
    return {
        pid: cmdline
        for pid, (_, pgid, state, cmdline) in _processes().items()
        if state not in "ZX" and (pid in pids or pgid == group or marker in cmdline)
    }


def _consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "jobs", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_the_consumer_leaves_no_orphan_and_one_ingestion(app_config, tmp_path) -> None:
    from magazine_app import create_app
    from magazine_app.jobs import queue

    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the consumer process test runs on the SQLite default")
    cfg = {
        **app_config,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'kill.db'}",
        "HUEY_IMMEDIATE": False,
        "HUEY_SQLITE_PATH": str(tmp_path / "jobs.db"),
        "INGEST_SIZES": TEST_SIZES,
        "JOB_LEASE_SECONDS": 3,
    }
    app = create_app(cfg)
    pdf = magazine_pdf(tmp_path / "long-issue.pdf", 80)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        issue_id = register_issue(publication_by_slug("challenge"), 900, pdf, actor=None).id
        db.session.commit()
        queue.enqueue("ingest_issue", issue_id)
        db.session.remove()

    def row() -> Issue:
        with app.app_context():
            issue = db.session.get(Issue, issue_id)
            db.session.expunge(issue)
            db.session.remove()
            return issue

    env = consumer_env(cfg, MAGAZINE_INGEST_WORKERS="1", MAGAZINE_JOB_LEASE_SECONDS="3")
    log = tmp_path / "consumer.log"
    marker = cfg["STORAGE_ROOT"]  # in the command line of every PDF child
    first = _consumer(env, log)
    second = None
    tree: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tree = _descendants(first.pid)
            state = row()
            if state.progress_done >= 3 and any("ingest.child" in c for c in tree.values()):
                break
            assert state.status is not IssueStatus.READY, "the PDF is too small to kill mid-work"
            time.sleep(0.05)
        else:
            pytest.fail(f"the job did not start: {log.read_text()}")
        assert len(tree) >= 3  # Huey worker, scheduler, PDF child(ren)

        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        deadline = time.monotonic() + 5
        while (alive := _survivors(set(tree), first.pid, marker)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive == {}, f"orphans after kill -9: {alive}"

        killed = row()
        assert killed.status is IssueStatus.PROCESSING and killed.job_lease_until is not None
        second = _consumer(env, log)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and row().status is not IssueStatus.READY:
            time.sleep(0.2)
        done = row()
        assert done.status is IssueStatus.READY, log.read_text()
        # Requeued only once the dead job's lease had expired, and run once more.
        assert done.processing_started_at >= killed.job_lease_until
        assert done.attempts == 2 and done.page_count == 80 and done.job_owner is None
        with app.app_context():
            versions = [p.name for p in storage.issue_root(issue_id).iterdir()]
            staging = [p.name for p in (storage.root() / "staging").iterdir()]
        assert versions == [done.rendition_dir]
        assert staging in ([], ["uploads"])  # the killed job's folder went too
    finally:
        for proc in (first, second):
            if proc is not None:
                _stop(proc)
        for pid in _survivors(set(tree), first.pid, marker):  # only on failure
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with app.app_context():
            db.engine.dispose()
