"""What a reader has: their subscriptions and where each stands, their purchases, and what
they may read (the billing API's `can_read`, « Mon abonnement », the staff console).

Queries and labels only: every rule (from when, until when, which issues) is access.py's
(`access.standing`), so no view, serializer or template restates one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from magazine_app import access
from magazine_app.core.extensions import db
from magazine_app.core.i18n import N_
from magazine_app.models import (
    Issue,
    Plan,
    Publication,
    Purchase,
    Subscription,
    SubscriptionStatus,
    User,
)

# French msgids of a subscription's status, translated where they are shown: `_(label)`.
STATUS_LABELS: dict[SubscriptionStatus, str] = {
    SubscriptionStatus.ACTIVE: N_("Actif"),
    SubscriptionStatus.TRIALING: N_("Période d'essai"),
    SubscriptionStatus.PAST_DUE: N_("Paiement en attente"),
    SubscriptionStatus.CANCELLED: N_("Résilié (accès jusqu'à la fin de la période)"),
    SubscriptionStatus.EXPIRED: N_("Terminé"),
}


def subscriptions_of(user: User) -> list[Subscription]:
    """All of a user's subscriptions, newest period first."""
    return list(
        db.session.scalars(
            select(Subscription)
            .where(Subscription.user_id == user.id)
            .options(selectinload(Subscription.plan).selectinload(Plan.publications))
            .order_by(Subscription.ends_on.desc(), Subscription.id.desc())
        )
    )


def current_subscriptions(user: User, today: date) -> list[Subscription]:
    """The subscriptions that open something today (access.is_current)."""
    return [s for s in subscriptions_of(user) if access.is_current(s, today)]


def active_purchases(user: User) -> list[Purchase]:
    return list(
        db.session.scalars(
            select(Purchase)
            .where(Purchase.user_id == user.id, Purchase.revoked_at.is_(None))
            .options(selectinload(Purchase.issue).selectinload(Issue.publication))
            .order_by(Purchase.created_at.desc(), Purchase.id.desc())
        )
    )


def status_label(sub: Subscription, today: date) -> str:
    """The state of a subscription in plain French, as the reader sees it today (a msgid)."""
    return _label(sub, access.standing(sub, today))


def _label(sub: Subscription, where: access.Standing) -> str:
    if where.is_ended:
        return STATUS_LABELS[SubscriptionStatus.EXPIRED]
    if where.is_upcoming:
        return N_("À venir")
    return STATUS_LABELS[sub.status]


@dataclass(frozen=True)
class Summary:
    """One subscription as « Mon abonnement » shows it."""

    subscription: Subscription
    standing: access.Standing
    label: str  # status_label: a French msgid


def summaries(user: User, today: date) -> list[Summary]:
    """Every subscription of `user`, newest period first, with where it stands today."""
    summaries = []
    for sub in subscriptions_of(user):
        where = access.standing(sub, today)
        summaries.append(Summary(sub, where, _label(sub, where)))
    return summaries


@dataclass(frozen=True)
class Entitlement:
    """What one current subscription opens in one publication, as the gate decides it:
    every issue (back issues included) or only those released within the period."""

    publication: Publication
    subscription: Subscription
    includes_back_issues: bool
    readable_until: date  # a current subscription always has a last day of access
    issues_released_from: date | None  # None: no lower bound (back issues included)
    issues_released_until: date | None


def entitlements(
    user: User, today: date, subscriptions: list[Subscription] | None = None
) -> list[Entitlement]:
    """What `user`'s current subscriptions open, per publication; `subscriptions` is
    `subscriptions_of(user)` when the caller has already read it (no second query)."""
    out: list[Entitlement] = []
    for sub in subscriptions if subscriptions is not None else subscriptions_of(user):
        where = access.standing(sub, today)
        if not where.is_current:
            continue
        first, last = where.issues_released or (None, None)
        for pub in sorted(sub.plan.publications, key=lambda p: (p.position, p.id)):
            out.append(
                Entitlement(
                    publication=pub,
                    subscription=sub,
                    includes_back_issues=where.issues_released is None,
                    readable_until=where.readable_until,
                    issues_released_from=first,
                    issues_released_until=last,
                )
            )
    return out
