"""Single-issue purchases ("achat au numéro"), recorded for the billing API (POST
/api/v1/purchases). Add and flush, and audit (via the API); the endpoint commits once,
with its idempotency record."""

from __future__ import annotations

from sqlalchemy import select

from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import Issue, Purchase, User
from magazine_app.subscriptions.operations import SubscriptionError


class PurchaseConflict(SubscriptionError):
    code = "purchase_conflict"


def purchase_issue(user: User, issue: Issue, billing_reference: str) -> tuple[Purchase, bool]:
    """Record a single-issue purchase ("achat au numéro") for the billing API; returns
    (purchase, created).

    Recording the same purchase twice is a no-op; a reference already used for another
    purchase, or a second reference for an issue already bought, is a PurchaseConflict.
    A purchase recorded (or reinstated) is audited, via the API."""
    by_ref = db.session.scalar(
        select(Purchase).where(Purchase.billing_reference == billing_reference)
    )
    if by_ref is not None:
        if by_ref.user_id != user.id or by_ref.issue_id != issue.id:
            raise PurchaseConflict(
                "Cette référence de paiement désigne déjà un autre achat.",
                code="billing_reference_conflict",
            )
        if by_ref.revoked_at is None:
            return by_ref, False
        purchase = by_ref
    else:
        purchase = db.session.scalar(
            select(Purchase).where(Purchase.user_id == user.id, Purchase.issue_id == issue.id)
        )
        if purchase is not None and purchase.revoked_at is None:
            raise PurchaseConflict(
                "Ce lecteur a déjà acheté ce numéro (sous une autre référence).",
                code="already_purchased",
            )
        if purchase is None:
            purchase = Purchase(user=user, issue=issue)
            db.session.add(purchase)
    purchase.revoked_at = None
    purchase.billing_reference = billing_reference
    db.session.flush()
    audit.record(
        audit.Via.API,
        "purchase.record",
        f"{user.email} : {audit.issue_label(issue)}",
        purchase,
        {"user_id": user.id, "issue_id": issue.id, "reference": billing_reference},
    )
    return purchase, True
