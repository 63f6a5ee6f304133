"""Issues in the staff console: the list, one issue's page (processing progress, pages,
publishing), metadata, preview pages and the TOC editor."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from magazine_app.catalog import operations as editorial
from magazine_app.catalog import queries as catalog
from magazine_app.catalog import reports
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.jobs import leases, queue
from magazine_app.models import Issue, Publication, utcnow
from magazine_app.staff import bp
from magazine_app.staff.forms import ActionForm, MetadataForm, PreviewForm, ScheduleForm
from magazine_app.staff.helpers import get_issue, job_state, staff_user


@bp.route("/")
def dashboard() -> str:
    leases.expire_abandoned()  # dead jobs show failed in the list too (see get_issue)
    publications = catalog.publications()
    slug = request.args.get("publication")
    stmt = select(Issue).join(Issue.publication)
    if slug:
        stmt = stmt.where(Publication.slug == slug)
    issues = list(
        db.session.scalars(
            stmt.order_by(Issue.release_date.desc().nulls_first(), Issue.id.desc()).limit(200)
        )
    )
    return render_template(
        "staff/dashboard.html",
        issues=issues,
        publications=publications,
        current_slug=slug,
        readers=reports.readers_by_issue([i.id for i in issues]),
    )


@bp.route("/numeros/<int:issue_id>")
def issue(issue_id: int) -> str:
    issue = get_issue(issue_id)
    schedule_form = ScheduleForm()
    if issue.publish_at and issue.publish_at > utcnow():
        schedule_form.publish_at.data = editorial.utc_to_local(issue.publish_at)
    return render_template(
        "staff/issue.html",
        issue=issue,
        state=job_state(issue),
        same_file=editorial.same_file_issues(issue.source_sha256, exclude=issue),
        pub_state=editorial.publication_state(issue, utcnow()),
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
            editorial.retry(issue)
        except editorial.EditorialError as exc:
            flash(str(exc), "error")
        else:
            audit.record(staff_user(), "issue.retry", audit.issue_label(issue), issue)
            db.session.commit()
            queue.enqueue("ingest_issue", issue.id)
            flash("Traitement relancé.", "success")
    return redirect(url_for("staff.issue", issue_id=issue.id))


@bp.route("/numeros/<int:issue_id>/modifier", methods=["GET", "POST"])
def edit(issue_id: int) -> str | Response:
    issue = get_issue(issue_id)
    form = MetadataForm(obj=None if request.method == "POST" else issue)
    if request.method == "GET":
        form.cover_lines.data = editorial.format_cover_lines(issue.cover_lines)
    preview_form = PreviewForm(formdata=None, obj=issue, prefix="preview")
    if form.validate_on_submit():
        meta = editorial.Metadata(
            number=form.number.data,
            title=(form.title.data or "").strip(),
            period_label=(form.period_label.data or "").strip(),
            release_date=form.release_date.data,
            cover_lines=editorial.parse_cover_lines(form.cover_lines.data or ""),
        )
        try:
            changed = editorial.update_metadata(issue, meta)
        except editorial.EditorialError as exc:
            form.number.errors.append(str(exc))
        else:
            if changed:
                audit.record(
                    staff_user(),
                    "issue.update",
                    f"{audit.issue_label(issue)} : {', '.join(changed)}",
                    issue,
                    {"fields": changed},
                )
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
        before = issue.preview_pages
        try:
            editorial.set_preview_pages(issue, form.preview_pages.data)
        except editorial.EditorialError as exc:
            flash(str(exc), "error")
        else:
            audit.record(
                staff_user(),
                "issue.preview",
                f"{audit.issue_label(issue)} : {before} → {issue.preview_pages} pages",
                issue,
                {"before": before, "after": issue.preview_pages},
            )
            db.session.commit()
            flash(f"{issue.preview_pages} page(s) en accès libre.", "success")
    else:
        for error in form.preview_pages.errors:
            flash(str(error), "error")
    return redirect(url_for("staff.edit", issue_id=issue.id))


def _toc_rows_from_form() -> tuple[list[editorial.TocRow], list[str]]:
    titles = request.form.getlist("toc-title")
    levels = request.form.getlist("toc-level")
    pages = request.form.getlist("toc-page")
    rows, errors = [], []
    for i, (title, level, page) in enumerate(zip(titles, levels, pages, strict=False), start=1):
        if not title.strip() and not page.strip():
            continue  # an empty spare row
        try:
            rows.append(editorial.TocRow(int(level), title, int(page)))
        except ValueError:
            errors.append(f"Entrée {i} : niveau et page doivent être des nombres.")
    return rows, errors


@bp.route("/numeros/<int:issue_id>/sommaire", methods=["GET", "POST"])
def toc(issue_id: int) -> str | Response:
    issue = get_issue(issue_id)
    form = ActionForm()
    rows = [editorial.TocRow(t.level, t.title, t.page) for t in issue.toc_entries]
    errors: list[str] = []
    if form.validate_on_submit():
        rows, errors = _toc_rows_from_form()
        errors += editorial.validate_toc(issue, rows)
        if not errors:
            editorial.replace_toc(issue, rows)
            audit.record(
                staff_user(),
                "issue.toc",
                f"{audit.issue_label(issue)} : {len(rows)} entrées",
                issue,
                {"entries": len(rows)},
            )
            db.session.commit()
            flash("Sommaire enregistré.", "success")
            return redirect(url_for("staff.toc", issue_id=issue.id))
    return render_template(
        "staff/toc.html",
        issue=issue,
        rows=rows,
        errors=errors,
        form=form,
        max_level=editorial.MAX_TOC_LEVEL,
    ), (400 if errors else 200)


@bp.route("/numeros/<int:issue_id>/sommaire/reconstruire", methods=["POST"])
def rebuild_toc(issue_id: int) -> Response:
    issue = get_issue(issue_id)
    if ActionForm().validate_on_submit():
        try:
            count = editorial.rebuild_toc(issue)
        except editorial.EditorialError as exc:
            flash(str(exc), "error")
        else:
            audit.record(
                staff_user(),
                "issue.toc_rebuild",
                f"{audit.issue_label(issue)} : {count} entrées",
                issue,
                {"entries": count},
            )
            db.session.commit()
            flash(f"Sommaire reconstruit depuis le PDF ({count} entrées).", "success")
    return redirect(url_for("staff.toc", issue_id=issue.id))
