"""gzip for the reader's few large text answers (the viewer's HTML and pages.json).

The embedded default (gunicorn alone) has no compressing proxy in front, and pages.json of
a 140-page issue is ~160 KB of signed URLs and near-identical JPEG placeholders that gzip
to ~10 KB: on a phone connection that is most of a second. Behind nginx, `gzip on` does the
same and this is a no-op (nginx does not re-compress an encoded body)."""

from __future__ import annotations

import gzip

from flask import request
from werkzeug.wrappers import Response

MIN_BYTES = 1024


def gzipped(response: Response) -> Response:
    """Compress `response` in place when the client accepts gzip and it is worth it."""
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.status_code != 200
        or "Content-Encoding" in response.headers
        or "gzip" not in request.accept_encodings
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    return response
