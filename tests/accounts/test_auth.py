"""Sign-up, login, logout, password change and reset, through HTTP as a browser would."""

from __future__ import annotations

import re
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import func, select

from magazine_app.core.extensions import db, limiter
from magazine_app.models import LoginSession, User
from tests.conftest import TEST_PASSWORD, csrf_token


def _signup(client, email: str, password: str = TEST_PASSWORD, confirm: str | None = None):
    token = csrf_token(client, "/inscription")
    return client.post(
        "/inscription",
        data={
            "email": email,
            "password": password,
            "confirm": confirm if confirm is not None else password,
            "csrf_token": token,
        },
    )


def _logged_in(client) -> bool:
    return client.get("/compte").status_code == 200


# --------------------------------------------------------------------------- sign-up


def test_signup_creates_normalised_account_and_asks_to_check_the_mailbox(app, client) -> None:
    response = _signup(client, "  Nadia.Benali@Example.COM ")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Vérifiez votre boîte mail" in html and "nadia.benali@example.com" in html
    user = db.session.scalar(select(User).where(User.email == "nadia.benali@example.com"))
    assert user is not None and user.role.value == "reader"
    assert user.password_hash and TEST_PASSWORD not in user.password_hash
    assert user.email_verified_at is None
    # Not logged in by the sign-up (the address is unproven), but the password works.
    assert not _logged_in(client)
    from tests.conftest import AuthActions

    assert AuthActions(client).login("nadia.benali@example.com").status_code == 302
    (mail,) = Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    assert "/confirmer-adresse/" in mail.read_text()


def test_signup_duplicate_says_nothing_about_the_account(client, make_user) -> None:
    make_user("karim@example.com")
    response = _signup(client, "KARIM@example.com")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Un compte existe déjà" not in html and "Vérifiez votre boîte mail" in html
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize(
    ("email", "password", "confirm", "message"),
    [
        ("not-an-email", TEST_PASSWORD, None, "Adresse e-mail invalide."),
        ("a@example.com", "court", None, "8"),
        ("a@example.com", TEST_PASSWORD, "autre-chose-123", "Les deux mots de passe diffèrent."),
    ],
)
def test_signup_invalid_input(client, email, password, confirm, message) -> None:
    response = _signup(client, email, password, confirm)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


# --------------------------------------------------------------------------- login


def test_login_success_and_failures(client, auth, make_user) -> None:
    make_user("salma@example.com")
    wrong = auth.login("salma@example.com", "mauvais-mot-de-passe")
    assert wrong.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in wrong.get_data(as_text=True)
    unknown = auth.login("personne@example.com")
    assert "Adresse e-mail ou mot de passe incorrect." in unknown.get_data(as_text=True)
    assert not _logged_in(client)
    ok = auth.login("SALMA@example.com")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert _logged_in(client)


def test_missing_csrf_token_is_400(client, make_user) -> None:
    make_user("omar@example.com")
    response = client.post(
        "/connexion", data={"email": "omar@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert not _logged_in(client)
    assert client.post("/inscription", data={"email": "x@example.com"}).status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\r\n//evil.example",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_hostile_next_refused(client, auth, make_user, target: str) -> None:
    make_user("amine@example.com")
    response = auth.login("amine@example.com", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_same_site_next_accepted(client, auth, make_user) -> None:
    make_user("leila@example.com")
    response = auth.login("leila@example.com", next="/archives?publication=challenge")
    assert response.headers["Location"] == "/archives?publication=challenge"


def test_login_required_redirects_with_next(client) -> None:
    response = client.get("/compte")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=%2Fcompte")


# --------------------------------------------------------------------------- logout and sessions


def test_cookie_replayed_after_logout_is_rejected(app, auth, make_user) -> None:
    make_user("youssef@example.com")
    auth.login("youssef@example.com")
    cookie = auth.client.get_cookie("magazine_session").value
    assert _logged_in(auth.client)
    auth.logout()
    assert not _logged_in(auth.client)

    other = app.test_client()
    other.set_cookie("magazine_session", cookie)
    assert other.get("/compte").status_code == 302  # the copied cookie opens nothing


def test_logout_needs_post_with_csrf(client, auth, make_user) -> None:
    make_user("hind@example.com")
    auth.login("hind@example.com")
    assert client.get("/deconnexion").status_code == 405
    client.post("/deconnexion", data={})  # no token: ignored
    assert _logged_in(client)


def test_password_change_ends_other_sessions(app, make_user) -> None:
    from tests.conftest import AuthActions

    make_user("rachid@example.com")
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login("rachid@example.com")
    AuthActions(phone).login("rachid@example.com")
    assert _logged_in(laptop) and _logged_in(phone)

    token = csrf_token(laptop, "/compte")
    response = laptop.post(
        "/compte",
        data={
            "current": TEST_PASSWORD,
            "password": "nouveau-secret-456",
            "confirm": "nouveau-secret-456",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert _logged_in(laptop)
    assert not _logged_in(phone)
    assert (
        AuthActions(app.test_client()).login("rachid@example.com", "nouveau-secret-456").status_code
        == 302
    )


def test_password_change_with_wrong_current_password(client, auth, make_user) -> None:
    make_user("ali@example.com")
    auth.login("ali@example.com")
    token = csrf_token(client, "/compte")
    response = client.post(
        "/compte",
        data={
            "current": "faux",
            "password": "abcdefgh12",
            "confirm": "abcdefgh12",
            "csrf_token": token,
        },
    )
    assert "Mot de passe actuel incorrect." in response.get_data(as_text=True)


# --------------------------------------------------------------------------- password reset


def _request_reset(client, email: str) -> None:
    token = csrf_token(client, "/mot-de-passe-oublie")
    response = client.post("/mot-de-passe-oublie", data={"email": email, "csrf_token": token})
    assert response.status_code == 302


def _reset_link(outbox: Path) -> str:
    files = sorted(outbox.glob("*.eml"))
    assert files, "no mail in the outbox"
    msg = message_from_bytes(files[-1].read_bytes())
    body = msg.get_payload(decode=True).decode()
    match = re.search(r"https?://[^/\s]+(/mot-de-passe/\S+)", body)
    assert match, body
    return match.group(1)


def _submit_new_password(client, path: str, password: str):
    token = csrf_token(client, path)
    return client.post(path, data={"password": password, "confirm": password, "csrf_token": token})


def test_reset_flow_single_use(app, client, make_user) -> None:
    make_user("zineb@example.com")
    _request_reset(client, "zineb@example.com")
    outbox = Path(app.config["MAIL_OUTBOX"])
    msg = message_from_bytes(sorted(outbox.glob("*.eml"))[-1].read_bytes())
    assert msg["To"] == "zineb@example.com"
    path = _reset_link(outbox)

    response = _submit_new_password(client, path, "tout-nouveau-789")
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    from tests.conftest import AuthActions

    assert (
        AuthActions(app.test_client()).login("zineb@example.com", "tout-nouveau-789").status_code
        == 302
    )

    reused = client.get(path)
    assert reused.status_code == 302
    assert "déjà été utilisé" in client.get(reused.headers["Location"]).get_data(as_text=True)


def test_reset_unknown_email_sends_nothing_and_says_the_same(app, client) -> None:
    _request_reset(client, "inconnu@example.com")
    assert not list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))


def test_reset_link_expired(app, client, make_user, monkeypatch) -> None:
    make_user("imane@example.com")
    _request_reset(client, "imane@example.com")
    path = _reset_link(Path(app.config["MAIL_OUTBOX"]))
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(path)
    assert response.status_code == 302
    assert "expiré" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_reset_link_tampered(client, make_user) -> None:
    make_user("badr@example.com")
    response = client.get("/mot-de-passe/eyJ1IjoxfQ.forged.signature")
    assert response.status_code == 302
    assert "pas valide" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_reset_ends_all_sessions(app, make_user) -> None:
    from tests.conftest import AuthActions

    make_user("ghita@example.com")
    browser = app.test_client()
    AuthActions(browser).login("ghita@example.com")
    helper = app.test_client()
    _request_reset(helper, "ghita@example.com")
    _submit_new_password(helper, _reset_link(Path(app.config["MAIL_OUTBOX"])), "encore-autre-321")
    assert not _logged_in(browser)
    assert (
        db.session.scalar(
            select(func.count(LoginSession.id)).where(LoginSession.revoked_at.is_(None))
        )
        == 0
    )


# --------------------------------------------------------------------------- rate limits


@pytest.fixture
def rate_limited(app_config):
    """Rate limits on (they are off elsewhere in the suite), with empty counters."""
    app_config["RATELIMIT_ENABLED"] = True
    yield
    limiter.reset()


def test_login_rate_limited(rate_limited, client, make_user) -> None:
    limiter.reset()
    make_user("spam@example.com")
    token = csrf_token(client, "/connexion")
    # Other accounts each time: the per-account limit (tests/test_account_security.py)
    # must not be what answers here.
    codes = [
        client.post(
            "/connexion",
            data={"email": f"spam{i}@example.com", "password": "faux", "csrf_token": token},
        ).status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    assert "Trop de tentatives" in client.post(
        "/connexion", data={"email": "x", "password": "y", "csrf_token": token}
    ).get_data(as_text=True)
    # GET stays available: only attempts are limited.
    assert client.get("/connexion").status_code == 200


def test_signup_rate_limited(rate_limited, client) -> None:
    limiter.reset()
    codes = [_signup(client, f"bot{i}@example.com").status_code for i in range(7)]
    assert codes[:5] == [200] * 5
    assert codes[5] == 429
