"""Leases on issues being ingested, the recovery of jobs a killed consumer left behind, and
the sweep of what crashes leave on disk.

A job claims its issue with a lease (`job_owner`, `job_lease_until`) and renews it while it
works (a heartbeat every third of JOB_LEASE_SECONDS, from the supervisor's loop and with each
progress write). Every write of a job is guarded by "I still own the lease": a job whose lease
expired and was taken over by another worker cannot move the progress bar, fail the issue, or
record its result (the check is the first statement of the recording transaction, so it holds
the row until commit). An expired lease means the job is dead:

* a consumer requeues such issues at start-up, a minute later at the latest (periodic task),
  and once at the expiry of the leases it saw alive at start-up (jobs.recover_jobs);
* when staff open an issue (or the console's list) whose lease expired and that no consumer
  requeued yet, it is shown failed with a French reason (`expire_abandoned`): staff may
  retry or delete it from the console, consumer running or not.

Leftovers. Crashes leave staging folders and upload `.part` files; `sweep_leftovers` removes
those that no live job or upload owns (consumer start-up and hourly).

Like the job body, these functions are the jobs' own transaction control: they commit."""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from magazine_app import storage
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import Issue, IssueStatus, utcnow

log = logging.getLogger(__name__)


MAX_ATTEMPTS = 2


INTERRUPTED = (
    "Le traitement a été interrompu (arrêt du serveur de tâches) à plusieurs reprises : "
    "relancez-le ou contactez l'équipe technique."
)


ABANDONED = (
    "Le traitement s'est arrêté sans terminer (serveur de tâches arrêté ou redémarré) : "
    "relancez-le, ou supprimez le numéro."
)


STAGING_NAME = re.compile(r"(?P<issue>\d+)-(?P<token>[0-9a-f]+)")


class LeaseLost(Exception):
    """This job's lease expired and another worker took the issue over."""


def lease_seconds() -> float:
    return float(current_app.config["JOB_LEASE_SECONDS"])


def _expired(now: datetime) -> Any:
    """No live lease: none at all, or one that ended before `now`."""
    return or_(Issue.job_lease_until.is_(None), Issue.job_lease_until < now)


def claim(issue_id: int, owner: str, now: datetime | None = None) -> bool:
    """Take the issue for this job unless a live lease of another job holds it; commits.

    One conditional UPDATE: of two workers handed the same issue, exactly one wins."""
    now = now or utcnow()
    result = db.session.execute(
        update(Issue)
        .where(
            Issue.id == issue_id,
            or_(Issue.status != IssueStatus.PROCESSING, _expired(now)),
        )
        .values(
            status=IssueStatus.PROCESSING,
            job_owner=owner,
            job_lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=Issue.attempts + 1,
            processing_started_at=now,
            failure_reason=None,
            progress_done=0,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


class Lease:
    """The lease a running job holds on its issue. Every write goes through `write`,
    guarded by ownership; `tick` is the heartbeat (cheap when called often)."""

    def __init__(self, issue_id: int, owner: str, seconds: float) -> None:
        self.issue_id = issue_id
        self.owner = owner
        self.seconds = seconds
        self.interval = max(0.2, seconds / 3)
        self.renewed = time.monotonic()

    def _guarded(self, **values: Any) -> bool:
        now = utcnow()
        result = db.session.execute(
            update(Issue)
            .where(Issue.id == self.issue_id, Issue.job_owner == self.owner)
            .values(**{"job_lease_until": now + timedelta(seconds=self.seconds), **values})
            .execution_options(synchronize_session=False)
        )
        self.renewed = time.monotonic()
        return result.rowcount == 1

    def write(self, **values: Any) -> None:
        """Renew the lease with `values`, and commit; LeaseLost when no longer ours."""
        if not self._guarded(**values):
            db.session.rollback()
            raise LeaseLost(self.issue_id)
        db.session.commit()

    def tick(self) -> None:
        if time.monotonic() - self.renewed >= self.interval:
            self.write()

    def hold(self) -> None:
        """Check ownership as the first write of the caller's transaction, without
        committing: the row stays locked for this job until the caller commits."""
        if not self._guarded():
            db.session.rollback()
            raise LeaseLost(self.issue_id)

    def release(self, **values: Any) -> bool:
        """Final write of a job that did not succeed (status, reason); False when the
        lease was no longer ours (nothing written)."""
        ok = self._guarded(job_owner=None, job_lease_until=None, **values)
        db.session.commit()
        return ok


def new_owner() -> tuple[str, str]:
    """(owner, token): who holds a lease, for humans and logs; the token also names the
    job's staging folder, so that the leftover sweep knows which folder is alive."""
    token = secrets.token_hex(6)
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{token}", token


def _owner_token(owner: str | None) -> str | None:
    return owner.rsplit(":", 1)[-1] if owner else None


def recover_stale_jobs(now: datetime | None = None) -> tuple[list[int], list[int]]:
    """At consumer start-up (and every minute): issues left "processing" whose lease has
    expired are queued again (bounded attempts) or marked failed; a live lease (a job
    running in this or another consumer) is left alone. Returns (requeued ids, failed ids);
    the caller enqueues the requeued ones."""
    now = now or utcnow()
    requeued, failed = [], []
    stale = db.session.execute(
        select(Issue.id, Issue.attempts).where(
            Issue.status == IssueStatus.PROCESSING, _expired(now)
        )
    ).all()
    for issue_id, attempts in stale:
        if attempts < MAX_ATTEMPTS:
            values: dict[str, Any] = {"status": IssueStatus.QUEUED}
        else:
            values = {"status": IssueStatus.FAILED, "failure_reason": INTERRUPTED}
        # Guarded again: another consumer may have requeued or claimed it meanwhile.
        result = db.session.execute(
            update(Issue)
            .where(Issue.id == issue_id, Issue.status == IssueStatus.PROCESSING, _expired(now))
            .values(job_owner=None, job_lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            (requeued if values["status"] is IssueStatus.QUEUED else failed).append(issue_id)
    db.session.commit()
    db.session.expire_all()
    return requeued, failed


def next_lease_expiry(now: datetime | None = None) -> datetime | None:
    """When the latest live lease expires (None without any): the consumer checks again
    then, so that a job killed with the previous consumer is requeued without waiting."""
    now = now or utcnow()
    return db.session.scalar(
        select(func.max(Issue.job_lease_until)).where(
            Issue.status == IssueStatus.PROCESSING, Issue.job_lease_until >= now
        )
    )


def is_abandoned(issue: Issue, now: datetime | None = None) -> bool:
    """Processing, but its lease expired: the job died and no consumer requeued it yet.
    (A row without any lease is left to the consumer's recovery.)"""
    return (
        issue.status is IssueStatus.PROCESSING
        and issue.job_lease_until is not None
        and issue.job_lease_until < (now or utcnow())
    )


def expire_abandoned(issue_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Mark abandoned jobs failed (one issue, or all): what staff see, so that they can
    retry or delete them while no consumer runs. Commits; returns the ids changed."""
    now = now or utcnow()
    stmt = select(Issue).where(
        Issue.status == IssueStatus.PROCESSING,
        Issue.job_lease_until.is_not(None),
        Issue.job_lease_until < now,
    )
    if issue_id is not None:
        stmt = stmt.where(Issue.id == issue_id)
    changed = []
    for issue in db.session.scalars(stmt).all():
        expired_at, owner = issue.job_lease_until, issue.job_owner
        result = db.session.execute(
            update(Issue)
            .where(Issue.id == issue.id, Issue.job_lease_until == expired_at)
            .values(
                status=IssueStatus.FAILED,
                failure_reason=ABANDONED,
                job_owner=None,
                job_lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            changed.append(issue.id)
            audit.record(
                None,
                "issue.job_abandoned",
                f"{audit.issue_label(issue)} : plus de nouvelles du traitement depuis le "
                f"{expired_at:%d/%m/%Y %H:%M:%S} (UTC)",
                issue,
                {"owner": owner, "lease_until": expired_at.isoformat()},
            )
    if changed:
        db.session.commit()
        db.session.expire_all()
    return changed


@dataclass
class Sweep:
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def _live_tokens(now: datetime) -> dict[int, str | None]:
    rows = db.session.execute(
        select(Issue.id, Issue.job_owner).where(
            Issue.status == IssueStatus.PROCESSING, Issue.job_lease_until >= now
        )
    ).all()
    return {issue_id: _owner_token(owner) for issue_id, owner in rows}


def remove_staging(issue_id: int, keep: str | None) -> None:
    staging = storage.resolve("staging")
    if not staging.is_dir():
        return
    for path in staging.glob(f"{issue_id}-*"):
        match = STAGING_NAME.fullmatch(path.name)
        if match and match["token"] != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def sweep_leftovers(now: datetime | None = None) -> Sweep:
    """Remove what crashes left under STORAGE_ROOT and no live job or upload owns:

    * staging/<issue id>-<token>/ folders, unless that issue's live lease has this token;
    * staging/uploads/*.part upload files older than UPLOAD_PART_MAX_AGE seconds (an upload
      in progress writes its file continuously, so its mtime stays recent);
    * originals/*.tmp copies older than the same age.
    Folders are listed before the leases are read: a job creates its folder only after
    claiming its lease, so a folder seen here is either dead or covered by a lease seen."""
    now = now or utcnow()
    sweep = Sweep()
    staging = storage.resolve("staging")
    folders = (
        [p for p in staging.iterdir() if p.is_dir() and STAGING_NAME.fullmatch(p.name)]
        if staging.is_dir()
        else []
    )
    live = _live_tokens(now)
    for path in folders:
        match = STAGING_NAME.fullmatch(path.name)
        assert match is not None
        if live.get(int(match["issue"]), "-") == match["token"]:
            sweep.kept.append(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
            sweep.removed.append(path)
    max_age = float(current_app.config["UPLOAD_PART_MAX_AGE"])
    cutoff = time.time() - max_age
    temporary = (("*.part", staging / "uploads"), ("*.tmp", storage.resolve("originals")))
    for pattern, folder in temporary:
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            try:
                old = path.is_file() and path.stat().st_mtime < cutoff
            except FileNotFoundError:  # finished (moved) meanwhile
                continue
            if old:
                path.unlink(missing_ok=True)
                sweep.removed.append(path)
            else:
                sweep.kept.append(path)
    if sweep.removed:
        log.info("leftovers removed: %s", ", ".join(str(p) for p in sweep.removed))
    return sweep
