"""The ingestion job's body: claim the issue's lease, run the PDF work in child processes
(ingest.run_ingest), then record the result, or the failure with a reason.

It runs in the job consumer (or `flask issues ingest`) and is the edge that commits: status
and progress as it goes, so that the console can follow, and the result once. The staging
folder becomes the issue's folder only when everything succeeded. The leases that guard
every write, and the recovery of jobs a killed consumer left behind, are in jobs/leases.py."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import current_app

from magazine_app import storage
from magazine_app.catalog.register import ProcessingError, record_manifest
from magazine_app.core.extensions import db
from magazine_app.ingest import IngestError, run_ingest
from magazine_app.ingest.renditions import make_placeholders
from magazine_app.jobs.leases import (
    Lease,
    LeaseLost,
    claim,
    lease_seconds,
    new_owner,
    remove_staging,
)
from magazine_app.models import Issue, IssueStatus

log = logging.getLogger(__name__)

INTERNAL = "Erreur interne pendant le traitement : l'équipe technique a été prévenue."
LEASE_LOST = (
    "Ce traitement a été repris par un autre serveur de tâches : son résultat est abandonné."
)
BUSY = "Ce numéro est déjà en cours de traitement par un autre serveur de tâches."
# The progress bar moves at most twice a second: each move is a guarded write (and a
# commit) of the lease row, and a 150-page issue reports every page.
PROGRESS_WRITE_EVERY = 0.5


@dataclass(frozen=True)
class Outcome:
    issue: Issue
    ok: bool
    seconds: float
    reason: str | None = None

    @property
    def output_bytes(self) -> int:
        return sum(
            r.get("bytes", 0)
            for p in self.issue.pages
            for r in p.renditions.values()
            if isinstance(r, dict)
        )


def run_ingest_job(
    issue_id: int,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    child_command: Sequence[str] | None = None,
) -> Outcome:
    """The job's body: claim the issue's lease, run ingestion in child processes, then
    record the result.

    Commits as it goes (status, progress) so that the UI can follow; never leaves the
    issue "processing": success -> ready, any failure -> failed with a reason. A job that
    finds the issue held by a live lease, or loses its lease on the way, changes nothing."""
    started = time.monotonic()
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        raise ProcessingError(f"issue {issue_id} does not exist")
    owner, token = new_owner()
    if not claim(issue.id, owner):
        log.warning("issue %s is held by %s: this duplicate job does nothing", issue_id, owner)
        return Outcome(issue, False, time.monotonic() - started, BUSY)
    lease = Lease(issue.id, owner, lease_seconds())
    # Staging folders of earlier attempts of this issue are dead now that we hold it.
    remove_staging(issue.id, keep=token)

    cfg = current_app.config
    staging = storage.staging_dir(issue.id, token)
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        now = time.monotonic()
        if done in (0, total) or now - last_write > PROGRESS_WRITE_EVERY:
            last_write = now
            lease.write(progress_done=done, progress_total=total)
        if on_progress is not None:
            on_progress(done, total)

    try:
        manifest = run_ingest(
            storage.resolve(issue.source_path or ""),
            staging,
            workers=int(cfg["INGEST_WORKERS"]),
            max_pages=int(cfg["MAX_PDF_PAGES"]),
            page_timeout=float(cfg["INGEST_PAGE_TIMEOUT"]),
            total_timeout=float(cfg["INGEST_TOTAL_TIMEOUT"]),
            memory_limit_mb=int(cfg["INGEST_MEMORY_MB"]),
            on_progress=progress,
            child_command=child_command,
            sizes=cfg["INGEST_SIZES"],
            on_tick=lease.tick,
        )
        placeholders = make_placeholders(manifest, staging)
        version = f"v{int(time.time())}-{secrets.token_hex(4)}"
        final = storage.issue_root(issue.id) / version
        final.parent.mkdir(parents=True, exist_ok=True)
        # One transaction: the ownership check (which locks the row), then the result.
        lease.hold()
        db.session.refresh(issue)
        old_version = issue.rendition_dir
        os.replace(staging, final)
        try:
            record_manifest(issue, manifest, version, placeholders)
            issue.job_owner = issue.job_lease_until = None
            db.session.commit()
        except BaseException:
            db.session.rollback()
            shutil.rmtree(final, ignore_errors=True)
            raise
        if old_version and old_version != version:
            shutil.rmtree(storage.issue_root(issue.id) / old_version, ignore_errors=True)
        return Outcome(issue, True, time.monotonic() - started)
    except LeaseLost:
        log.warning("issue %s: lease of %s lost, result dropped", issue_id, owner)
        db.session.rollback()
        return Outcome(issue, False, time.monotonic() - started, LEASE_LOST)
    except IngestError as exc:
        db.session.rollback()
        if not lease.release(status=IssueStatus.FAILED, failure_reason=exc.message):
            log.warning("issue %s: lease of %s lost, failure not recorded", issue_id, owner)
            return Outcome(issue, False, time.monotonic() - started, LEASE_LOST)
        db.session.refresh(issue)
        return Outcome(issue, False, time.monotonic() - started, exc.message)
    except Exception:
        log.exception("ingestion of issue %s failed unexpectedly", issue_id)
        db.session.rollback()
        lease.release(status=IssueStatus.FAILED, failure_reason=INTERNAL)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
