"""Findings of the account security review, each tested as the attacker would try it:
account pre-hijacking, reset-link host poisoning, account enumeration (also with the mail
server down), per-account login limits, and what protects a copied session cookie."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from magazine_app import create_app
from magazine_app.access import Reason, access_for
from magazine_app.core.extensions import db, limiter
from magazine_app.models import LoginSession, User, utcnow
from tests.accounts.conftest import (
    ATTACKER_PASSWORD,
    BASE,
    BUYER,
)
from tests.accounts.conftest import attacker_with_a_session as _attacker_with_a_session
from tests.accounts.conftest import body as _body
from tests.accounts.conftest import logged_in as _logged_in
from tests.accounts.conftest import mails as _mails
from tests.accounts.conftest import signup as _signup
from tests.accounts.conftest import user_row as _user
from tests.conftest import TEST_PASSWORD, AuthActions, csrf_token

if TYPE_CHECKING:
    from tests.conftest import ApiCaller


TODAY = date.today()
SUB_BODY = {
    "email": BUYER,
    "plan": "challenge-1an",
    "status": "active",
    "starts_on": (TODAY - timedelta(days=1)).isoformat(),
    "ends_on": (TODAY + timedelta(days=364)).isoformat(),
    "version": 1,
}
SUB_URL = "/api/v1/subscriptions/sub_PRE1"
CSRF_FIELD = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


# --------------------------------------------------------------------------- helpers


def _link(msg: Any, path: str) -> str:
    match = re.search(r"(https?://[^/\s]+)(" + re.escape(path) + r"\S+)", _body(msg))
    assert match, _body(msg)
    return match.group(1) + match.group(2)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _forgot(client: FlaskClient, email: str, **kw: Any):
    token = csrf_token(client, "/mot-de-passe-oublie", **kw)
    return client.post("/mot-de-passe-oublie", data={"email": email, "csrf_token": token}, **kw)


def _set_password(client: FlaskClient, path: str, password: str):
    token = csrf_token(client, path)
    return client.post(path, data={"password": password, "confirm": password, "csrf_token": token})


def _flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash--\w+">(.*?)</p>', html, re.S)


# --------------------------------------------------------------------------- 1. pre-hijacking


def test_billing_put_for_an_unverified_account_takes_it_back_from_the_attacker(
    app: Flask, api: ApiCaller, make_issue_row: Callable[..., Any]
) -> None:
    # The attacker signs up with the future buyer's address and keeps a session open.
    attacker = _attacker_with_a_session(app)
    mails_before = len(_mails(app))

    # The buyer pays; the billing system attaches the plan to that address.
    response = api.put(SUB_URL, json=SUB_BODY)
    assert response.status_code == 201, response.get_json()

    # The attacker's session is over, and their password opens nothing any more.
    assert not _logged_in(attacker)
    data = response.get_json()
    assert data["account_created"] is False and data["claim_sent"] is True
    again = AuthActions(app.test_client()).login(BUYER, ATTACKER_PASSWORD)
    assert again.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in again.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count(LoginSession.id)).where(LoginSession.revoked_at.is_(None))
        )
        == 0
    )

    # The mailbox's owner got the claim link, sets the password, and reads.
    claim = _mails(app)[mails_before:]
    assert [m["To"] for m in claim] == [BUYER]
    path = _path(_link(claim[0], "/mot-de-passe/"))
    owner = app.test_client()
    assert _set_password(owner, path, "proprietaire-123").status_code == 302
    assert AuthActions(owner).login(BUYER, "proprietaire-123").status_code == 302
    user = _user(BUYER)
    assert user.email_verified_at is not None
    issue = make_issue_row("challenge", 228, released=TODAY)
    assert access_for(user, issue, utcnow()).reason is Reason.SUBSCRIBER

    # From now on the account is verified: a renewal claims nothing, the owner stays in.
    renewal = api.put(SUB_URL, json={**SUB_BODY, "version": 2})
    assert renewal.status_code == 200 and renewal.get_json()["claim_sent"] is False
    assert _logged_in(owner)


def test_billing_purchase_for_an_unverified_account_also_claims_it(
    app: Flask, api: ApiCaller, make_issue_row: Callable[..., Any]
) -> None:
    make_issue_row("challenge", 228)
    attacker = _attacker_with_a_session(app)
    response = api.post(
        "/api/v1/purchases",
        json={"email": BUYER, "publication": "challenge", "number": 228, "billing_reference": "p1"},
        headers={"Idempotency-Key": "achat-1"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["claim_sent"] is True
    assert not _logged_in(attacker)
    assert _user(BUYER).password_hash is None
    assert "/mot-de-passe/" in _body(_mails(app)[-1]) and _mails(app)[-1]["To"] == BUYER


def test_verified_account_keeps_its_session_when_a_plan_is_attached(
    app: Flask, api: ApiCaller
) -> None:
    reader = app.test_client()
    _signup(reader, BUYER)
    AuthActions(reader).login(BUYER, ATTACKER_PASSWORD)
    verify = _path(_link(_mails(app)[-1], "/confirmer-adresse/"))
    assert reader.get(verify).status_code == 302
    assert _user(BUYER).email_verified_at is not None
    count = len(_mails(app))

    response = api.put(SUB_URL, json=SUB_BODY)
    assert response.get_json()["claim_sent"] is False
    assert _logged_in(reader) and len(_mails(app)) == count


def test_verification_link_needs_the_login_of_its_account(app: Flask, make_user) -> None:
    """The mailbox's owner who clicks the link of an account somebody else created with
    their address must not verify it for that somebody."""
    attacker = app.test_client()
    _signup(attacker, BUYER)
    link = _path(_link(_mails(app)[-1], "/confirmer-adresse/"))

    victim = app.test_client()  # not logged in: the link asks for the login first
    response = victim.get(link)
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    assert _user(BUYER).email_verified_at is None

    make_user("autre@example.com")
    other = app.test_client()
    AuthActions(other).login("autre@example.com")
    refused = other.get(link)
    assert "autre compte" in "".join(_flashes(other.get(refused.headers["Location"]).text))
    assert _user(BUYER).email_verified_at is None

    AuthActions(attacker).login(BUYER, ATTACKER_PASSWORD)
    page = attacker.get(attacker.get(link).headers["Location"]).get_data(as_text=True)
    assert "Votre adresse e-mail est confirmée." in page
    assert _user(BUYER).email_verified_at is not None
    reused = attacker.get(link)
    assert "déjà été utilisé" in "".join(_flashes(attacker.get(reused.headers["Location"]).text))


def test_forged_verification_token_is_refused(app: Flask, make_user) -> None:
    make_user("salma@example.com")
    client = app.test_client()
    AuthActions(client).login("salma@example.com")
    response = client.get("/confirmer-adresse/eyJ1IjoxfQ.forged.signature")
    assert "pas valide" in "".join(_flashes(client.get(response.headers["Location"]).text))
    assert _user("salma@example.com").email_verified_at is None


def test_account_page_offers_to_send_the_link_again(app: Flask, make_user) -> None:
    make_user("salma@example.com")
    client = app.test_client()
    AuthActions(client).login("salma@example.com")
    page = client.get("/compte").get_data(as_text=True)
    assert "Adresse non vérifiée" in page and "Renvoyer le lien" in page

    token = csrf_token(client, "/compte")
    response = client.post("/compte/confirmer-adresse", data={"csrf_token": token})
    assert response.status_code == 302
    (mail,) = _mails(app)
    assert mail["To"] == "salma@example.com"
    assert client.get(_path(_link(mail, "/confirmer-adresse/"))).status_code == 302
    page = client.get("/compte").get_data(as_text=True)
    assert "Adresse non vérifiée" not in page and "adresse vérifiée" in page


def test_account_created_by_billing_is_verified_by_its_welcome_link(
    app: Flask, api: ApiCaller
) -> None:
    assert api.put(SUB_URL, json=SUB_BODY).get_json()["account_created"] is True
    assert _user(BUYER).email_verified_at is None
    (welcome,) = _mails(app)
    client = app.test_client()
    _set_password(client, _path(_link(welcome, "/mot-de-passe/")), "bienvenue-123")
    assert _user(BUYER).email_verified_at is not None


def test_claim_mail_leaves_only_when_the_change_is_committed(app: Flask) -> None:
    from magazine_app.jobs.mail import queue_mail_after_commit

    queue_mail_after_commit("a@example.com", "rolled back", "body")
    db.session.rollback()
    with db.session.begin_nested():
        queue_mail_after_commit("b@example.com", "kept", "body")
    savepoint = db.session.begin_nested()
    queue_mail_after_commit("c@example.com", "savepoint rolled back", "body")
    savepoint.rollback()
    assert _mails(app) == []  # nothing before the commit
    db.session.commit()
    assert [m["To"] for m in _mails(app)] == ["b@example.com"]


def test_migration_marks_existing_accounts_verified(tmp_path: Path) -> None:
    from flask_migrate import downgrade, upgrade

    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "TESTING": True})
    with app.app_context():
        upgrade(revision="0005_job_lease")
        db.session.execute(
            text(
                "INSERT INTO users (email, name, role, created_at) "
                "VALUES ('ancien@example.com', '', 'reader', '2021-03-04 05:06:07')"
            )
        )
        db.session.commit()
        upgrade()
        row = db.session.execute(text("SELECT created_at, email_verified_at FROM users")).one()
        assert row.email_verified_at is not None and row.email_verified_at == row.created_at
        db.session.remove()
        downgrade(revision="0005_job_lease")
        columns = [r[1] for r in db.session.execute(text("PRAGMA table_info(users)"))]
        assert "email_verified_at" not in columns
        db.session.remove()
        db.engine.dispose()


# --------------------------------------------------------------------------- 2. host poisoning


@pytest.fixture
def based(app_config: dict[str, Any]) -> None:
    app_config["BASE_URL"] = BASE


def test_forged_host_does_not_reach_the_reset_link(based, app: Flask, make_user) -> None:
    make_user("zineb@example.com")
    client = app.test_client()
    response = _forgot(client, "zineb@example.com", headers={"Host": "evil.example"})
    assert response.status_code == 302
    (mail,) = _mails(app)
    assert "evil.example" not in _body(mail)
    assert _link(mail, "/mot-de-passe/").startswith(f"{BASE}/mot-de-passe/")
    # and the link works
    response = _set_password(app.test_client(), _path(_link(mail, "/mot-de-passe/")), "neuf-4567")
    assert response.status_code == 302


def test_forged_host_does_not_reach_the_verification_link(based, app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, "/inscription", headers={"Host": "evil.example"})
    client.post(
        "/inscription",
        data={
            "email": BUYER,
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
            "csrf_token": token,
        },
        headers={"Host": "evil.example"},
    )
    (mail,) = _mails(app)
    assert "evil.example" not in _body(mail)
    assert _link(mail, "/confirmer-adresse/").startswith(f"{BASE}/confirmer-adresse/")


def _production_config(tmp_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "ENV": "production",
        "INSTANCE_PATH": str(tmp_path / "inst"),
        "SECRET_KEY": "p" * 64,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        **extra,
    }


def test_production_refuses_to_start_without_base_url(tmp_path: Path, database_url: str) -> None:
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app(_production_config(tmp_path, database_url))


def test_production_answers_400_to_an_untrusted_host(tmp_path: Path, database_url: str) -> None:
    app = create_app(_production_config(tmp_path, database_url, BASE_URL=BASE))
    assert app.config["TRUSTED_HOSTS"] == ["emag.challenge.test"]
    client = app.test_client()
    evil = client.get("/connexion", headers={"Host": "evil.example"})
    assert evil.status_code == 400
    assert "Requête invalide" in evil.get_data(as_text=True)
    assert "Traceback" not in evil.get_data(as_text=True)
    ok = client.get("/connexion", headers={"Host": "emag.challenge.test"})
    assert ok.status_code == 200


# --------------------------------------------------------------------------- 3. enumeration


class _RefusingSMTP:
    """An SMTP server that answers but refuses every recipient (a server in trouble)."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.recipients.append(address)
        return "451 4.3.0 Temporarily unable to accept mail"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["refusing-server", "closed-port"])
def smtp_down(request, app_config: dict[str, Any]) -> Iterator[_RefusingSMTP | None]:
    port = _free_port()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    if request.param == "closed-port":
        yield None
        return
    from aiosmtpd.controller import Controller

    handler = _RefusingSMTP()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _retries_scheduled(app: Flask) -> list[Any]:
    return [t for t in app.extensions["huey"].scheduled() if t.name == "send_mail"]


def test_reset_form_answers_the_same_for_known_and_unknown_with_smtp_down(
    smtp_down, app: Flask, make_user
) -> None:
    make_user("connue@example.com")
    answers = []
    for email in ("connue@example.com", "inconnue@example.com"):
        client = app.test_client()
        response = _forgot(client, email)
        flashes = _flashes(client.get(response.headers["Location"]).get_data(as_text=True))
        answers.append((response.status_code, response.headers["Location"], response.data, flashes))
    assert answers[0] == answers[1]
    assert answers[0][0] == 302 and answers[0][3]
    if smtp_down is not None:  # the server was really asked, for the known address only
        assert smtp_down.recipients == ["connue@example.com"]
    # The mail is not lost: the queue tries again later, for the known address.
    (retry,) = _retries_scheduled(app)
    assert retry.args[0] == "connue@example.com"


def _normalised(response: Any, email: str) -> str:
    html = response.get_data(as_text=True).replace(email, "EMAIL")
    return CSRF_FIELD.sub(r"\1TOKEN\2", html)


def test_signup_with_a_taken_address_answers_like_a_new_one(app: Flask, make_user) -> None:
    owner = make_user("prise@example.com", name="Propriétaire")
    before = (owner.id, owner.password_hash, owner.name, owner.password_changed_at)

    new = _signup(app.test_client(), "nouvelle@example.com")
    taken = _signup(app.test_client(), "PRISE@example.com")
    assert new.status_code == taken.status_code == 200
    assert _normalised(new, "nouvelle@example.com") == _normalised(taken, "prise@example.com")
    assert "Un compte existe déjà" not in taken.get_data(as_text=True)

    # The taken account is untouched, and only its owner hears of the attempt.
    user = _user("prise@example.com")
    assert (user.id, user.password_hash, user.name, user.password_changed_at) == before
    assert db.session.scalar(select(func.count(User.id))) == 2
    to_owner = [m for m in _mails(app) if m["To"] == "prise@example.com"]
    assert len(to_owner) == 1
    body = _body(to_owner[0])
    assert "déjà un compte" in body and "/mot-de-passe-oublie" in body and "/connexion" in body


def test_signup_answers_the_same_with_smtp_down(smtp_down, app: Flask, make_user) -> None:
    make_user("prise@example.com")
    new = _signup(app.test_client(), "nouvelle@example.com")
    taken = _signup(app.test_client(), "prise@example.com")
    assert new.status_code == taken.status_code == 200
    assert _normalised(new, "nouvelle@example.com") == _normalised(taken, "prise@example.com")
    assert len(_retries_scheduled(app)) == 2


def test_billing_welcome_mail_goes_through_the_queue(smtp_down, app: Flask, api: ApiCaller) -> None:
    response = api.put(SUB_URL, json=SUB_BODY)
    assert response.status_code == 201 and response.get_json()["account_created"] is True
    (retry,) = _retries_scheduled(app)
    assert retry.args[0] == BUYER and "/mot-de-passe/" in retry.args[2]


# --------------------------------------------------------------------------- 4. login limits


@pytest.fixture
def rate_limited(app_config: dict[str, Any]) -> Iterator[None]:
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_STORAGE_URI"] = "memory://"
    yield
    limiter.reset()


def _login_from(app: Flask, address: str, email: str, password: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client).login(email, password)


def test_per_account_limit_whatever_the_client_address(rate_limited, app: Flask, make_user) -> None:
    limiter.reset()
    make_user("cible@example.com")
    make_user("autre@example.com")
    # Five wrong guesses from five addresses (each far below the per-address limit),
    # with the case of the address changed to dodge a naive key.
    for i, email in enumerate(
        ["cible@example.com", "CIBLE@example.com"] * 2 + ["Cible@Example.com"]
    ):
        assert _login_from(app, f"127.0.1.{i + 1}", email, "mauvais").status_code == 200
    # The sixth attempt at that account is refused, even with the right password.
    sixth = _login_from(app, "127.0.1.6", "cible@example.com", TEST_PASSWORD)
    assert sixth.status_code == 429
    html = sixth.get_data(as_text=True)
    assert "Trop de tentatives" in html and "Traceback" not in html
    # Another account, from yet another address, still logs in.
    assert _login_from(app, "127.0.1.7", "autre@example.com", TEST_PASSWORD).status_code == 302


def test_successful_logins_do_not_count_against_the_account(
    rate_limited, app: Flask, make_user
) -> None:
    limiter.reset()
    make_user("souvent@example.com")
    codes = [
        _login_from(app, f"127.0.2.{i}", "souvent@example.com", TEST_PASSWORD).status_code
        for i in range(1, 8)
    ]
    assert codes == [302] * 7


# --------------------------------------------------------------------------- 5. session cookie


def test_copied_cookie_is_ended_by_revocation_not_by_ip_or_browser(app: Flask, make_user) -> None:
    """No Flask-Login session protection (it did nothing for our permanent sessions): a
    phone changing networks stays logged in, and a copied cookie stops working as soon
    as its login session is revoked (logout, password change, reset, claim)."""
    from flask_login import session_protected

    make_user("mobile@example.com")
    phone = app.test_client()
    phone.environ_base.update(REMOTE_ADDR="127.0.3.1", HTTP_USER_AGENT="Telephone/1.0")
    assert AuthActions(phone).login("mobile@example.com").status_code == 302
    cookie = phone.get_cookie("magazine_session").value

    fired: list[object] = []

    def record(sender: object, **_kw: object) -> None:
        fired.append(sender)

    copy = app.test_client()
    copy.environ_base.update(REMOTE_ADDR="127.0.3.2", HTTP_USER_AGENT="Autre/2.0")
    copy.set_cookie("magazine_session", cookie)
    with session_protected.connected_to(record, app):
        assert _logged_in(copy)  # another network and browser: still the same session
    assert fired == []  # and no half-working protection marked it "not fresh"

    AuthActions(phone).logout()
    assert not _logged_in(copy)


def _login_session_row(user_id: int) -> LoginSession:
    db.session.expire_all()
    return db.session.scalars(select(LoginSession).where(LoginSession.user_id == user_id)).one()


def _logged_in_an_hour_ago(client: FlaskClient, user: User) -> tuple[User, datetime]:
    """Log `user` in, then date its login session's last-seen an hour back."""
    assert AuthActions(client).login(user.email).status_code == 302
    long_ago = utcnow() - timedelta(hours=1)
    _login_session_row(user.id).last_seen_at = long_ago
    db.session.commit()
    return user, long_ago


def test_last_seen_of_a_login_session_is_saved_by_a_page_that_commits_nothing(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """The user loader no longer commits on its own: a page view that changes nothing else
    saves the throttled "last seen" once, at the end of the request."""
    user, long_ago = _logged_in_an_hour_ago(client, make_user("vue@example.com"))
    assert client.get("/compte").status_code == 200
    seen = _login_session_row(user.id).last_seen_at
    assert seen > long_ago + timedelta(minutes=59)
    # Within the throttle, a page view writes nothing.
    assert client.get("/compte").status_code == 200
    assert _login_session_row(user.id).last_seen_at == seen


def test_last_seen_rides_on_the_commit_of_a_page_that_commits(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user, long_ago = _logged_in_an_hour_ago(client, make_user("langue@example.com"))
    token = csrf_token(client, "/compte")
    answer = client.post("/langue", data={"lang": "en", "csrf_token": token, "next": "/"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    assert _login_session_row(user.id).last_seen_at > long_ago + timedelta(minutes=59)
