"""Glue for staff views and templates: the issue lookup, the job's state as JSON, page
thumbnails (signed like any page image: staff pass the gate with full access) and
labels in French."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from flask_login import current_user

from magazine_app import access, storage
from magazine_app.catalog import operations
from magazine_app.catalog.operations import PublicationState
from magazine_app.core.extensions import db
from magazine_app.jobs import leases
from magazine_app.models import Issue, IssueStatus, Page, User, utcnow
from magazine_app.staff import bp

QUEUED_TOO_LONG = timedelta(minutes=2)

STATUS_LABELS = {
    IssueStatus.QUEUED: "En attente",
    IssueStatus.PROCESSING: "Traitement en cours",
    IssueStatus.READY: "Prêt",
    IssueStatus.FAILED: "Échec",
}
PUBLICATION_LABELS = {
    PublicationState.DRAFT: "Non publié",
    PublicationState.SCHEDULED: "Programmé",
    PublicationState.PUBLISHED: "En ligne",
}


def get_issue(issue_id: int) -> Issue:
    """The issue of a staff view, 404 if absent. A job that died without any consumer to
    requeue it (expired lease) is marked failed here, so that every staff view (page,
    progress JSON, retry, delete) sees it failed and lets staff retry or delete it."""
    issue = db.get_or_404(Issue, issue_id)
    if leases.is_abandoned(issue):
        leases.expire_abandoned(issue.id)
    return issue


def staff_user() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def job_state(issue: Issue, now: datetime | None = None) -> dict[str, Any]:
    """What the progress widget shows, polled as JSON while the job runs."""
    now = now or utcnow()
    done, total = issue.progress_done or 0, issue.progress_total or 0
    percent = round(100 * done / total) if total else 0
    hint = ""
    if issue.status is IssueStatus.QUEUED:
        label = "En file d'attente : le traitement va commencer."
        if issue.updated_at and now - issue.updated_at > QUEUED_TOO_LONG:
            hint = (
                "Toujours en attente après quelques minutes : le serveur de tâches "
                "(flask jobs worker) tourne-t-il ? Prévenez l'équipe technique."
            )
    elif issue.status is IssueStatus.PROCESSING:
        label = f"Traitement : page {done} sur {total}" if total else "Ouverture du PDF…"
    elif issue.status is IssueStatus.READY:
        label = f"Terminé : {issue.page_count} pages prêtes."
        percent = 100
    else:
        label = "Le traitement a échoué."
    return {
        "id": issue.id,
        "status": issue.status.value,
        "status_label": STATUS_LABELS[issue.status],
        "label": label,
        "hint": hint,
        "done": done,
        "total": total,
        "percent": percent,
        "reason": issue.failure_reason if issue.status is IssueStatus.FAILED else None,
        "finished": issue.status in (IssueStatus.READY, IssueStatus.FAILED),
    }


def page_image_url(issue: Issue, page: Page, size: str = "thumb") -> str | None:
    rendition = page.renditions.get(size)
    if not rendition or not issue.rendition_dir:
        return None
    return storage.rendition_url(issue, rendition)


def publication_state(issue: Issue, now: datetime | None = None) -> PublicationState:
    return operations.publication_state(issue, now or utcnow())


def publication_label(issue: Issue, now: datetime | None = None) -> str:
    return PUBLICATION_LABELS[publication_state(issue, now)]


def local_datetime(value: datetime | None, fmt: str = "%d/%m/%Y à %H:%M") -> str:
    """Naive UTC -> the publisher's wall-clock time, formatted."""
    if value is None:
        return ""
    return operations.utc_to_local(value).strftime(fmt)


def duration(seconds: int) -> str:
    minutes, sec = divmod(int(seconds), 60)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {sec:02d} s" if minutes else f"{sec} s"


def issue_link(issue: Issue) -> str:
    return url_for("staff.issue", issue_id=issue.id)


@bp.app_template_filter("local_dt")
def _local_dt_filter(value: datetime | None, fmt: str = "%d/%m/%Y à %H:%M") -> str:
    return local_datetime(value, fmt)


@bp.app_template_filter("duration")
def _duration_filter(seconds: int) -> str:
    return duration(seconds)


@bp.context_processor
def _staff_helpers() -> dict[str, object]:
    return {
        "status_labels": STATUS_LABELS,
        "publication_state": publication_state,
        "publication_label": publication_label,
        "page_image_url": page_image_url,
        "is_free_page": access.is_free_page,  # the gate's preview, as readers get it
        "issue_link": issue_link,
    }
