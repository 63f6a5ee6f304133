"""Reader JSON endpoints the viewer uses; every answer goes through the gate."""

from __future__ import annotations

import time

from flask import abort, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from magazine_app import storage
from magazine_app.access import Level
from magazine_app.catalog import queries as catalog
from magazine_app.catalog import reading
from magazine_app.core import jsonbody
from magazine_app.core.extensions import db
from magazine_app.models import Issue
from magazine_app.reader import bp
from magazine_app.reader.compress import gzipped
from magazine_app.reader.gate import access, current_reader


def _issue_or_404(slug: str, number: int) -> Issue:
    issue = catalog.find_issue(slug, number)
    if issue is None or access(issue).level is Level.NONE:
        abort(404)  # unpublished issues do not exist for readers
    return issue


@bp.route("/lire/<slug>/<int:number>/pages.json")
def issue_pages(slug: str, number: int) -> Response:
    issue = _issue_or_404(slug, number)
    payload = reading.viewer_payload(issue, access(issue), storage.reader_token(), time.time())
    response = jsonify(payload)
    response.headers["Cache-Control"] = "private, no-store"
    return gzipped(response)


@bp.route("/lire/<slug>/<int:number>/texte/<int:page>.json")
def page_text(slug: str, number: int, page: int) -> Response:
    issue = _issue_or_404(slug, number)
    data = reading.page_text(issue, page, access(issue))
    if data is None:
        abort(403)
    if request.args.get("words") == "0":
        data.pop("words", None)  # the viewer's text alternative needs the text only
    response = jsonify(data)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/lire/<slug>/<int:number>/position", methods=["POST"])
@login_required
def save_position(slug: str, number: int) -> Response:
    issue = _issue_or_404(slug, number)
    try:
        data = jsonbody.read_json_object(reading.POSITION_MAX_BODY)
    except jsonbody.BodyError as exc:
        return jsonbody.error_response(exc)
    page = reading.position_page(data)
    if page is None:
        message = 'Corps attendu : {"page": n}, n entier positif.'
        return jsonbody.error_response(jsonbody.BodyError(400, "invalid_position", message))
    row = reading.save_position(current_user, issue, page)
    db.session.commit()
    return jsonify({"page": row.page})


@bp.route("/lire/<slug>/<int:number>")
def issue(slug: str, number: int) -> str:
    """The issue page: cover, period, page count, TOC (each entry opens the viewer at its
    page) and, for readers without full access, the preview offer."""
    issue = _issue_or_404(slug, number)
    return render_template(
        "reader/issue.html",
        issue=issue,
        access=access(issue),
        resume=reading.saved_position(current_reader(), issue),
    )
