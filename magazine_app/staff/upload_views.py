"""Uploading an issue: the form, the streamed upload, and the duplicate check the form
calls while staff type the number.

The upload view is exempt from CSRFProtect's automatic check because that check reads
`request.form`, which would make Flask parse (and spool) the whole body before we can
refuse it; the token is checked here instead: from the X-CSRFToken header (the page's
JavaScript) before reading a byte, or from the form field (no JavaScript) right after."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import ValidationError, validate_csrf
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from magazine_app import storage
from magazine_app.catalog import operations, register
from magazine_app.catalog import queries as catalog
from magazine_app.core import audit
from magazine_app.core.extensions import csrf, db
from magazine_app.jobs import queue
from magazine_app.models import Publication
from magazine_app.staff import bp
from magazine_app.staff.forms import COVER_LINES_HELP, UploadForm
from magazine_app.staff.helpers import staff_user
from magazine_app.staff.streaming import UploadedFile, UploadRefused, receive


def _form(formdata: Any = None) -> UploadForm:
    form = UploadForm(formdata=formdata, meta={"csrf": False} if formdata is not None else {})
    form.publication.choices = [(p.slug, p.title) for p in catalog.publications()]
    return form


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _render(form: UploadForm, error: str | None = None, status: int = 200) -> tuple[str, int]:
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    return (
        render_template(
            "staff/upload.html",
            form=form,
            error=error,
            max_bytes=limit,
            max_label=register.format_size(limit),
            cover_help=COVER_LINES_HELP,
        ),
        status,
    )


def _refuse(refusal: UploadRefused, form: UploadForm | None = None) -> Any:
    if _wants_json():
        response = jsonify({"ok": False, "error": refusal.message, "fields": refusal.fields})
        response.status_code = refusal.status
        if refusal.status in (413, 415):
            response.headers["Connection"] = "close"  # the rest of the body was not read
        return response
    return _render(form or _form(), refusal.message, refusal.status)


def _check_csrf(token: str | None) -> None:
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise UploadRefused("Session expirée : rechargez la page puis réessayez.", 400) from exc


def _validated(form: UploadForm, upload: UploadedFile | None) -> Publication:
    """The publication the upload goes to, once the fields and the file are there."""
    if not form.validate():
        fields = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        raise UploadRefused("Corrigez les champs signalés.", 400, fields)
    if upload is None:
        raise UploadRefused("Choisissez le fichier PDF du numéro.", 400)
    publication = catalog.publication_by_slug(form.publication.data)
    if publication is None:
        raise UploadRefused("Publication inconnue.", 400)
    return publication


def _duplicate(exc: register.DuplicateIssue) -> UploadRefused:
    url = url_for("staff.issue", issue_id=exc.issue.id)
    return UploadRefused(
        f"{audit.issue_label(exc.issue)} existe déjà : ouvrez-le pour le modifier, ou "
        "supprimez-le avant de téléverser à nouveau.",
        409,
        {"number": [f"Ce numéro existe déjà ({url})."]},
    )


@bp.route("/numeros/nouveau", methods=["GET"])
def upload_form() -> tuple[str, int]:
    return _render(_form())


@bp.route("/numeros/nouveau", methods=["POST"])
@csrf.exempt
def upload() -> Any:
    header_token = request.headers.get("X-CSRFToken")
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    try:
        if header_token is not None:
            _check_csrf(header_token)  # before a byte of the body is read
        received = receive(request.environ, storage.resolve("staging/uploads"), limit)
    except UploadRefused as exc:
        return _refuse(exc)
    upload, form = received.file, _form(received.form)
    try:
        if header_token is None:
            _check_csrf(received.form.get("csrf_token"))
        publication = _validated(form, upload)
        same_file = operations.same_file_issues(upload.sha256)
        issue = register.register_issue(
            publication,
            form.number.data,
            upload.path,
            actor=staff_user(),
            title=(form.title.data or "").strip(),
            period_label=(form.period_label.data or "").strip(),
            release_date=form.release_date.data,
            cover_lines=operations.parse_cover_lines(form.cover_lines.data or ""),
            filename=secure_filename(upload.filename) or "numero.pdf",
            move=True,
        )
        db.session.commit()
    except UploadRefused as exc:
        return _refuse(exc, form)
    except register.DuplicateIssue as exc:
        return _refuse(_duplicate(exc), form)
    except register.ProcessingError as exc:
        return _refuse(UploadRefused(str(exc), 409), form)
    finally:
        if upload is not None:
            upload.discard()  # no-op once register_issue moved the file
    warnings = [
        f"Attention : ce fichier est identique à celui de {audit.issue_label(other)}."
        for other in same_file
    ]
    for warning in warnings:
        flash(warning, "warning")
    flash(f"{audit.issue_label(issue)} est téléversé : le traitement commence.", "success")
    queue.enqueue("ingest_issue", issue.id)
    target = url_for("staff.issue", issue_id=issue.id)
    if _wants_json():
        return jsonify({"ok": True, "issue_id": issue.id, "url": target, "warnings": warnings}), 201
    return redirect(target)


@bp.route("/numeros/verifier.json")
def check_number() -> Response:
    """Does this publication + number already exist? Asked while staff type, so that the
    warning comes before the bytes travel."""
    publication = catalog.publication_by_slug(request.args.get("publication", ""))
    number = request.args.get("number", type=int)
    existing = catalog.find_issue(publication, number) if publication and number else None
    return jsonify(
        {
            "exists": existing is not None,
            "message": f"{audit.issue_label(existing)} existe déjà." if existing else "",
            "url": url_for("staff.issue", issue_id=existing.id) if existing else None,
        }
    )
