"""Keys of the billing API (domain functions; no HTTP).

A key is shown once, at creation. Only its SHA-256 is stored (a leaked database does not
leak usable keys), with a short visible prefix so that staff can tell keys apart."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from magazine_app.core.extensions import db
from magazine_app.models import ApiClient, utcnow

KEY_PREFIX = "mgz_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # e.g. "mgz_3f9a1c2e"
TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A refusal with the sentence staff will read."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def create_key(name: str) -> tuple[ApiClient, str]:
    """Create a key; returns (row, plaintext key). The plaintext is never stored."""
    name = name.strip()
    if not name:
        raise ApiKeyError("Donnez un nom à la clé (ex. : « facturation »).")
    key = KEY_PREFIX + secrets.token_hex(24)
    client = ApiClient(name=name[:120], key_prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key))
    db.session.add(client)
    db.session.flush()
    return client, key


def client_for_key(key: str) -> ApiClient | None:
    """The live (not revoked) client owning this key, or None."""
    client = db.session.scalar(select(ApiClient).where(ApiClient.key_hash == hash_key(key)))
    if client is None or client.revoked_at is not None:
        return None
    return client


def touch(client: ApiClient, now: datetime | None = None) -> bool:
    """Record that the key was used, at most once a minute (no write on every call).

    A conditional UPDATE, so that concurrent requests do not fight over the row."""
    now = now or utcnow()
    if client.last_used_at is not None and now - client.last_used_at < TOUCH_EVERY:
        return False
    result = db.session.execute(
        update(ApiClient)
        .where(
            ApiClient.id == client.id,
            or_(ApiClient.last_used_at.is_(None), ApiClient.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    client.last_used_at = now
    return bool(result.rowcount)


def list_keys() -> list[ApiClient]:
    return list(db.session.scalars(select(ApiClient).order_by(ApiClient.id)))


def find_key(prefix_or_id: str) -> ApiClient:
    """One key by its id or its visible prefix; ApiKeyError when none or ambiguous."""
    if prefix_or_id.isdigit():
        client = db.session.get(ApiClient, int(prefix_or_id))
        if client is None:
            raise ApiKeyError(f"Aucune clé n° {prefix_or_id}.")
        return client
    if len(prefix_or_id) > PREFIX_LENGTH:  # the whole key was given
        by_hash = db.session.scalar(
            select(ApiClient).where(ApiClient.key_hash == hash_key(prefix_or_id))
        )
        if by_hash is None:
            raise ApiKeyError("Aucune clé ne correspond.")
        return by_hash
    rows = list(
        db.session.scalars(
            select(ApiClient).where(ApiClient.key_prefix.startswith(prefix_or_id, autoescape=True))
        )
    )
    if not rows:
        raise ApiKeyError(f"Aucune clé ne commence par « {prefix_or_id} ».")
    if len(rows) > 1:
        raise ApiKeyError(f"Plusieurs clés commencent par « {prefix_or_id} » : donnez son id.")
    return rows[0]


def revoke_key(client: ApiClient) -> bool:
    """Revoke a key; False when it already was."""
    if client.revoked_at is not None:
        return False
    client.revoked_at = utcnow()
    db.session.flush()
    return True
