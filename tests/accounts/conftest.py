"""Helpers shared by the account-takeover tests: an attacker who signs up with a future
buyer's address and holds a session, the mails the app wrote, the account row."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from magazine_app.core.extensions import db
from magazine_app.models import User
from tests.conftest import AuthActions, csrf_token

BUYER = "buyer@example.com"
ATTACKER_PASSWORD = "attaquant-secret-1"
BASE = "https://emag.challenge.test"


def mails(app: Flask) -> list[Any]:
    folder = Path(app.config["MAIL_OUTBOX"])
    # In the order written (names only have the second, then a random part).
    files = sorted(folder.glob("*.eml"), key=lambda f: f.stat().st_mtime_ns)
    return [message_from_bytes(f.read_bytes()) for f in files]


def body(msg: Any) -> str:
    return msg.get_payload(decode=True).decode()


def signup(client: FlaskClient, email: str, password: str = ATTACKER_PASSWORD):
    token = csrf_token(client, "/inscription")
    return client.post(
        "/inscription",
        data={"email": email, "password": password, "confirm": password, "csrf_token": token},
    )


def logged_in(client: FlaskClient) -> bool:
    return client.get("/compte").status_code == 200


def attacker_with_a_session(app: Flask, email: str = BUYER) -> FlaskClient:
    """Sign up with somebody else's address (no mailbox needed) and hold a session."""
    attacker = app.test_client()
    signup(attacker, email)
    if not logged_in(attacker):  # sign-up waits for the address; the password works
        assert AuthActions(attacker).login(email, ATTACKER_PASSWORD).status_code == 302
    assert logged_in(attacker)
    return attacker


def user_row(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))
