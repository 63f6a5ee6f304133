"""Page images: served only through short-lived signed URLs bound to the reader token.

Verifying a URL needs no database query: the signature already says that the gate
allowed this file for this browser until this time. In production nginx checks the same
signature (secure_link) and this endpoint is not even reached; with IMAGE_ACCEL_REDIRECT
set, Flask checks and nginx sends the bytes (X-Accel-Redirect to an `internal` location)."""

from __future__ import annotations

import logging
import mimetypes
import time

from flask import Response, abort, current_app, request, send_file
from flask_limiter import RequestLimit
from werkzeug.exceptions import NotFound

from .. import storage
from ..extensions import limiter
from .views import bp

log = logging.getLogger(__name__)


def _reader_key() -> str:
    return "reader:" + (request.cookies.get(storage.READER_COOKIE) or request.remote_addr or "?")


def _breach(limit: RequestLimit) -> None:
    token = request.cookies.get(storage.READER_COOKIE, "")
    log.warning(
        "page-image rate limit hit (%s): reader %s… from %s, %s",
        limit.limit,
        token[:8],
        request.remote_addr,
        request.path,
    )


@bp.route("/img/<path:subpath>")
@limiter.limit(
    lambda: current_app.config.get("IMAGE_RATE_LIMIT", "300 per minute;4000 per hour"),
    key_func=_reader_key,
    on_breach=_breach,
)
def page_image(subpath: str) -> Response:
    problem = storage.check_image_signature(
        request.path,
        request.args.get("e"),
        request.args.get("s"),
        request.cookies.get(storage.READER_COOKIE),
        time.time(),
    )
    if problem is not None:
        abort(403 if problem != "expired" else 410)
    try:
        path = storage.resolve(subpath)
    except storage.StorageError:
        abort(404)
    if not path.is_file():
        raise NotFound()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    accel = current_app.config.get("IMAGE_ACCEL_REDIRECT")
    if accel:
        response = Response(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + subpath
    else:
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=0)
    # The URL expires in minutes and is bound to this browser: private cache, no sharing.
    response.headers["Cache-Control"] = "private, max-age=600, immutable"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
