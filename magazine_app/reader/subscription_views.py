"""« Mon abonnement »: what the logged-in reader has, until when, and what it covers."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from magazine_app.models import local_date
from magazine_app.reader import bp
from magazine_app.subscriptions import entitlements


@bp.route("/compte/abonnement")
@login_required
def my_subscription() -> str:
    today = local_date()
    rows = entitlements.summaries(current_user, today)
    return render_template(
        "reader/my_subscription.html",
        current=[r for r in rows if not r.standing.is_ended],
        past=[r for r in rows if r.standing.is_ended],
        purchases=entitlements.active_purchases(current_user),
        today=today,
    )
