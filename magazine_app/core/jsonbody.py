"""Reading JSON request bodies safely: bounded while read, strict when parsed.

`request.get_json()` trusts Content-Length (a chunked body has none and is read whole),
accepts NaN and Infinity (which break arithmetic and PostgreSQL), and lets Python's
recursive decoder raise RecursionError on deeply nested input (a 500). Everything that
reads a JSON body goes through `read_json` instead.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import g, jsonify, request
from werkzeug.wrappers import Response

MAX_DEPTH = 32  # far more than any body of this app nests
DEFAULT_LIMIT = 64 * 1024

# One left-to-right pass over strings and brackets: "[" inside a string nests nothing.
# The closing quote is optional so that an unterminated string never makes the engine
# retry from every later quote (which would be quadratic on `"\"\"\"...`).
_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class BodyError(ValueError):
    """A body refused before or while parsing: `status` is 400, 413 or 422."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def read_body(limit: int = DEFAULT_LIMIT) -> bytes:
    """The raw body, at most `limit` bytes, whatever Content-Length or chunked transfer
    encoding says (BodyError 413 beyond). Read once per request and kept, so that a view
    may hash the bytes and parse them."""
    cached = g.get("_bounded_body")
    if cached is not None:
        return cached
    if (request.content_length or 0) > limit:
        raise BodyError(413, "payload_too_large", "Requête trop volumineuse.")
    # request.stream is already limited to Content-Length when there is one; without it
    # (chunked), reading limit + 1 bytes is how we learn the body is too long. A read may
    # return less than asked (one chunk at a time), hence the loop.
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = request.stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise BodyError(413, "payload_too_large", "Requête trop volumineuse.")
    data = b"".join(chunks)
    g._bounded_body = data
    return data


def _refuse_constant(name: str) -> Any:
    raise BodyError(400, "invalid_json", f"Valeur JSON non autorisée : {name}.")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e400 is Infinity by another name
        raise BodyError(400, "invalid_json", f"Nombre hors limites : {literal[:20]}.")
    return value


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """BodyError 400 when arrays/objects nest deeper than `max_depth` (checked without
    recursion, before the decoder could recurse)."""
    depth = 0
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                raise BodyError(
                    400, "json_too_deep", f"JSON trop imbriqué ({max_depth} niveaux au plus)."
                )
        elif token in ("]", "}"):
            depth -= 1


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse strict JSON: UTF-8, no NaN/Infinity, bounded depth (BodyError 400)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise BodyError(400, "invalid_json", "Le corps n'est pas de l'UTF-8 valide.") from exc
    check_depth(text, max_depth)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:  # belt and braces: the pre-scan should have caught it
        raise BodyError(400, "json_too_deep", "JSON trop imbriqué.") from exc
    except BodyError:
        raise
    except ValueError as exc:
        raise BodyError(
            400, "invalid_json", "Le corps de la requête n'est pas du JSON valide."
        ) from exc


def read_json(limit: int = DEFAULT_LIMIT, max_depth: int = MAX_DEPTH) -> Any:
    """The request's body parsed as strict JSON (any top level)."""
    return loads(read_body(limit), max_depth)


def read_json_object(limit: int = DEFAULT_LIMIT, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The request's body as a JSON object (BodyError 422 for another top level)."""
    data = read_json(limit, max_depth)
    if not isinstance(data, dict):
        raise BodyError(422, "validation_error", "Le corps doit être un objet JSON.")
    return data


def error_response(exc: BodyError) -> Response:
    """The refusal as JSON, for the viewer's JSON endpoints (same shape as the API's)."""
    response = jsonify({"error": {"code": exc.code, "message": exc.message}})
    response.status_code = exc.status
    return response
