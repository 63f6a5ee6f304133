"""Publishing an issue (now, at a scheduled time, withdrawn) and deleting it."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from magazine_app.catalog import operations
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import utcnow
from magazine_app.staff import bp
from magazine_app.staff.forms import ActionForm, ScheduleForm
from magazine_app.staff.helpers import get_issue, local_datetime, staff_user


def _back(issue_id: int) -> Response:
    return redirect(url_for("staff.issue", issue_id=issue_id))


@bp.route("/numeros/<int:issue_id>/publier", methods=["POST"])
def publish(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    if ActionForm().validate_on_submit():
        try:
            operations.publish_now(issue, utcnow(), actor=staff_user())
        except operations.EditorialError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Le numéro est en ligne.", "success")
    return _back(issue.id)


@bp.route("/numeros/<int:issue_id>/programmer", methods=["POST"])
def schedule(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        at_utc = operations.local_to_utc(form.publish_at.data)
        try:
            operations.schedule(issue, at_utc, utcnow(), actor=staff_user())
        except operations.EditorialError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            when = local_datetime(at_utc)
            flash(f"Publication programmée le {when} (heure de Casablanca).", "success")
    else:
        for error in form.publish_at.errors:
            flash(f"Date de publication : {error}", "error")
    return _back(issue.id)


@bp.route("/numeros/<int:issue_id>/depublier", methods=["POST"])
def unpublish(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    if ActionForm().validate_on_submit():
        operations.unpublish(issue, actor=staff_user())
        db.session.commit()
        flash("Le numéro n'est plus visible des lecteurs.", "success")
    return _back(issue.id)


@bp.route("/numeros/<int:issue_id>/supprimer", methods=["GET", "POST"])
def delete(issue_id: int) -> str | Response:
    """GET asks for confirmation; POST deletes (rows, then files once committed)."""
    issue = get_issue(issue_id)
    form = ActionForm()
    if form.validate_on_submit():
        label = audit.issue_label(issue)
        try:
            paths = operations.delete_issue(issue, actor=staff_user())
        except operations.EditorialError as exc:
            flash(str(exc), "error")
            return _back(issue_id)
        db.session.commit()
        operations.remove_files(paths)
        flash(f"{label} est supprimé, avec ses fichiers.", "success")
        return redirect(url_for("staff.dashboard"))
    return render_template(
        "staff/delete.html", issue=issue, form=form, can_delete=operations.can_delete(issue)
    )
