"""The audit log: every action that changes content or access, recorded with who did it
and when, in the same transaction as the change itself (so a rolled-back change leaves no
line, and a committed one always has its line).

The operations write their own line (catalog/operations.py, catalog/register.py,
subscriptions/): a change made from the command line or by the billing API is recorded
like one made in the console, and says where it came from (`Via`). Domain functions here
add and flush; the caller commits once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from magazine_app.core.extensions import db
from magazine_app.models import AuditEvent, Issue, Purchase, Subscription, User

# Action codes -> the French label shown on the admin page.
ACTIONS: dict[str, str] = {
    "issue.upload": "Numéro téléversé",
    "issue.update": "Informations modifiées",
    "issue.preview": "Pages en accès libre modifiées",
    "issue.toc": "Sommaire modifié",
    "issue.toc_rebuild": "Sommaire reconstruit depuis le PDF",
    "issue.retry": "Traitement relancé",
    "issue.job_abandoned": "Traitement abandonné (serveur de tâches muet)",
    "issue.publish": "Numéro publié",
    "issue.schedule": "Publication programmée",
    "issue.unpublish": "Numéro dépublié",
    "issue.delete": "Numéro supprimé",
    "subscription.grant": "Abonnement accordé",
    "subscription.extend": "Abonnement prolongé",
    "subscription.revoke": "Abonnement révoqué",
    "subscription.billing": "Abonnement transmis par la facturation",
    "subscription.import": "Abonnement importé (CSV)",
    "purchase.record": "Achat au numéro enregistré",
}


class Via(StrEnum):
    """Where a change made by no staff member came from (kept in the line's details)."""

    CLI = "cli"  # a `flask ...` command
    API = "api"  # the billing API


# What the "Qui" column shows for a line without an actor.
VIA_LABELS: dict[str, str] = {
    Via.CLI: "Ligne de commande",
    Via.API: "API de facturation",
}


Target = Issue | User | Subscription | Purchase | None


def _target(target: Target) -> tuple[str, int | None]:
    if isinstance(target, Issue):
        return "issue", target.id
    if isinstance(target, Subscription):
        return "subscription", target.id
    if isinstance(target, Purchase):
        return "purchase", target.id
    if isinstance(target, User):
        return "user", target.id
    return "", None


def record(
    actor: User | Via | None,
    action: str,
    summary: str,
    target: Target = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit line. `summary` is a short French sentence naming the object, so the
    line still makes sense after the object is deleted.

    `actor` is the staff member who acted, or where a change without one came from
    (Via.CLI, Via.API: kept in the details as "via"); None for the job server's own lines.
    Operations that the console and the command line share pass `actor or Via.CLI`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    user = actor if isinstance(actor, User) else None
    details = dict(details or {})
    if isinstance(actor, Via):
        details["via"] = str(actor)
    target_type, target_id = _target(target)
    event = AuditEvent(
        actor_id=user.id if user is not None else None,
        actor_email=user.email if user is not None else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:300],
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def events(action: str | None = None, page: int = 1, per_page: int = 50) -> AuditPage:
    """The newest lines first, optionally of one action."""
    stmt = select(AuditEvent)
    count = select(func.count(AuditEvent.id))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
        count = count.where(AuditEvent.action == action)
    page = max(1, page)
    rows = db.session.scalars(
        stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AuditPage(list(rows), db.session.scalar(count) or 0, page, per_page)


def issue_label(issue: Issue) -> str:
    return f"{issue.publication.title} N°{issue.number}"
