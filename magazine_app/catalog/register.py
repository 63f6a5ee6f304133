"""Registering an uploaded PDF as an issue queued for ingestion, and recording what
ingestion made of it (pages, text, TOC, search index). Add and flush: the upload view, the
CLI command or the job commits. Registering writes its audit line ("issue.upload"), from
the console and the command line alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app

from magazine_app import search
from magazine_app.catalog.queries import find_issue
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.ingest import IngestError, Manifest
from magazine_app.ingest.header import HEADER_SCAN, check_header
from magazine_app.models import Issue, IssueStatus, Page, Publication, TocEntry, User, utcnow
from magazine_app.storage import store_original


class ProcessingError(ValueError):
    """A refusal before any job runs (duplicate number, unknown publication...)."""


class DuplicateIssue(ProcessingError):
    """The number is taken and replacing was not asked for; `issue` is the one in place
    (the console links to it)."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(f"{audit.issue_label(issue)} existe déjà.")
        self.issue = issue


def format_size(size: int) -> str:
    """A file size as staff read it (upload limit, audit line): "16 Mo", "49 Ko"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} Mo"
    return f"{max(1, round(size / 1024))} Ko"


def register_issue(
    publication: Publication,
    number: int,
    pdf: Path,
    *,
    actor: User | None,
    title: str = "",
    period_label: str = "",
    release_date: date | None = None,
    cover_lines: list[dict[str, str]] | None = None,
    filename: str | None = None,
    replace: bool = False,
    move: bool = False,
) -> Issue:
    """Create the issue row for an uploaded PDF (or replace the file of an existing one),
    queued for processing. The caller commits, then enqueues `ingest_issue` (or runs it,
    as `flask issues ingest` does)."""
    issue = find_issue(publication, number)
    if issue is not None and not replace:
        raise DuplicateIssue(issue)
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
        issue = Issue(
            publication=publication,
            number=number,
            preview_pages=current_app.config["PREVIEW_PAGES"],
        )
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
    replaced = issue.id is not None
    mark_queued(issue)
    db.session.flush()
    audit.record(
        actor or audit.Via.CLI,
        "issue.upload",
        f"{audit.issue_label(issue)} ({issue.source_filename}, {format_size(size)})",
        issue,
        {"sha256": sha, "bytes": size, "filename": issue.source_filename, "replaced": replaced},
    )
    return issue


def mark_queued(issue: Issue) -> None:
    issue.status = IssueStatus.QUEUED
    issue.progress_done = 0
    issue.progress_total = 0
    issue.failure_reason = None
    issue.attempts = 0
    issue.job_owner = None
    issue.job_lease_until = None


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
    # Never more free pages than pages; 0 is a staff choice (no free page) and stays 0.
    issue.preview_pages = min(issue.preview_pages, manifest.page_count)
    issue.toc_source = manifest.toc_source
    issue.rendition_dir = version
    issue.status = IssueStatus.READY
    issue.progress_done = issue.progress_total = manifest.page_count
    issue.processed_at = utcnow()
    issue.failure_reason = None
    db.session.flush()
    search.index_issue(issue)  # same transaction: pages and their index change together
