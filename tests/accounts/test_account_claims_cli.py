"""Account pre-hijacking through the command line, tested as the attacker would try it.

An attacker signs up with a future subscriber's address (no mailbox needed) and keeps a
session open. Whatever attaches paid access to that address — the billing API, the CSV
import, a staff grant — must first take the unverified account back for the mailbox
(sessions ended, password forgotten, claim link mailed once committed). Accounts that an
operator creates on purpose (`flask users create`, `flask demo`) are verified at creation,
so billing for a staff address never "claims" it. Links come from BASE_URL alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from magazine_app.accounts import operations as accounts
from magazine_app.core.extensions import db
from magazine_app.models import Subscription, User
from tests.accounts.conftest import (
    ATTACKER_PASSWORD,
    BASE,
    BUYER,
)
from tests.accounts.conftest import attacker_with_a_session as _attacker_with_a_session
from tests.accounts.conftest import body as _body
from tests.accounts.conftest import logged_in as _logged_in
from tests.accounts.conftest import mails as _mails
from tests.accounts.conftest import user_row as _user
from tests.conftest import AuthActions, csrf_token

if TYPE_CHECKING:
    from tests.conftest import ApiCaller


CSV_HEADER = "email,name,plan,starts_on,ends_on,status,billing_reference\n"
SUB_BODY = {
    "plan": "challenge-1an",
    "status": "active",
    "starts_on": "2022-01-01",
    "ends_on": "2099-12-31",
    "version": 1,
}


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def based(app_config: dict[str, Any]) -> None:
    """A production configuration with BASE_URL and no SERVER_NAME, as the README says."""
    app_config.update(
        ENV="production",
        BASE_URL=BASE,
        SERVER_NAME=None,
        SECRET_KEY="p" * 64,
        SESSION_COOKIE_SECURE=False,  # the test client speaks http
        RATELIMIT_STORAGE_URI="memory://",
    )


def _reset_path(msg: Any, base: str = "") -> str:
    match = re.search(r"(https?://[^/\s]+)(/mot-de-passe/\S+)", _body(msg))
    assert match, _body(msg)
    if base:
        assert match.group(1) == base, _body(msg)
    return match.group(2)


def _plans(email: str) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Subscription.plan_id)
            .join(User, Subscription.user_id == User.id)
            .where(User.email == email)
        ).all()
    )


def _owner_takes_it_back(app: Flask, claim: Any, base: str = "") -> FlaskClient:
    owner = app.test_client()
    path = _reset_path(claim, base)
    token = csrf_token(owner, path)
    data = {"password": "proprietaire-123", "confirm": "proprietaire-123", "csrf_token": token}
    assert owner.post(path, data=data).status_code == 302
    assert AuthActions(owner).login(BUYER, "proprietaire-123").status_code == 302
    assert _user(BUYER).email_verified_at is not None
    return owner


def _attacker_password_works(app: Flask) -> bool:
    return AuthActions(app.test_client()).login(BUYER, ATTACKER_PASSWORD).status_code == 302


# --------------------------------------------------------------------------- 1. CSV import


def test_import_claims_an_unverified_account_before_giving_it_the_plan(
    app: Flask, runner, tmp_path: Path
) -> None:
    attacker = _attacker_with_a_session(app)
    before = len(_mails(app))
    csv = tmp_path / "abonnes.csv"
    csv.write_text(
        CSV_HEADER + f"{BUYER},Amina,challenge-1an,2022-01-01,2099-12-31,active,ref-a\n",
        encoding="utf-8",
    )

    result = runner.invoke(args=["subscriptions", "import", str(csv)])

    assert result.exit_code == 0, result.output
    assert f"line 2: {BUYER} created (unverified account claimed, claim link queued)" in (
        result.output
    )
    assert "0 account(s) created, 1 unverified account(s) claimed." in result.output
    # The attacker is out and their password opens nothing; the plan is on the account.
    assert not _logged_in(attacker) and not _attacker_password_works(app)
    assert _user(BUYER).password_hash is None and len(_plans(BUYER)) == 1
    # The mailbox's owner got the claim link (without --send-welcome: it is the only way
    # back into the account), and it works.
    claim = _mails(app)[before:]
    assert [m["To"] for m in claim] == [BUYER]
    assert "rattaché au compte" in _body(claim[0])
    _owner_takes_it_back(app, claim[0])

    # Importing the same file again changes nothing and claims nothing more.
    again = runner.invoke(args=["subscriptions", "import", str(csv)])
    assert again.exit_code == 0, again.output
    assert f"line 2: {BUYER} unchanged\n" in again.output
    assert len(_mails(app)) == before + 1


def test_a_refused_import_row_claims_nothing(app: Flask, runner, tmp_path: Path) -> None:
    """The row is refused after the account was looked up: its savepoint's rollback must
    take the claim back too, and drop the claim mail, as for any refused row."""
    attacker = _attacker_with_a_session(app)
    hash_before = _user(BUYER).password_hash
    before = len(_mails(app))
    csv = tmp_path / "abonnes.csv"
    csv.write_text(
        CSV_HEADER
        + "autre@example.com,,challenge-1an,2022-01-01,2099-12-31,active,ref-pris\n"
        + f"{BUYER},,challenge-1an,2022-01-01,2099-12-31,active,ref-pris\n",
        encoding="utf-8",
    )

    result = runner.invoke(args=["subscriptions", "import", str(csv)])

    assert result.exit_code == 1
    assert f"line 3: {BUYER} refused: billing_reference" in result.output
    assert "0 unverified account(s) claimed" in result.output
    assert _logged_in(attacker) and _user(BUYER).password_hash == hash_before
    assert _plans(BUYER) == []
    assert [m["To"] for m in _mails(app)[before:]] == []


def test_import_send_welcome_needs_only_base_url_in_production(
    based, app: Flask, runner, tmp_path: Path
) -> None:
    csv = tmp_path / "abonnes.csv"
    csv.write_text(
        CSV_HEADER + "neuf@example.com,,challenge-1an,2022-01-01,2099-12-31,active,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["subscriptions", "import", str(csv), "--send-welcome"])
    assert result.exit_code == 0, result.output
    assert "Set-your-password link queued for neuf@example.com." in result.output
    assert "sent" not in result.output
    (welcome,) = _mails(app)
    assert welcome["To"] == "neuf@example.com"
    _reset_path(welcome, BASE)


# --------------------------------------------------------------------------- 2. grant


def test_grant_create_needs_only_base_url_in_production(based, app: Flask, runner) -> None:
    result = runner.invoke(
        args=[
            "subscriptions",
            "grant",
            "neuf@example.com",
            "challenge-1an",
            "--until",
            "2099-12-31",
            "--create",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Granted challenge-1an to neuf@example.com" in result.output
    assert "Set-your-password link queued for neuf@example.com." in result.output
    assert "sent" not in result.output
    (welcome,) = _mails(app)
    assert welcome["To"] == "neuf@example.com"
    _reset_path(welcome, BASE)


def test_grant_to_an_unverified_account_claims_it(app: Flask, runner) -> None:
    attacker = _attacker_with_a_session(app)
    before = len(_mails(app))

    result = runner.invoke(
        args=["subscriptions", "grant", BUYER, "challenge-1an", "--until", "2099-12-31"]
    )

    assert result.exit_code == 0, result.output
    assert f"Granted challenge-1an to {BUYER}" in result.output
    assert (
        f"{BUYER} had never verified its address: its sessions were ended, its password "
        "cleared, and a claim link queued." in result.output
    )
    assert not _logged_in(attacker) and not _attacker_password_works(app)
    assert len(_plans(BUYER)) == 1
    claim = _mails(app)[before:]
    assert [m["To"] for m in claim] == [BUYER]
    _owner_takes_it_back(app, claim[0])


def test_a_refused_grant_claims_nothing(app: Flask, runner) -> None:
    attacker = _attacker_with_a_session(app)
    before = len(_mails(app))
    result = runner.invoke(
        args=[
            "subscriptions",
            "grant",
            BUYER,
            "challenge-1an",
            "--from",
            "2030-01-01",
            "--until",
            "2029-01-01",
        ]
    )
    assert result.exit_code == 1 and "précède" in result.output
    db.session.commit()  # what a later command would commit: nothing is left pending
    assert _logged_in(attacker) and _attacker_password_works(app)
    assert _plans(BUYER) == [] and len(_mails(app)) == before


def test_grant_to_a_verified_account_keeps_its_sessions(app: Flask, runner, make_user) -> None:
    reader = make_user(BUYER, password="lecteur-fidele-1")
    accounts.mark_verified(reader)
    db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login(BUYER, "lecteur-fidele-1").status_code == 302

    result = runner.invoke(
        args=["subscriptions", "grant", BUYER, "challenge-1an", "--until", "2099-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert "claim" not in result.output
    assert _logged_in(client) and _mails(app) == []


# --------------------------------------------------------------------------- 3. operators' accounts


def test_account_created_by_an_administrator_is_verified_and_never_claimed(
    app: Flask, runner, api: ApiCaller
) -> None:
    created = runner.invoke(
        args=[
            "users",
            "create",
            "redac@challenge.ma",
            "--role",
            "staff",
            "--password",
            "redaction-123",
        ]
    )
    assert created.exit_code == 0, created.output
    assert _user("redac@challenge.ma").email_verified_at is not None
    staff = app.test_client()
    assert AuthActions(staff).login("redac@challenge.ma", "redaction-123").status_code == 302

    # The billing system sells the staff member a plan: nothing is taken back.
    response = api.put(
        "/api/v1/subscriptions/sub_STAFF", json={**SUB_BODY, "email": "redac@challenge.ma"}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["claim_sent"] is False
    assert _logged_in(staff) and _mails(app) == []
    assert _user("redac@challenge.ma").password_hash is not None


def test_demo_accounts_are_verified_and_never_claimed(app: Flask, runner, api: ApiCaller) -> None:
    from magazine_app.demo.accounts import DEMO_ACCOUNTS

    assert runner.invoke(args=["demo", "--no-issues"]).exit_code == 0
    for email, *_ in DEMO_ACCOUNTS:
        assert _user(email).email_verified_at is not None, email

    email, password, *_ = next(a for a in DEMO_ACCOUNTS if a[0] == "lecteur@challenge.ma")
    response = api.put("/api/v1/subscriptions/sub_DEMO", json={**SUB_BODY, "email": email})
    assert response.get_json()["claim_sent"] is False
    assert AuthActions(app.test_client()).login(email, password).status_code == 302


def test_demo_does_not_vouch_for_an_account_somebody_else_created(app: Flask, runner) -> None:
    """An attacker who signed up with a demo address first does not get it verified."""
    _attacker_with_a_session(app, "lecteur@challenge.ma")
    assert runner.invoke(args=["demo", "--no-issues"]).exit_code == 0
    assert _user("lecteur@challenge.ma").email_verified_at is None
    assert _user("admin@challenge.ma").email_verified_at is not None
