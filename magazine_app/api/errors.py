"""The API's errors: one JSON shape, `{"error": {"code": "...", "message": "..."}}`, for the
errors the views raise (ApiError), the domain's refusals (SubscriptionError: 422, or 409
for a stale version or a conflicting purchase), those Werkzeug raises (404, 405, 413,
429...), unexpected ones (500), and paths under /api/v1 that match no route, which no
blueprint handler sees (microblog's app/api/errors.py, with stable codes)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from magazine_app.api import bp, serializers
from magazine_app.models import local_date
from magazine_app.subscriptions.operations import StaleVersion, SubscriptionError
from magazine_app.subscriptions.purchases import PurchaseConflict

# Stable machine-readable codes for the HTTP errors Werkzeug raises.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
}
MESSAGES = {
    400: "Requête invalide.",
    401: "Clé d'API manquante ou invalide.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    413: "Requête trop volumineuse.",
    415: "Le corps de la requête doit être du JSON (Content-Type: application/json).",
    429: "Trop de requêtes : réessayez plus tard.",
    500: "Erreur interne du serveur.",
}


class ApiError(Exception):
    """An error answer: HTTP status, stable code, French message, optional details."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> ResponseReturnValue:
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    response = error_response(
        status, HTTP_CODES.get(status, "http_error"), MESSAGES.get(status, exc.name)
    )
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # type: ignore[union-attr]
    if status == 429 and exc.response is not None:  # keep Flask-Limiter's Retry-After
        retry = exc.response.headers.get("Retry-After")
        if retry:
            response.headers["Retry-After"] = retry  # type: ignore[union-attr]
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return error_response(exc.status, exc.code, exc.message, exc.details)


@bp.errorhandler(SubscriptionError)
def _refused(exc: SubscriptionError) -> ResponseReturnValue:
    """The domain refused the change (unknown plan, period out of order...): nothing was
    committed, and the request's transaction ends with it."""
    details = {"field": exc.field} if exc.field else None
    return error_response(422, exc.code, str(exc), details)


@bp.errorhandler(StaleVersion)
def _stale(exc: StaleVersion) -> ResponseReturnValue:
    current = serializers.subscription(exc.current, local_date())
    return error_response(409, exc.code, str(exc), {"current": current})


@bp.errorhandler(PurchaseConflict)
def _purchase_conflict(exc: PurchaseConflict) -> ResponseReturnValue:
    return error_response(409, exc.code, str(exc))


@bp.errorhandler(HTTPException)
def _bp_http_error(exc: HTTPException) -> ResponseReturnValue:
    return _http_error(exc)


@bp.errorhandler(Exception)
def _server_error(exc: Exception) -> ResponseReturnValue:
    current_app.logger.exception("Unhandled error in %s %s", request.method, request.path)
    return error_response(500, "server_error", MESSAGES[500])


def _unrouted_api_request() -> ResponseReturnValue | None:
    """404/405 for /api/v1/... paths that match no route, in JSON rather than the HTML
    error page: runs before dispatch, when Werkzeug has already recorded the failure."""
    exc = request.routing_exception
    if exc is None or not isinstance(exc, HTTPException) or (exc.code or 0) < 400:
        return None
    prefix = bp.url_prefix or ""
    if request.path != prefix and not request.path.startswith(prefix + "/"):
        return None
    return _http_error(exc)


@bp.record_once
def _on_register(state: BlueprintSetupState) -> None:
    """Registering the blueprint is all the app factory does: this makes unknown
    /api/v1 paths answer JSON too."""
    state.app.before_request(_unrouted_api_request)
