"""Endpoints of the billing API. Thin: shape validation here (api/validation.py), the
rules and the work in subscriptions/, the refusals mapped to JSON in api/errors.py.

Every endpoint but the OpenAPI document requires `Authorization: Bearer <key>`."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from magazine_app.accounts import mails
from magazine_app.accounts import operations as accounts
from magazine_app.api import bp, serializers, transactions, validation
from magazine_app.api.errors import ApiError
from magazine_app.api.openapi import document
from magazine_app.catalog import queries as catalog
from magazine_app.core.extensions import db
from magazine_app.models import local_date
from magazine_app.subscriptions import api_keys
from magazine_app.subscriptions import operations as subscriptions

SAFE_METHODS = frozenset({"GET", "HEAD"})


@bp.before_request
def _authenticate() -> None:
    """Token auth: look the key up by its SHA-256; refuse unknown and revoked keys.

    A read records the key's use here, as its one commit; a write records it with its
    change (transactions.commit)."""
    if request.endpoint == "api.openapi":
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Clé d'API manquante : Authorization: Bearer <clé>.")
    client = api_keys.client_for_key(token)
    if client is None:
        raise ApiError(401, "invalid_api_key", "Clé d'API inconnue ou révoquée.")
    g.api_client = client
    if request.method in SAFE_METHODS and api_keys.touch(client):
        db.session.commit()


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())


@bp.get("/plans")
def plans() -> ResponseReturnValue:
    return {"plans": [serializers.plan(p) for p in subscriptions.all_plans()]}


@bp.get("/publications")
def publications() -> ResponseReturnValue:
    return {"publications": [serializers.publication(p) for p in catalog.publications()]}


def _subscriber(raw_email: Any) -> ResponseReturnValue:
    user = accounts.find_user(validation.email(raw_email))
    if user is None:
        raise ApiError(404, "unknown_subscriber", "Aucun compte pour cette adresse e-mail.")
    return serializers.subscriber(user, local_date())


@bp.get("/subscribers")
def subscriber_by_query() -> ResponseReturnValue:
    return _subscriber(validation.required(request.args.to_dict(), "email"))


@bp.get("/subscribers/<email>")
def subscriber(email: str) -> ResponseReturnValue:
    return _subscriber(email)


@bp.get("/subscriptions/<billing_reference>")
def get_subscription(billing_reference: str) -> ResponseReturnValue:
    sub = subscriptions.subscription_by_reference(validation.reference(billing_reference))
    if sub is None:
        raise ApiError(404, "unknown_subscription", "Aucun abonnement avec cette référence.")
    return {"subscription": serializers.subscription(sub, local_date())}


@bp.put("/subscriptions/<billing_reference>")
def put_subscription(billing_reference: str) -> ResponseReturnValue:
    """Create or update a subscription by its billing reference (idempotent, versioned).
    The plan, the status and the period are the domain's to check (SubscriptionError,
    answered 422 by api/errors.py; StaleVersion 409)."""
    reference = validation.reference(billing_reference)
    data = validation.json_body()
    grace = data.get("grace_until")
    change = {
        "email": validation.email(validation.required(data, "email")),
        "plan_code": validation.code(validation.required(data, "plan"), "plan"),
        "status": validation.required(data, "status"),
        "starts_on": validation.day(validation.required(data, "starts_on"), "starts_on"),
        "ends_on": validation.day(validation.required(data, "ends_on"), "ends_on"),
        "version": validation.integer(validation.required(data, "version"), "version"),
        "grace_until": validation.day(grace, "grace_until") if grace is not None else None,
    }

    def upsert() -> subscriptions.UpsertResult:
        result = subscriptions.upsert_by_billing_reference(reference, **change)
        transactions.commit()
        return result

    result = transactions.retry_once_on_integrity_error(upsert)
    if result.user_created:
        mails.queue_welcome(result.subscription.user)
    body = {
        "subscription": serializers.subscription(result.subscription, local_date()),
        "created": result.created,
        "account_created": result.user_created,
        # The account existed but its address was never verified: its sessions were ended
        # and its owner was mailed a link to set the password (anti pre-hijacking).
        "claim_sent": result.claim_sent,
    }
    return body, 201 if result.created else 200
