"""« Mon abonnement »: what the logged-in reader has, until when, and what it covers."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from magazine_app.access import is_current, readable_until
from magazine_app.models import SubscriptionStatus, local_date
from magazine_app.reader import bp
from magazine_app.subscriptions import operations as subscriptions


@bp.route("/compte/abonnement")
@login_required
def my_subscription() -> str:
    today = local_date()
    subs = subscriptions.subscriptions_of(current_user)
    rows = [
        {
            "sub": s,
            "label": subscriptions.status_label(s, today),
            "current": is_current(s, today),
            "upcoming": today < s.starts_on and s.status is not SubscriptionStatus.EXPIRED,
            "until": readable_until(s) if s.status is not SubscriptionStatus.EXPIRED else None,
            "grace": s.status is SubscriptionStatus.PAST_DUE and s.grace_until is not None,
        }
        for s in subs
    ]
    return render_template(
        "reader/my_subscription.html",
        current=[r for r in rows if r["current"] or r["upcoming"]],
        past=[r for r in rows if not (r["current"] or r["upcoming"])],
        purchases=subscriptions.active_purchases(current_user),
        today=today,
    )
