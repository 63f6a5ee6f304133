"""The audit log, for administrators."""

from __future__ import annotations

from flask import render_template, request

from magazine_app.core import audit
from magazine_app.staff import bp
from magazine_app.staff.decorators import admin_required


@bp.route("/journal")
@admin_required
def audit_log() -> str:
    action = request.args.get("action") or None
    if action not in audit.ACTIONS:
        action = None
    page = request.args.get("page", 1, type=int)
    return render_template(
        "staff/audit.html",
        result=audit.events(action, page),
        action=action,
        actions=audit.ACTIONS,
        via_labels=audit.VIA_LABELS,
    )
