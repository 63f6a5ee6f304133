"""Reading request bodies: strict, explicit checks of their shape, with 422 answers naming
the field. What the values mean (a known plan, a period in order...) is the domain's to
check: its refusals are answered by api/errors.py.

Every string is checked for length and characters before it reaches the database
(PostgreSQL refuses NUL bytes; column lengths are bounded); integers are bounded to what
an INTEGER column holds."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import request

from magazine_app.accounts import operations as accounts
from magazine_app.api.errors import ApiError
from magazine_app.core import jsonbody

INT_MAX = 2_147_483_647
MAX_BODY = 64 * 1024  # a billing call is a few hundred bytes
REFERENCE_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,120}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")


def invalid(field: str, message: str, code: str = "validation_error") -> ApiError:
    return ApiError(422, code, f"{field} : {message}", {"field": field})


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 415 / 413 / 400 / 422."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            "Le corps de la requête doit être du JSON (Content-Type: application/json).",
        )
    try:
        # Bounded while read (chunked too), strict: no NaN/Infinity, bounded nesting.
        return jsonbody.read_json_object(MAX_BODY)
    except jsonbody.BodyError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc


def body_bytes() -> bytes:
    """The raw body, bounded as `json_body` reads it (read once, kept for both)."""
    try:
        return jsonbody.read_body(MAX_BODY)
    except jsonbody.BodyError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc


def required(data: dict[str, Any], field: str) -> Any:
    if field not in data or data[field] is None:
        raise invalid(field, "champ obligatoire.")
    return data[field]


def reference(value: Any, field: str = "billing_reference") -> str:
    if not isinstance(value, str) or not REFERENCE_RE.match(value):
        raise invalid(field, "lettres, chiffres et « . _ : - » seulement, 120 caractères au plus.")
    return value


def code(value: Any, field: str) -> str:
    if not isinstance(value, str) or not CODE_RE.match(value):
        raise invalid(field, "code attendu (minuscules, chiffres et tirets).")
    return value


def email(value: Any, field: str = "email") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 254:
        raise invalid(field, "adresse e-mail attendue.")
    try:
        return accounts.normalise_email(value)
    except accounts.AccountError as exc:
        raise invalid(field, "adresse e-mail invalide.") from exc


def day(value: Any, field: str) -> date:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise invalid(field, "date attendue au format AAAA-MM-JJ.")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid(field, "date impossible.") from exc


def integer(value: Any, field: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, "nombre entier attendu.")
    if not minimum <= value <= INT_MAX:
        raise invalid(field, f"entier entre {minimum} et {INT_MAX} attendu.")
    return value
