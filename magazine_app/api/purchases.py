"""POST /api/v1/purchases: single-issue purchases, made safe to retry by Idempotency-Key.

The first successful answer (status and body) is stored with the key, in the same
transaction as the purchase: a retry gets that answer back without acting again, and two
concurrent requests with the same key cannot both act (unique constraint on client+key).
Errors are not stored, so a request refused for a missing or not yet published issue may
be retried later."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from magazine_app import access
from magazine_app.accounts import mails
from magazine_app.api import bp, serializers, transactions, validation
from magazine_app.api.errors import ApiError
from magazine_app.catalog import queries as catalog
from magazine_app.core import jsonbody
from magazine_app.core.extensions import db
from magazine_app.models import IdempotencyRecord, utcnow
from magazine_app.subscriptions import operations as subscriptions
from magazine_app.subscriptions.purchases import purchase_issue

REPLAY_HEADER = "Idempotent-Replayed"


def _request_hash() -> str:
    """What makes two requests "the same": method, path and body (canonical when JSON)."""
    raw = validation.body_bytes()
    try:
        data = jsonbody.loads(raw)
    except jsonbody.BodyError:
        payload = raw  # not JSON: json_body refuses it after the replay check
    else:
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        payload = body.encode("utf-8", "surrogatepass")
    head = f"{request.method} {request.path}\n".encode()
    return hashlib.sha256(head + payload).hexdigest()


def _record(key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_client_id == g.api_client.id, IdempotencyRecord.key == key
        )
    )


def _replay(record: IdempotencyRecord, request_hash: str) -> ResponseReturnValue:
    if record.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "Cette clé d'idempotence a déjà servi pour une autre requête.",
        )
    return (
        json.loads(record.response_body),
        record.response_status,
        {REPLAY_HEADER: "true"},
    )


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise ApiError(
            400, "idempotency_key_missing", "En-tête Idempotency-Key obligatoire pour cet appel."
        )
    if not validation.IDEMPOTENCY_KEY_RE.match(key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key : 1 à 200 caractères ASCII visibles.",
        )
    return key


@bp.post("/purchases")
def create_purchase() -> ResponseReturnValue:
    """Act and store the answer in one transaction, committed here; a PurchaseConflict is
    answered 409 by api/errors.py, with nothing committed."""
    key = _idempotency_key()
    request_hash = _request_hash()
    record = _record(key)
    if record is not None:
        return _replay(record, request_hash)

    data = validation.json_body()
    email = validation.email(validation.required(data, "email"))
    pub_slug = validation.code(validation.required(data, "publication"), "publication")
    number = validation.integer(validation.required(data, "number"), "number", minimum=1)
    reference = validation.reference(validation.required(data, "billing_reference"))
    issue = catalog.find_issue(pub_slug, number)
    if issue is None:
        raise validation.invalid(
            "number", f"aucun numéro {number} de « {pub_slug} ».", "unknown_issue"
        )
    if not access.is_published(issue, utcnow()):
        # Billing holds a key and may know of drafts: a clear refusal, not a fake 404. A
        # purchase of an issue readers cannot open yet would be a sale of nothing.
        raise validation.invalid(
            "number",
            f"le numéro {number} de « {pub_slug} » n'est pas encore publié.",
            "issue_not_published",
        )

    try:
        user, account_created, claim_sent = subscriptions.find_or_claim_reader(email)
        purchase, created = purchase_issue(user, issue, reference)
        body: dict[str, Any] = {
            "purchase": serializers.purchase(purchase),
            "created": created,
            "account_created": account_created,
            "claim_sent": claim_sent,
        }
        status = 201 if created else 200
        _store_answer(key, request_hash, body, status)
        transactions.commit()
    except IntegrityError as exc:
        # A concurrent request (same key, or same purchase) wrote first: answer as it did.
        db.session.rollback()
        record = _record(key)
        if record is not None:
            return _replay(record, request_hash)
        raise ApiError(
            409, "concurrent_request", "Une requête concurrente a enregistré cet achat : réessayez."
        ) from exc
    if account_created:
        mails.queue_welcome(user)
    return body, status


def _store_answer(key: str, request_hash: str, body: dict[str, Any], status: int) -> None:
    """Keep the answer with the key, in the purchase's transaction (unique on client+key:
    IntegrityError when another request with the same key committed first)."""
    db.session.add(
        IdempotencyRecord(
            api_client_id=g.api_client.id,
            key=key,
            request_hash=request_hash,
            response_status=status,
            response_body=json.dumps(body, ensure_ascii=False),
        )
    )
    db.session.flush()
