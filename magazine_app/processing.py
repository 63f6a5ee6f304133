"""From an uploaded PDF to a readable issue: registering the file, the ingestion job's body,
recording its manifest, and recovering jobs a killed consumer left behind.

The PDF work itself happens in child processes (ingest.run_ingest); this module runs in the
job consumer (or the CLI) and owns the database side: status, progress, the staging folder
that becomes the issue's folder only when everything succeeded.

Leases. A job claims its issue with a lease (`job_owner`, `job_lease_until`) and renews it
while it works (a heartbeat every third of JOB_LEASE_SECONDS, from the supervisor's loop and
with each progress write). Every write of a job is guarded by "I still own the lease": a job
whose lease expired and was taken over by another worker cannot move the progress bar, fail
the issue, or record its result (the check is the first statement of the recording
transaction, so it holds the row until commit). An expired lease means the job is dead:

* a consumer requeues such issues at start-up, a minute later at the latest (periodic task),
  and once at the expiry of the leases it saw alive at start-up (jobs.recover_jobs);
* when staff open an issue (or the console's list) whose lease expired and that no consumer
  requeued yet, it is shown failed with a French reason (`expire_abandoned`): staff may
  retry or delete it from the console, consumer running or not.

Leftovers. Crashes leave staging folders and upload `.part` files; `sweep_leftovers` removes
those that no live job or upload owns (consumer start-up and hourly)."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from . import search, storage
from .extensions import db
from .ingest import IngestError, Manifest, run_ingest
from .ingest.header import HEADER_SCAN, check_header
from .models import Issue, IssueStatus, Page, Publication, TocEntry, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2
INTERRUPTED = (
    "Le traitement a été interrompu (arrêt du serveur de tâches) à plusieurs reprises : "
    "relancez-le ou contactez l'équipe technique."
)
INTERNAL = "Erreur interne pendant le traitement : l'équipe technique a été prévenue."
ABANDONED = (
    "Le traitement s'est arrêté sans terminer (serveur de tâches arrêté ou redémarré) : "
    "relancez-le, ou supprimez le numéro."
)
LEASE_LOST = (
    "Ce traitement a été repris par un autre serveur de tâches : son résultat est abandonné."
)
BUSY = "Ce numéro est déjà en cours de traitement par un autre serveur de tâches."
STAGING_NAME = re.compile(r"(?P<issue>\d+)-(?P<token>[0-9a-f]+)")


class ProcessingError(ValueError):
    """A refusal before any job runs (duplicate number, unknown publication...)."""


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


# --------------------------------------------------------------------------- registering


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store_original(path: Path, *, move: bool = False) -> tuple[str, int, Path]:
    """Copy (or move) a PDF into originals/<sha256>.pdf; returns (sha, bytes, path)."""
    sha = sha256_file(path)
    target = storage.original_path(sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
        if move:
            shutil.move(str(path), tmp)
        else:
            shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    elif move:
        path.unlink()
    return sha, target.stat().st_size, target


def register_issue(
    publication: Publication,
    number: int,
    pdf: Path,
    *,
    title: str = "",
    period_label: str = "",
    release_date: date | None = None,
    cover_lines: list[dict[str, str]] | None = None,
    filename: str | None = None,
    replace: bool = False,
    move: bool = False,
) -> Issue:
    """Create the issue row for an uploaded PDF (or replace the file of an existing one),
    queued for processing. The caller commits, then enqueues `ingest_issue`."""
    issue = db.session.scalar(
        select(Issue).where(Issue.publication_id == publication.id, Issue.number == number)
    )
    if issue is not None and not replace:
        raise ProcessingError(f"{publication.title} N°{number} existe déjà.")
    if issue is not None and issue.status is IssueStatus.PROCESSING:
        raise ProcessingError("Ce numéro est en cours de traitement : attendez la fin.")
    # The same strict header test as the staff upload (ingest/header.py), before anything is
    # stored: `flask issues ingest` takes files from anywhere.
    with open(pdf, "rb") as fh:
        try:
            check_header(fh.read(HEADER_SCAN))
        except IngestError as exc:
            raise ProcessingError(exc.message) from exc
    sha, size, _ = store_original(pdf, move=move)
    if issue is None:
        issue = Issue(publication=publication, number=number)
        db.session.add(issue)
    issue.title = title or issue.title or ""
    issue.period_label = period_label or issue.period_label or ""
    issue.release_date = release_date or issue.release_date
    if cover_lines is not None:
        issue.cover_lines = cover_lines
    issue.source_filename = filename or pdf.name
    issue.source_sha256 = sha
    issue.source_bytes = size
    issue.source_path = f"originals/{sha}.pdf"
    mark_queued(issue)
    db.session.flush()
    return issue


def mark_queued(issue: Issue) -> None:
    issue.status = IssueStatus.QUEUED
    issue.progress_done = 0
    issue.progress_total = 0
    issue.failure_reason = None
    issue.attempts = 0
    issue.job_owner = None
    issue.job_lease_until = None


# --------------------------------------------------------------------------- leases


class LeaseLost(Exception):
    """This job's lease expired and another worker took the issue over."""


def lease_seconds() -> float:
    return float(current_app.config.get("JOB_LEASE_SECONDS", 60))


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


def _new_owner() -> tuple[str, str]:
    """(owner, token): who holds a lease, for humans and logs; the token also names the
    job's staging folder, so that the leftover sweep knows which folder is alive."""
    token = secrets.token_hex(6)
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{token}", token


def _owner_token(owner: str | None) -> str | None:
    return owner.rsplit(":", 1)[-1] if owner else None


# --------------------------------------------------------------------------- the job


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
    owner, token = _new_owner()
    if not claim(issue.id, owner):
        log.warning("issue %s is held by %s: this duplicate job does nothing", issue_id, owner)
        return Outcome(issue, False, time.monotonic() - started, BUSY)
    lease = Lease(issue.id, owner, lease_seconds())
    # Staging folders of earlier attempts of this issue are dead now that we hold it.
    _remove_staging(issue.id, keep=token)

    cfg = current_app.config
    staging = storage.staging_dir(issue.id, token)
    last_write = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last_write[0] > 0.5:
            last_write[0] = now
            lease.write(progress_done=done, progress_total=total)
        if on_progress is not None:
            on_progress(done, total)

    try:
        manifest = run_ingest(
            storage.resolve(issue.source_path or ""),
            staging,
            workers=int(cfg.get("INGEST_WORKERS", 2)),
            max_pages=int(cfg["MAX_PDF_PAGES"]),
            page_timeout=float(cfg.get("INGEST_PAGE_TIMEOUT", 60)),
            total_timeout=float(cfg.get("INGEST_TOTAL_TIMEOUT", 1800)),
            memory_limit_mb=int(cfg.get("INGEST_MEMORY_MB", 1500)),
            on_progress=progress,
            child_command=child_command,
            sizes=cfg.get("INGEST_SIZES"),
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
        reason = exc.message
    except Exception:
        log.exception("ingestion of issue %s failed unexpectedly", issue_id)
        db.session.rollback()
        lease.release(status=IssueStatus.FAILED, failure_reason=INTERNAL)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    db.session.rollback()
    if not lease.release(status=IssueStatus.FAILED, failure_reason=reason):
        log.warning("issue %s: lease of %s lost, failure not recorded", issue_id, owner)
        return Outcome(issue, False, time.monotonic() - started, LEASE_LOST)
    db.session.refresh(issue)
    return Outcome(issue, False, time.monotonic() - started, reason)


PLACEHOLDER_WIDTH = 12


def make_placeholders(manifest: Manifest, folder: Path) -> dict[int, str]:
    """A 12-pixel-wide, blurred version of each page, inline as a data URI: what a reader
    without access sees of a locked page. Illegible by construction."""
    from PIL import Image, ImageFilter

    placeholders: dict[int, str] = {}
    for page in manifest.pages:
        thumb = page.renditions.get("thumb")
        if thumb is None:
            continue
        with Image.open(folder / thumb.file) as im:
            im = im.convert("RGB")
            height = max(1, round(im.height * PLACEHOLDER_WIDTH / im.width))
            small = im.resize((PLACEHOLDER_WIDTH, height), Image.Resampling.BOX)
            small = small.filter(ImageFilter.GaussianBlur(1))
            buf = io.BytesIO()
            small.save(buf, "JPEG", quality=40)
        placeholders[page.number] = (
            "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
        )
    return placeholders


def record_manifest(
    issue: Issue, manifest: Manifest, version: str, placeholders: dict[int, str] | None = None
) -> None:
    """Replace the issue's pages and TOC with what ingestion produced, in the caller's
    transaction."""
    issue.pages.clear()
    issue.toc_entries.clear()
    db.session.flush()
    for p in manifest.pages:
        renditions: dict[str, object] = {k: r.to_dict() for k, r in p.renditions.items()}
        if placeholders and p.number in placeholders:
            renditions["placeholder"] = placeholders[p.number]
        issue.pages.append(
            Page(
                number=p.number,
                label=p.label or str(p.number),
                width=p.width,
                height=p.height,
                text=p.text,
                words=p.words,
                links=p.links,
                renditions=renditions,
            )
        )
    for position, item in enumerate(manifest.toc):
        issue.toc_entries.append(
            TocEntry(position=position, level=item.level, title=item.title[:300], page=item.page)
        )
    issue.page_count = manifest.page_count
    # None only for a row never flushed; 0 is a staff choice (no free page) and stays 0.
    preview = 3 if issue.preview_pages is None else issue.preview_pages
    issue.preview_pages = min(preview, manifest.page_count)
    issue.toc_source = manifest.toc_source
    issue.rendition_dir = version
    issue.status = IssueStatus.READY
    issue.progress_done = issue.progress_total = manifest.page_count
    issue.processed_at = utcnow()
    issue.failure_reason = None
    db.session.flush()
    search.index_issue(issue)  # same transaction: pages and their index change together


# --------------------------------------------------------------------------- recovery


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
    from . import audit

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


# --------------------------------------------------------------------------- leftovers


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


def _remove_staging(issue_id: int, keep: str | None) -> None:
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
    max_age = float(current_app.config.get("UPLOAD_PART_MAX_AGE", 3600))
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
