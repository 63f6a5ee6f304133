"""Issues in the staff console: the list, one issue's page (processing progress, pages,
publishing), metadata, preview pages and the TOC editor."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from magazine_app.catalog import operations, reports
from magazine_app.catalog import queries as catalog
from magazine_app.core.extensions import db
from magazine_app.jobs import leases, queue
from magazine_app.models import utcnow
from magazine_app.staff import bp
from magazine_app.staff.forms import ActionForm, MetadataForm, PreviewForm, ScheduleForm
from magazine_app.staff.helpers import get_issue, job_state, staff_user


@bp.route("/")
def dashboard() -> str:
    leases.expire_abandoned()  # dead jobs show failed in the list too (see get_issue)
    slug = request.args.get("publication")
    issues = catalog.staff_issues(slug)
    return render_template(
        "staff/dashboard.html",
        issues=issues,
        publications=catalog.publications(),
        current_slug=slug,
        readers=reports.readers_by_issue([i.id for i in issues]),
    )


@bp.route("/numeros/<int:issue_id>")
def issue(issue_id: int) -> str:
    issue = get_issue(issue_id)
    schedule_form = ScheduleForm()
    if issue.publish_at and issue.publish_at > utcnow():
        schedule_form.publish_at.data = operations.utc_to_local(issue.publish_at)
    return render_template(
        "staff/issue.html",
        issue=issue,
        state=job_state(issue),
        same_file=operations.same_file_issues(issue.source_sha256, exclude=issue),
        schedule_form=schedule_form,
        action_form=ActionForm(),
    )


@bp.route("/numeros/<int:issue_id>/etat.json")
def issue_state(issue_id: int) -> Response:
    response = jsonify(job_state(get_issue(issue_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/numeros/<int:issue_id>/relancer", methods=["POST"])
def retry(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    if ActionForm().validate_on_submit():
        try:
            operations.retry(issue, actor=staff_user())
        except operations.EditorialError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            queue.enqueue("ingest_issue", issue.id)
            flash("Traitement relancé.", "success")
    return redirect(url_for("staff.issue", issue_id=issue.id))


@bp.route("/numeros/<int:issue_id>/modifier", methods=["GET", "POST"])
def edit(issue_id: int) -> str | Response:
    issue = get_issue(issue_id)
    form = MetadataForm(obj=None if request.method == "POST" else issue)
    if request.method == "GET":
        form.cover_lines.data = operations.format_cover_lines(issue.cover_lines)
    preview_form = PreviewForm(formdata=None, obj=issue, prefix="preview")
    if form.validate_on_submit():
        meta = operations.Metadata(
            number=form.number.data,
            title=(form.title.data or "").strip(),
            period_label=(form.period_label.data or "").strip(),
            release_date=form.release_date.data,
            cover_lines=operations.parse_cover_lines(form.cover_lines.data or ""),
        )
        try:
            changed = operations.update_metadata(issue, meta, actor=staff_user())
        except operations.EditorialError as exc:
            form.number.errors.append(str(exc))
        else:
            if changed:
                db.session.commit()
                flash("Informations enregistrées.", "success")
            else:
                flash("Aucune modification.", "info")
            return redirect(url_for("staff.issue", issue_id=issue.id))
    return render_template("staff/edit.html", issue=issue, form=form, preview_form=preview_form)


@bp.route("/numeros/<int:issue_id>/apercu", methods=["POST"])
def preview_pages(issue_id: int) -> str | Response:
    issue = get_issue(issue_id)
    form = PreviewForm(prefix="preview")
    if form.validate_on_submit():
        try:
            operations.set_preview_pages(issue, form.preview_pages.data, actor=staff_user())
        except operations.EditorialError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"{issue.preview_pages} page(s) en accès libre.", "success")
    else:
        for error in form.preview_pages.errors:
            flash(str(error), "error")
    return redirect(url_for("staff.edit", issue_id=issue.id))


def _toc_rows_from_form() -> tuple[list[operations.TocRow], list[str]]:
    titles = request.form.getlist("toc-title")
    levels = request.form.getlist("toc-level")
    pages = request.form.getlist("toc-page")
    rows, errors = [], []
    for i, (title, level, page) in enumerate(zip(titles, levels, pages, strict=False), start=1):
        if not title.strip() and not page.strip():
            continue  # an empty spare row
        try:
            rows.append(operations.TocRow(int(level), title, int(page)))
        except ValueError:
            errors.append(f"Entrée {i} : niveau et page doivent être des nombres.")
    return rows, errors


@bp.route("/numeros/<int:issue_id>/sommaire", methods=["GET", "POST"])
def toc(issue_id: int) -> str | Response:
    issue = get_issue(issue_id)
    form = ActionForm()
    rows = [operations.TocRow(t.level, t.title, t.page) for t in issue.toc_entries]
    errors: list[str] = []
    if form.validate_on_submit():
        rows, errors = _toc_rows_from_form()
        # Every row's messages at once, beside the table staff are editing (replace_toc
        # refuses the same rows, in one sentence).
        errors += operations.validate_toc(issue, rows)
        if not errors:
            operations.replace_toc(issue, rows, actor=staff_user())
            db.session.commit()
            flash("Sommaire enregistré.", "success")
            return redirect(url_for("staff.toc", issue_id=issue.id))
    return render_template(
        "staff/toc.html",
        issue=issue,
        rows=rows,
        errors=errors,
        form=form,
        max_level=operations.MAX_TOC_LEVEL,
    ), (400 if errors else 200)


@bp.route("/numeros/<int:issue_id>/sommaire/reconstruire", methods=["POST"])
def rebuild_toc(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    if ActionForm().validate_on_submit():
        try:
            count = operations.rebuild_toc(issue, actor=staff_user())
        except operations.EditorialError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"Sommaire reconstruit depuis le PDF ({count} entrées).", "success")
    return redirect(url_for("staff.toc", issue_id=issue.id))
