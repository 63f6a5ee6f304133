"""From an uploaded PDF to a readable issue: registering the file, the ingestion job's body,
recording its manifest, and recovering jobs a killed consumer left behind.

The PDF work itself happens in child processes (ingest.run_ingest); this module runs in the
job consumer (or the CLI) and owns the database side: status, progress, the staging folder
that becomes the issue's folder only when everything succeeded."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from . import search, storage
from .extensions import db
from .ingest import IngestError, Manifest, run_ingest
from .models import Issue, IssueStatus, Page, Publication, TocEntry, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2
INTERRUPTED = (
    "Le traitement a été interrompu (arrêt du serveur de tâches) à plusieurs reprises : "
    "relancez-le ou contactez l'équipe technique."
)
INTERNAL = "Erreur interne pendant le traitement : l'équipe technique a été prévenue."


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


# --------------------------------------------------------------------------- the job


def run_ingest_job(
    issue_id: int,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    child_command: Sequence[str] | None = None,
) -> Outcome:
    """The job's body: run ingestion in child processes, then record the result.

    Commits as it goes (status, progress) so that the UI can follow; never leaves the
    issue "processing": success -> ready, any failure -> failed with a reason."""
    started = time.monotonic()
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        raise ProcessingError(f"issue {issue_id} does not exist")
    issue.status = IssueStatus.PROCESSING
    issue.attempts += 1
    issue.processing_started_at = utcnow()
    issue.failure_reason = None
    issue.progress_done = 0
    db.session.commit()

    cfg = current_app.config
    staging = storage.staging_dir(issue.id)
    last_write = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last_write[0] > 0.5:
            last_write[0] = now
            issue.progress_done, issue.progress_total = done, total
            db.session.commit()
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
        )
        placeholders = make_placeholders(manifest, staging)
        version = f"v{int(time.time())}-{secrets.token_hex(4)}"
        final = storage.issue_root(issue.id) / version
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
        old_version = issue.rendition_dir
        record_manifest(issue, manifest, version, placeholders)
        db.session.commit()
        if old_version and old_version != version:
            shutil.rmtree(storage.issue_root(issue.id) / old_version, ignore_errors=True)
        return Outcome(issue, True, time.monotonic() - started)
    except IngestError as exc:
        reason = exc.message
    except Exception:
        log.exception("ingestion of issue %s failed unexpectedly", issue_id)
        db.session.rollback()
        _fail(issue, INTERNAL)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    db.session.rollback()
    _fail(issue, reason)
    return Outcome(issue, False, time.monotonic() - started, reason)


def _fail(issue: Issue, reason: str) -> None:
    issue.status = IssueStatus.FAILED
    issue.failure_reason = reason
    db.session.commit()


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
    issue.preview_pages = min(issue.preview_pages or 3, manifest.page_count)
    issue.toc_source = manifest.toc_source
    issue.rendition_dir = version
    issue.status = IssueStatus.READY
    issue.progress_done = issue.progress_total = manifest.page_count
    issue.processed_at = utcnow()
    issue.failure_reason = None
    db.session.flush()
    search.index_issue(issue)  # same transaction: pages and their index change together


# --------------------------------------------------------------------------- recovery


def recover_stale_jobs() -> tuple[list[int], list[int]]:
    """At consumer start-up: issues left "processing" by a killed consumer are queued
    again (bounded attempts) or marked failed. Returns (requeued ids, failed ids)."""
    requeued, failed = [], []
    stale = db.session.scalars(select(Issue).where(Issue.status == IssueStatus.PROCESSING))
    for issue in stale:
        if issue.attempts < MAX_ATTEMPTS:
            issue.status = IssueStatus.QUEUED
            requeued.append(issue.id)
        else:
            issue.status = IssueStatus.FAILED
            issue.failure_reason = INTERRUPTED
            failed.append(issue.id)
    db.session.commit()
    return requeued, failed
