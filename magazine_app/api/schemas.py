"""The schemas of the billing API's OpenAPI document (api/openapi.py): the bodies it reads
and answers, and the error answers, with the same patterns the validation uses."""

from __future__ import annotations

from typing import Any

from magazine_app.api.validation import CODE_RE, DATE_RE, INT_MAX, REFERENCE_RE
from magazine_app.models import SubscriptionStatus


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def resp(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


DATE = {"type": "string", "format": "date", "pattern": DATE_RE.pattern}


NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


CODE = {"type": "string", "pattern": CODE_RE.pattern, "maxLength": 64}


REFERENCE = {"type": "string", "pattern": REFERENCE_RE.pattern, "maxLength": 120}


EMAIL = {"type": "string", "format": "email", "maxLength": 254}


SCHEMAS: dict[str, Any] = {
    "Error": obj(
        ["error"],
        {
            "error": obj(
                ["code", "message"],
                {
                    "code": {"type": "string", "description": "Stable machine-readable code."},
                    "message": {"type": "string", "description": "Explanation, in French."},
                    "details": {"type": "object"},
                },
            )
        },
    ),
    "Publication": obj(
        ["slug", "title", "periodicity"],
        {"slug": CODE, "title": {"type": "string"}, "periodicity": {"type": "string"}},
    ),
    "Plan": obj(
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
    "Subscription": obj(
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
    "SubscriptionWrite": obj(
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
    "SubscriptionResult": obj(
        ["subscription", "created", "account_created", "claim_sent"],
        {
            "subscription": ref("Subscription"),
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
    "Purchase": obj(
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
    "PurchaseWrite": obj(
        ["email", "publication", "number", "billing_reference"],
        {
            "email": EMAIL,
            "publication": CODE,
            "number": {"type": "integer", "minimum": 1, "maximum": INT_MAX},
            "billing_reference": REFERENCE,
        },
    ),
    "PurchaseResult": obj(
        ["purchase", "created", "account_created", "claim_sent"],
        {
            "purchase": ref("Purchase"),
            "created": {"type": "boolean"},
            "account_created": {"type": "boolean"},
            "claim_sent": {
                "type": "boolean",
                "description": "As for subscriptions: an unverified account was taken back "
                "for its mailbox before the purchase was attached.",
            },
        },
    ),
    "Entitlement": obj(
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
    "Subscriber": obj(
        ["email", "name", "has_password", "active", "subscriptions", "purchases", "can_read"],
        {
            "email": {"type": "string"},
            "name": {"type": "string"},
            "has_password": {"type": "boolean"},
            "active": {"type": "boolean", "description": "Has a current subscription."},
            "subscriptions": {"type": "array", "items": ref("Subscription")},
            "purchases": {"type": "array", "items": ref("Purchase")},
            "can_read": {"type": "array", "items": ref("Entitlement")},
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


RESPONSES = {name: json_body(ref("Error"), text) for name, text in _ERRORS.items()}
