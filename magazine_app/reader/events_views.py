"""Batched reading events from the viewer (statistics for staff).

`POST /lire/<slug>/<number>/evenements` with JSON {"events": [{"page": n, "seconds": s}],
"csrf_token": "..."}: sent every ~30 s and on pagehide with navigator.sendBeacon, which
cannot set headers, hence the CSRF token in the body (checked here; the route is exempt
from CSRFProtect's header/form check). Only pages the gate lets this reader see count;
staff reading is not counted; reading time is capped by wall-clock time per reader and per
client address (stats.ReadingBudget). Answers 204 (nothing to read back)."""

from __future__ import annotations

from flask import abort, request
from flask_wtf.csrf import ValidationError, validate_csrf
from werkzeug.wrappers import Response

from magazine_app import storage
from magazine_app.access import Level
from magazine_app.catalog import queries as catalog
from magazine_app.catalog import stats
from magazine_app.core import jsonbody
from magazine_app.core.extensions import csrf, db
from magazine_app.models import utcnow
from magazine_app.reader import bp
from magazine_app.reader.gate import access, current_reader

MAX_BODY = 32 * 1024


@bp.route("/lire/<slug>/<int:number>/evenements", methods=["POST"])
@csrf.exempt
def reading_events(slug: str, number: int) -> Response:
    try:
        # Bounded while read: a chunked body has no Content-Length to check beforehand.
        data = jsonbody.read_json(MAX_BODY)
    except jsonbody.BodyError as exc:
        return jsonbody.error_response(exc)
    token = data.get("csrf_token") if isinstance(data, dict) else None
    try:
        validate_csrf(token)
    except ValidationError:
        abort(400, "Jeton CSRF manquant ou invalide.")
    try:
        events = stats.parse_events(data)
    except stats.EventError as exc:
        abort(400, str(exc))
    issue = catalog.find_issue(slug, number)
    if issue is None:
        abort(404)
    verdict = access(issue)
    if verdict.level is Level.NONE:
        abort(404)  # unpublished issues do not exist for readers
    user = current_reader()
    key = stats.reader_key(user, storage.reader_token())
    if key is None or (user is not None and user.is_staff) or not events:
        return Response(status=204)
    budget = stats.ReadingBudget(key, request.remote_addr)
    stats.record_events(issue, verdict, key, user, events, utcnow(), budget)
    db.session.commit()
    return Response(status=204)
