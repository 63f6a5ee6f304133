"""The OpenAPI 3.1 document of the billing API, written by hand to match views.py.

tests/api/test_api_schemathesis.py checks every operation against it (no server error, every
status code and body documented), so a change in one must be made in the other."""

from __future__ import annotations

from typing import Any

from magazine_app.api.validation import CODE_RE, DATE_RE, IDEMPOTENCY_KEY_RE, INT_MAX, REFERENCE_RE
from magazine_app.models import SubscriptionStatus


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _resp(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


DATE = {"type": "string", "format": "date", "pattern": DATE_RE.pattern}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
CODE = {"type": "string", "pattern": CODE_RE.pattern, "maxLength": 64}
REFERENCE = {"type": "string", "pattern": REFERENCE_RE.pattern, "maxLength": 120}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        ["error"],
        {
            "error": _obj(
                ["code", "message"],
                {
                    "code": {"type": "string", "description": "Stable machine-readable code."},
                    "message": {"type": "string", "description": "Explanation, in French."},
                    "details": {"type": "object"},
                },
            )
        },
    ),
    "Publication": _obj(
        ["slug", "title", "periodicity"],
        {"slug": CODE, "title": {"type": "string"}, "periodicity": {"type": "string"}},
    ),
    "Plan": _obj(
        [
            "code",
            "name",
            "description",
            "publications",
            "includes_back_issues",
            "duration_months",
            "is_public",
        ],
        {
            "code": CODE,
            "name": {"type": "string"},
            "description": {"type": "string"},
            "publications": {"type": "array", "items": CODE},
            "includes_back_issues": {"type": "boolean"},
            "duration_months": {"type": "integer"},
            "is_public": {"type": "boolean"},
        },
    ),
    "Subscription": _obj(
        [
            "billing_reference",
            "email",
            "plan",
            "status",
            "starts_on",
            "ends_on",
            "grace_until",
            "version",
            "current",
            "readable_until",
        ],
        {
            "billing_reference": {"type": ["string", "null"]},
            "email": {"type": "string"},
            "plan": CODE,
            "status": {"type": "string", "enum": [s.value for s in SubscriptionStatus]},
            "starts_on": DATE,
            "ends_on": DATE,
            "grace_until": NULLABLE_DATE,
            "version": {"type": "integer", "minimum": 0},
            "current": {"type": "boolean", "description": "Opens something today."},
            "readable_until": {
                **NULLABLE_DATE,
                "description": "Last day it opens issues (grace included); null when expired.",
            },
        },
    ),
    "SubscriptionWrite": _obj(
        ["email", "plan", "status", "starts_on", "ends_on", "version"],
        {
            "email": EMAIL,
            "plan": CODE,
            "status": {"type": "string", "enum": [s.value for s in SubscriptionStatus]},
            "starts_on": DATE,
            "ends_on": DATE,
            "version": {
                "type": "integer",
                "minimum": 0,
                "maximum": INT_MAX,
                "description": "Monotonic: an older version than the stored one is refused.",
            },
            "grace_until": {**NULLABLE_DATE, "description": "End of the grace period (past_due)."},
        },
    ),
    "SubscriptionResult": _obj(
        ["subscription", "created", "account_created", "claim_sent"],
        {
            "subscription": _ref("Subscription"),
            "created": {"type": "boolean"},
            "account_created": {
                "type": "boolean",
                "description": "A new account was created; its owner was mailed a link to "
                "set the password.",
            },
            "claim_sent": {
                "type": "boolean",
                "description": "The account existed but its e-mail address was never "
                "verified: its login sessions were ended, its password was cleared, and a "
                "link to set a new one was mailed to the address (someone else may have "
                "signed up with it).",
            },
        },
    ),
    "Purchase": _obj(
        [
            "billing_reference",
            "email",
            "publication",
            "number",
            "title",
            "period_label",
            "purchased_at",
        ],
        {
            "billing_reference": {"type": ["string", "null"]},
            "email": {"type": "string"},
            "publication": CODE,
            "number": {"type": "integer"},
            "title": {"type": "string"},
            "period_label": {"type": "string"},
            "purchased_at": {"type": "string", "format": "date-time"},
        },
    ),
    "PurchaseWrite": _obj(
        ["email", "publication", "number", "billing_reference"],
        {
            "email": EMAIL,
            "publication": CODE,
            "number": {"type": "integer", "minimum": 1, "maximum": INT_MAX},
            "billing_reference": REFERENCE,
        },
    ),
    "PurchaseResult": _obj(
        ["purchase", "created", "account_created", "claim_sent"],
        {
            "purchase": _ref("Purchase"),
            "created": {"type": "boolean"},
            "account_created": {"type": "boolean"},
            "claim_sent": {
                "type": "boolean",
                "description": "As for subscriptions: an unverified account was taken back "
                "for its mailbox before the purchase was attached.",
            },
        },
    ),
    "Entitlement": _obj(
        [
            "publication",
            "plan",
            "billing_reference",
            "includes_back_issues",
            "readable_until",
            "issues_released_from",
            "issues_released_until",
        ],
        {
            "publication": CODE,
            "plan": CODE,
            "billing_reference": {"type": ["string", "null"]},
            "includes_back_issues": {"type": "boolean"},
            "readable_until": DATE,
            "issues_released_from": NULLABLE_DATE,
            "issues_released_until": NULLABLE_DATE,
        },
        description="One publication a current subscription opens. Without back issues, "
        "only issues released between the two dates.",
    ),
    "Subscriber": _obj(
        ["email", "name", "has_password", "active", "subscriptions", "purchases", "can_read"],
        {
            "email": {"type": "string"},
            "name": {"type": "string"},
            "has_password": {"type": "boolean"},
            "active": {"type": "boolean", "description": "Has a current subscription."},
            "subscriptions": {"type": "array", "items": _ref("Subscription")},
            "purchases": {"type": "array", "items": _ref("Purchase")},
            "can_read": {"type": "array", "items": _ref("Entitlement")},
        },
    ),
}

_ERRORS = {
    "BadRequest": "Malformed request (invalid JSON, missing or bad Idempotency-Key).",
    "Unauthorized": "Missing, unknown or revoked API key.",
    "NotFound": "No such resource.",
    "Conflict": "Refused, nothing changed: stale version, or conflicting purchase.",
    "UnsupportedMediaType": "The body must be application/json.",
    "PayloadTooLarge": "The body is larger than the API reads (whatever Content-Length or "
    "chunked encoding says).",
    "ValidationError": "Invalid field (details.field names it), unknown plan or issue, "
    "issue not published yet (issue_not_published), reused Idempotency-Key, NaN or "
    "Infinity, JSON nested too deep.",
    "RateLimited": "Too many requests.",
    "ServerError": "Unexpected error.",
}
RESPONSES = {name: _json(_ref("Error"), text) for name, text in _ERRORS.items()}
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
            responses[status] = _resp(name)
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
_SUBSCRIBER_OK = {"200": _json(_ref("Subscriber"), "The subscriber and what they can read.")}


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
                        "200": _json(
                            _obj(["plans"], {"plans": {"type": "array", "items": _ref("Plan")}}),
                            "Plans.",
                        )
                    },
                )
            },
            "/publications": {
                "get": _op(
                    "Publications",
                    {
                        "200": _json(
                            _obj(
                                ["publications"],
                                {"publications": {"type": "array", "items": _ref("Publication")}},
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
                        "200": _json(
                            _obj(["subscription"], {"subscription": _ref("Subscription")}),
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
                        "200": _json(_ref("SubscriptionResult"), "Updated, or replayed."),
                        "201": _json(_ref("SubscriptionResult"), "Created."),
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
                                "schema": _ref("SubscriptionWrite"),
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
                        "200": _json(_ref("PurchaseResult"), "Already recorded (no change)."),
                        "201": _json(_ref("PurchaseResult"), "Recorded."),
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
                                "schema": _ref("PurchaseWrite"),
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
                        "200": _json({"type": "object"}, "OpenAPI 3.1 document."),
                        "429": _resp("RateLimited"),
                        "500": _resp("ServerError"),
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
