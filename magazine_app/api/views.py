"""Endpoints of the billing API. Thin: validation here, the work in subscriptions.py.

Every endpoint but the OpenAPI document requires `Authorization: Bearer <key>`."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from magazine_app.accounts import mails
from magazine_app.accounts import operations as accounts
from magazine_app.api import bp, serializers
from magazine_app.api import validation as v
from magazine_app.api.errors import ApiError
from magazine_app.catalog import queries as catalog
from magazine_app.core.extensions import db
from magazine_app.models import local_date
from magazine_app.subscriptions import api_keys
from magazine_app.subscriptions import operations as subscriptions


@bp.before_request
def _authenticate() -> None:
    """Token auth: look the key up by its SHA-256; refuse unknown and revoked keys."""
    if request.endpoint == "api.openapi":
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Clé d'API manquante : Authorization: Bearer <clé>.")
    client = api_keys.client_for_key(token)
    if client is None:
        raise ApiError(401, "invalid_api_key", "Clé d'API inconnue ou révoquée.")
    if api_keys.touch(client):
        db.session.commit()
    g.api_client = client


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    from magazine_app.api.openapi import document

    return jsonify(document())


@bp.get("/plans")
def plans() -> ResponseReturnValue:
    return {"plans": [serializers.plan(p) for p in subscriptions.all_plans()]}


@bp.get("/publications")
def publications() -> ResponseReturnValue:
    return {"publications": [serializers.publication(p) for p in catalog.publications()]}


def _subscriber(raw_email: Any) -> ResponseReturnValue:
    user = accounts.find_user(v.email(raw_email))
    if user is None:
        raise ApiError(404, "unknown_subscriber", "Aucun compte pour cette adresse e-mail.")
    return serializers.subscriber(user, local_date())


@bp.get("/subscribers")
def subscriber_by_query() -> ResponseReturnValue:
    return _subscriber(v.required(request.args.to_dict(), "email"))


@bp.get("/subscribers/<email>")
def subscriber(email: str) -> ResponseReturnValue:
    return _subscriber(email)


@bp.get("/subscriptions/<billing_reference>")
def get_subscription(billing_reference: str) -> ResponseReturnValue:
    sub = subscriptions.subscription_by_reference(v.reference(billing_reference))
    if sub is None:
        raise ApiError(404, "unknown_subscription", "Aucun abonnement avec cette référence.")
    return {"subscription": serializers.subscription(sub, local_date())}


@bp.put("/subscriptions/<billing_reference>")
def put_subscription(billing_reference: str) -> ResponseReturnValue:
    """Create or update a subscription by its billing reference (idempotent, versioned)."""
    reference = v.reference(billing_reference)
    data = v.json_body()
    email = v.email(v.required(data, "email"))
    plan_code = v.code(v.required(data, "plan"), "plan")
    status = v.status(v.required(data, "status"))
    starts_on = v.day(v.required(data, "starts_on"), "starts_on")
    ends_on = v.day(v.required(data, "ends_on"), "ends_on")
    version = v.integer(v.required(data, "version"), "version")
    grace = data.get("grace_until")
    grace_until = v.day(grace, "grace_until") if grace is not None else None
    if ends_on < starts_on:
        raise v.invalid("ends_on", "la date de fin précède la date de début.", "ends_before_starts")
    if subscriptions.plan_by_code(plan_code) is None:
        raise v.invalid("plan", f"formule inconnue « {plan_code} ».", "unknown_plan")

    today = local_date()
    for attempt in (1, 2):
        try:
            result = subscriptions.upsert_by_billing_reference(
                reference, email, plan_code, status, starts_on, ends_on, version, grace_until
            )
            db.session.commit()
            break
        except subscriptions.StaleVersion as exc:
            current = serializers.subscription(exc.current, today)
            db.session.rollback()
            raise ApiError(409, exc.code, str(exc), {"current": current}) from exc
        except subscriptions.SubscriptionError as exc:
            db.session.rollback()
            raise ApiError(422, exc.code, str(exc)) from exc
        except IntegrityError:
            # A concurrent request created the same row first: do it again, which now
            # finds that row (an identical replay, an update, or a stale version).
            db.session.rollback()
            if attempt == 2:
                raise
    if result.user_created:
        mails.queue_welcome(result.subscription.user)
    body = {
        "subscription": serializers.subscription(result.subscription, today),
        "created": result.created,
        "account_created": result.user_created,
        # The account existed but its address was never verified: its sessions were ended
        # and its owner was mailed a link to set the password (anti pre-hijacking).
        "claim_sent": result.claim_sent,
    }
    return body, 201 if result.created else 200
