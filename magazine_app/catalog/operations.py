"""What staff do to an issue once uploaded: metadata, preview pages, the table of contents,
publishing (now, scheduled, withdrawn), re-processing and deletion.

Domain functions: no HTTP. They add and flush, and write their own audit line (`actor`:
the staff member, or None for the command line); the view or CLI commits once. Refusals
are `EditorialError` with the French sentence staff will read, and write no line. Times
are naive UTC in the database; staff type and read local time (Africa/Casablanca, which
changes offset during Ramadan, hence zoneinfo rather than a fixed +1)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from magazine_app import search, storage
from magazine_app.catalog import register
from magazine_app.catalog.queries import find_issue
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.ingest import load_manifest
from magazine_app.models import Issue, IssueStatus, TocEntry, User

MAX_TOC_LEVEL = 3
MAX_TOC_ENTRIES = 500


class EditorialError(ValueError):
    """A refusal with the sentence staff will read."""


# --------------------------------------------------------------------------- local time


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Africa/Casablanca")


def local_to_utc(local: datetime) -> datetime:
    """A wall-clock time typed by staff (naive, publisher's zone) -> naive UTC."""
    aware = local.replace(tzinfo=local_zone()) if local.tzinfo is None else local
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(utc: datetime) -> datetime:
    """Naive UTC from the database -> naive wall-clock time in the publisher's zone."""
    return utc.replace(tzinfo=UTC).astimezone(local_zone()).replace(tzinfo=None)


# --------------------------------------------------------------------------- state


class PublicationState(StrEnum):
    """Where staff stand with an issue's publication; readers also need it processed
    (Issue.is_published)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


def publication_state(issue: Issue, now: datetime) -> PublicationState:
    if issue.publish_at is None:
        return PublicationState.DRAFT
    if issue.publish_at > now:
        return PublicationState.SCHEDULED
    return PublicationState.PUBLISHED


def same_file_issues(sha256: str | None, exclude: Issue | None = None) -> list[Issue]:
    """Other issues made from the byte-identical PDF (a likely mistake: wrong file)."""
    if not sha256:
        return []
    stmt = select(Issue).where(Issue.source_sha256 == sha256)
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(Issue.id != exclude.id)
    return list(db.session.scalars(stmt.order_by(Issue.id)))


# --------------------------------------------------------------------------- metadata


def parse_cover_lines(text: str) -> list[dict[str, str]]:
    """One headline per line; an optional section before "|": "ACTUALITÉ | Le titre"."""
    lines = []
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        kicker, sep, title = raw.partition("|")
        if not sep:
            kicker, title = "", raw
        lines.append({"kicker": kicker.strip()[:60], "title": title.strip()[:200]})
    return lines[:12]


def format_cover_lines(lines: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{line.get('kicker')} | {line.get('title', '')}" if line.get("kicker") else line["title"]
        for line in lines
        if line.get("title")
    )


@dataclass
class Metadata:
    number: int
    title: str
    period_label: str
    release_date: date | None
    cover_lines: list[dict[str, str]]


def update_metadata(issue: Issue, meta: Metadata, *, actor: User | None) -> list[str]:
    """Apply the metadata form; returns the names of the fields that changed (none
    changed: no audit line)."""
    if meta.number != issue.number:
        if meta.number < 1:
            raise EditorialError("Le numéro doit être un entier positif.")
        other = find_issue(issue.publication, meta.number)
        if other is not None:
            raise EditorialError(f"{issue.publication.title} N°{meta.number} existe déjà.")
    changed = []
    for name in ("number", "title", "period_label", "release_date", "cover_lines"):
        new = getattr(meta, name)
        if getattr(issue, name) != new:
            setattr(issue, name, new)
            changed.append(name)
    db.session.flush()
    if changed:
        audit.record(
            actor or audit.Via.CLI,
            "issue.update",
            f"{audit.issue_label(issue)} : {', '.join(changed)}",
            issue,
            {"fields": changed},
        )
    return changed


def set_preview_pages(issue: Issue, count: int, *, actor: User | None) -> None:
    """How many leading pages anyone may read (the cover counts as page 1)."""
    upper = issue.page_count or count
    if not 0 <= count <= upper:
        raise EditorialError(f"Choisissez un nombre de pages entre 0 et {upper}.")
    before = issue.preview_pages
    issue.preview_pages = count
    db.session.flush()
    audit.record(
        actor or audit.Via.CLI,
        "issue.preview",
        f"{audit.issue_label(issue)} : {before} → {count} pages",
        issue,
        {"before": before, "after": count},
    )


# --------------------------------------------------------------------------- table of contents


@dataclass(frozen=True)
class TocRow:
    level: int
    title: str
    page: int


def validate_toc(issue: Issue, rows: list[TocRow]) -> list[str]:
    """French messages for the rows staff cannot save (empty list: all good)."""
    errors = []
    if len(rows) > MAX_TOC_ENTRIES:
        errors.append(f"Le sommaire est limité à {MAX_TOC_ENTRIES} entrées.")
    for i, row in enumerate(rows, start=1):
        if not row.title.strip():
            errors.append(f"Entrée {i} : le titre est vide.")
        if not 1 <= row.level <= MAX_TOC_LEVEL:
            errors.append(f"Entrée {i} : le niveau doit être entre 1 et {MAX_TOC_LEVEL}.")
        if not 1 <= row.page <= max(issue.page_count, 1):
            errors.append(f"Entrée {i} : la page doit être entre 1 et {issue.page_count}.")
    return errors


def replace_toc(issue: Issue, rows: list[TocRow], *, actor: User | None) -> None:
    """Replace the whole TOC with `rows`, in this order (the editor sends the full list:
    adding, removing, renaming, re-levelling and reordering are all this one operation)."""
    _replace_toc(issue, rows, "edited")
    audit.record(
        actor or audit.Via.CLI,
        "issue.toc",
        f"{audit.issue_label(issue)} : {len(rows)} entrées",
        issue,
        {"entries": len(rows)},
    )


def _replace_toc(issue: Issue, rows: list[TocRow], source: str) -> None:
    errors = validate_toc(issue, rows)
    if errors:
        raise EditorialError(" ".join(errors))
    issue.toc_entries.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        issue.toc_entries.append(
            TocEntry(
                position=position, level=row.level, title=row.title.strip()[:300], page=row.page
            )
        )
    issue.toc_source = source
    db.session.flush()


def extracted_toc(issue: Issue) -> list[TocRow]:
    """The TOC ingestion extracted from the PDF, read back from the manifest."""
    if not issue.rendition_dir:
        raise EditorialError("Ce numéro n'a pas encore été traité : pas de sommaire extrait.")
    folder = storage.issue_root(issue.id) / issue.rendition_dir
    try:
        manifest = load_manifest(folder)
    except FileNotFoundError as exc:
        raise EditorialError("Le résultat du traitement est introuvable : relancez-le.") from exc
    return [TocRow(t.level, t.title, t.page) for t in manifest.toc]


def rebuild_toc(issue: Issue, *, actor: User | None) -> int:
    """Restore the TOC extracted from the PDF; returns the number of entries."""
    folder = storage.issue_root(issue.id) / (issue.rendition_dir or "")
    rows = [
        TocRow(min(max(r.level, 1), MAX_TOC_LEVEL), r.title or "(sans titre)", r.page)
        for r in extracted_toc(issue)
    ]
    _replace_toc(issue, rows, load_manifest(folder).toc_source)
    audit.record(
        actor or audit.Via.CLI,
        "issue.toc_rebuild",
        f"{audit.issue_label(issue)} : {len(rows)} entrées",
        issue,
        {"entries": len(rows)},
    )
    return len(rows)


# --------------------------------------------------------------------------- publishing


def publish_now(issue: Issue, now: datetime, *, actor: User | None) -> None:
    if issue.status is not IssueStatus.READY:
        raise EditorialError(
            "Ce numéro n'est pas prêt : attendez la fin du traitement avant de le publier."
        )
    issue.publish_at = now
    db.session.flush()
    audit.record(actor or audit.Via.CLI, "issue.publish", audit.issue_label(issue), issue)


def schedule(issue: Issue, at_utc: datetime, now: datetime, *, actor: User | None) -> None:
    """Readers see the issue from `at_utc` on (the gate compares publish_at with now: no
    job runs at that moment). It must also be processed by then: the gate checks both."""
    if issue.status is IssueStatus.FAILED:
        raise EditorialError("Le traitement de ce numéro a échoué : relancez-le d'abord.")
    if at_utc <= now:
        raise EditorialError("Choisissez une date et une heure à venir (ou publiez maintenant).")
    issue.publish_at = at_utc
    db.session.flush()
    audit.record(
        actor or audit.Via.CLI,
        "issue.schedule",
        f"{audit.issue_label(issue)} : le {utc_to_local(at_utc):%d/%m/%Y à %H:%M}",
        issue,
        {"publish_at_utc": at_utc.isoformat()},
    )


def unpublish(issue: Issue, *, actor: User | None) -> None:
    issue.publish_at = None
    db.session.flush()
    audit.record(actor or audit.Via.CLI, "issue.unpublish", audit.issue_label(issue), issue)


# --------------------------------------------------------------------------- processing


def can_retry(issue: Issue) -> bool:
    return issue.status is IssueStatus.FAILED


def retry(issue: Issue, *, actor: User | None) -> None:
    """Queue a failed issue again; the caller commits, then enqueues `ingest_issue`."""
    if not can_retry(issue):
        raise EditorialError("Seul un traitement en échec peut être relancé.")
    register.mark_queued(issue)
    db.session.flush()
    audit.record(actor or audit.Via.CLI, "issue.retry", audit.issue_label(issue), issue)


# --------------------------------------------------------------------------- deleting


def can_delete(issue: Issue) -> bool:
    return issue.status is not IssueStatus.PROCESSING


def delete_issue(issue: Issue, *, actor: User | None) -> list[Path]:
    """Delete the issue's rows (pages, TOC, purchases, statistics cascade). Returns the
    files to remove once the caller has committed (`remove_files`): its renditions, and
    its original PDF unless another issue was made from the same file."""
    if not can_delete(issue):
        raise EditorialError(
            "Ce numéro est en cours de traitement : attendez la fin avant de le supprimer."
        )
    paths = [storage.issue_root(issue.id)]
    if issue.source_sha256 and not same_file_issues(issue.source_sha256, exclude=issue):
        paths.append(storage.original_path(issue.source_sha256))
    # No target: the line outlives the row, so it names the issue in its summary.
    audit.record(
        actor or audit.Via.CLI,
        "issue.delete",
        audit.issue_label(issue),
        None,
        {"issue_id": issue.id, "source_sha256": issue.source_sha256},
    )
    search.remove_issue(issue.id)
    db.session.delete(issue)
    db.session.flush()
    return paths


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
