"""The OpenAPI 3.1 document of the billing API, written by hand to match views.py.

tests/api/test_api_schemathesis.py checks every operation against it (no server error, every
status code and body documented), so a change in one must be made in the other."""

from __future__ import annotations

from typing import Any

from magazine_app.api.schemas import (
    REFERENCE,
    RESPONSES,
    SCHEMAS,
    json_body,
    obj,
    ref,
    resp,
)
from magazine_app.api.validation import IDEMPOTENCY_KEY_RE

RESPONSES["Unauthorized"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}


def _op(summary: str, ok: dict[str, Any], *errors: str, **extra: Any) -> dict[str, Any]:
    responses = dict(ok)
    for name, status in [
        ("BadRequest", "400"),
        ("Unauthorized", "401"),
        ("NotFound", "404"),
        ("Conflict", "409"),
        ("PayloadTooLarge", "413"),
        ("UnsupportedMediaType", "415"),
        ("ValidationError", "422"),
        ("RateLimited", "429"),
        ("ServerError", "500"),
    ]:
        if name in errors or name in ("Unauthorized", "RateLimited", "ServerError"):
            responses[status] = resp(name)
    return {"summary": summary, "responses": responses, **extra}


_REF_PARAM = {
    "name": "billing_reference",
    "in": "path",
    "required": True,
    "schema": REFERENCE,
    "example": "sub_1001",
}
SUBSCRIPTION_EXAMPLE = {
    "email": "lectrice@example.com",
    "plan": "challenge-1an",
    "status": "active",
    "starts_on": "2022-01-01",
    "ends_on": "2022-12-31",
    "version": 1,
}
PURCHASE_EXAMPLE = {
    "email": "lecteur@example.com",
    "publication": "challenge",
    "number": 228,
    "billing_reference": "ch_228_0001",
}
_EMAIL_SCHEMA = {"type": "string", "maxLength": 254}
_SUBSCRIBER_OK = {"200": json_body(ref("Subscriber"), "The subscriber and what they can read.")}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Challenge e-magazine billing API",
            "version": "1.0.0",
            "description": "Subscriptions and single-issue purchases, set by the billing "
            'system. Errors: {"error": {"code", "message"}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/plans": {
                "get": _op(
                    "Every plan (public or not) with its stable code",
                    {
                        "200": json_body(
                            obj(["plans"], {"plans": {"type": "array", "items": ref("Plan")}}),
                            "Plans.",
                        )
                    },
                )
            },
            "/publications": {
                "get": _op(
                    "Publications",
                    {
                        "200": json_body(
                            obj(
                                ["publications"],
                                {"publications": {"type": "array", "items": ref("Publication")}},
                            ),
                            "Publications.",
                        )
                    },
                )
            },
            "/subscribers": {
                "get": _op(
                    "A subscriber by e-mail (query)",
                    _SUBSCRIBER_OK,
                    "NotFound",
                    "ValidationError",
                    parameters=[
                        {
                            "name": "email",
                            "in": "query",
                            "required": True,
                            "schema": _EMAIL_SCHEMA,
                            "example": "lectrice@example.com",
                        }
                    ],
                )
            },
            "/subscribers/{email}": {
                "get": _op(
                    "A subscriber by e-mail (path)",
                    _SUBSCRIBER_OK,
                    "NotFound",
                    "ValidationError",
                    parameters=[
                        {
                            "name": "email",
                            "in": "path",
                            "required": True,
                            "schema": _EMAIL_SCHEMA,
                            "example": "lectrice@example.com",
                        }
                    ],
                )
            },
            "/subscriptions/{billing_reference}": {
                "get": _op(
                    "A subscription by billing reference",
                    {
                        "200": json_body(
                            obj(["subscription"], {"subscription": ref("Subscription")}),
                            "The subscription.",
                        )
                    },
                    "NotFound",
                    "ValidationError",
                    parameters=[_REF_PARAM],
                ),
                "put": _op(
                    "Create or update a subscription (idempotent, versioned)",
                    {
                        "200": json_body(ref("SubscriptionResult"), "Updated, or replayed."),
                        "201": json_body(ref("SubscriptionResult"), "Created."),
                    },
                    "BadRequest",
                    "Conflict",
                    "PayloadTooLarge",
                    "UnsupportedMediaType",
                    "ValidationError",
                    parameters=[_REF_PARAM],
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": ref("SubscriptionWrite"),
                                "example": SUBSCRIPTION_EXAMPLE,
                            }
                        },
                    },
                    description="Creates the reader's account when the e-mail is new and "
                    "e-mails them a link to choose a password. To end a subscription, send "
                    "status cancelled (readable until ends_on) or expired (closed now).",
                ),
            },
            "/purchases": {
                "post": _op(
                    "Record a single-issue purchase (requires Idempotency-Key)",
                    {
                        "200": json_body(ref("PurchaseResult"), "Already recorded (no change)."),
                        "201": json_body(ref("PurchaseResult"), "Recorded."),
                    },
                    "BadRequest",
                    "Conflict",
                    "PayloadTooLarge",
                    "UnsupportedMediaType",
                    "ValidationError",
                    parameters=[
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": True,
                            "schema": {
                                "type": "string",
                                "pattern": IDEMPOTENCY_KEY_RE.pattern,
                                "minLength": 1,
                                "maxLength": 200,
                            },
                            "example": "order-0001",
                            "description": "The first answer is replayed for the same key "
                            "and body; the same key with another body is refused (422).",
                        }
                    ],
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": ref("PurchaseWrite"),
                                "example": PURCHASE_EXAMPLE,
                            }
                        },
                    },
                )
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": json_body({"type": "object"}, "OpenAPI 3.1 document."),
                        "429": resp("RateLimited"),
                        "500": resp("ServerError"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
            "responses": RESPONSES,
        },
    }
