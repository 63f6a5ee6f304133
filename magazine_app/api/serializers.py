"""Rows to JSON, in the shapes the OpenAPI document (openapi.py) declares."""

from __future__ import annotations

from datetime import date
from typing import Any

from magazine_app import access
from magazine_app.models import Plan, Publication, Purchase, Subscription, User
from magazine_app.subscriptions import entitlements


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def publication(pub: Publication) -> dict[str, Any]:
    return {"slug": pub.slug, "title": pub.title, "periodicity": pub.periodicity}


def plan(p: Plan) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "description": p.description,
        "publications": [pub.slug for pub in sorted(p.publications, key=lambda x: x.position)],
        "includes_back_issues": p.includes_back_issues,
        "duration_months": p.duration_months,
        "is_public": p.is_public,
    }


def subscription(sub: Subscription, today: date) -> dict[str, Any]:
    standing = access.standing(sub, today)
    return {
        "billing_reference": sub.billing_reference,
        "email": sub.user.email,
        "plan": sub.plan.code,
        "status": sub.status.value,
        "starts_on": sub.starts_on.isoformat(),
        "ends_on": sub.ends_on.isoformat(),
        "grace_until": _day(sub.grace_until),
        "version": sub.version,
        "current": standing.is_current,
        "readable_until": _day(standing.readable_until),
    }


def purchase(p: Purchase) -> dict[str, Any]:
    return {
        "billing_reference": p.billing_reference,
        "email": p.user.email,
        "publication": p.issue.publication.slug,
        "number": p.issue.number,
        "title": p.issue.title,
        "period_label": p.issue.period_label,
        "purchased_at": p.created_at.replace(microsecond=0).isoformat() + "Z",
    }


def subscriber(user: User, today: date) -> dict[str, Any]:
    subs = entitlements.subscriptions_of(user)
    rights = entitlements.entitlements(user, today, subs)
    purchases = entitlements.active_purchases(user)
    return {
        "email": user.email,
        "name": user.name,
        "has_password": user.password_hash is not None,
        "active": any(access.is_current(s, today) for s in subs),
        "subscriptions": [subscription(s, today) for s in subs],
        "purchases": [purchase(p) for p in purchases],
        "can_read": [
            {
                "publication": e.publication.slug,
                "plan": e.subscription.plan.code,
                "billing_reference": e.subscription.billing_reference,
                "includes_back_issues": e.includes_back_issues,
                "readable_until": e.readable_until.isoformat(),
                "issues_released_from": _day(e.issues_released_from),
                "issues_released_until": _day(e.issues_released_until),
            }
            for e in rights
        ],
    }
