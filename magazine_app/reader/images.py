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

from magazine_app import storage
from magazine_app.core.extensions import limiter
from magazine_app.reader import bp

log = logging.getLogger(__name__)


def raw_path() -> str:
    """The request path exactly as the client sent it (before percent-decoding and before
    any server normalised it): gunicorn and Werkzeug put it in RAW_URI / REQUEST_URI."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is None:
        return request.path
    return raw.split("?", 1)[0]


def _token_key() -> str:
    # Only a well-formed token is a key: any other value shares one bucket, so changing
    # the cookie at every request does not buy a fresh limit (the IP limit also holds).
    token = request.cookies.get(storage.READER_COOKIE)
    return "img-token:" + (token if storage.is_reader_token(token) else "-")


def _ip_key() -> str:
    return "img-ip:" + (request.remote_addr or "?")


def _breach(limit: RequestLimit) -> None:
    token = request.cookies.get(storage.READER_COOKIE, "")
    log.warning(
        "page-image rate limit hit (%s): reader %s… from %s, %s",
        limit.limit,
        token[:8] if storage.is_reader_token(token) else "(none)",
        request.remote_addr,
        request.path,
    )


# Not a rendition path: no such image (whatever was signed); expired: the viewer asks for
# fresh URLs; any other problem (signature, token, expiry's spelling): refused.
_REFUSALS = {"not_a_rendition": 404, "expired": 410}


@bp.route("/img/<path:subpath>", merge_slashes=False)
@limiter.limit(
    lambda: current_app.config["IMAGE_RATE_LIMIT"],
    key_func=_token_key,
    on_breach=_breach,
)
@limiter.limit(
    lambda: current_app.config["IMAGE_IP_RATE_LIMIT"],
    key_func=_ip_key,
    on_breach=_breach,
)
def page_image(subpath: str) -> Response:
    # Before anything else: the path must be a rendition file's, in its one spelling.
    # A dot segment, an empty segment, an encoded byte or any other file under the
    # storage root (manifest.json, originals, staging) is refused here, whatever it signs.
    # (check_image_signature checks the shape before computing anything.)
    raw = raw_path()
    if raw != request.path:
        abort(404)
    problem = storage.check_image_signature(
        raw,
        request.args.get("e"),
        request.args.get("s"),
        request.cookies.get(storage.READER_COOKIE),
        time.time(),
    )
    if problem is not None:
        abort(_REFUSALS.get(problem, 403))
    try:
        path = storage.resolve(subpath)
    except storage.StorageError:
        abort(404)
    if not path.is_file():
        raise NotFound()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    accel = current_app.config["IMAGE_ACCEL_REDIRECT"]
    if accel:
        response = Response(status=200, mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + subpath
    else:
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=0)
    # The URL is valid for IMAGE_URL_TTL seconds at least and bound to this browser: cached
    # that long, privately, never shared.
    ttl = int(current_app.config["IMAGE_URL_TTL"])
    response.headers["Cache-Control"] = f"private, max-age={ttl}, immutable"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
