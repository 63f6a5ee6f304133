"""The staff console ("Rédaction", /redaction/): upload, processing progress, metadata and
TOC editing, publishing, subscribers, statistics and the audit log.

Every route of the blueprint is closed to anonymous users (login redirect) and readers
(403) by one `before_request` check, so no view can forget it; admin-only views add
`admin_required`. Views are thin: form -> operation (catalog/, subscriptions/, which
write the audit line) -> one commit -> flash."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask_login import current_user

bp = Blueprint("staff", __name__, url_prefix="/redaction")


@bp.before_request
def _staff_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not current_user.is_staff:
        abort(403)
    return None


# Routes defined in sibling modules register on `bp` when imported.
from magazine_app.staff import (  # noqa: E402, F401
    audit_views,
    helpers,
    issue_views,
    publish_views,
    stats_views,
    subscriber_views,
    upload_views,
)
