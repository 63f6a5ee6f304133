"""French by default, English on request: the browser's Accept-Language, then the footer
language form (remembered in the session, and on the account when logged in), and a
complete, compiled English catalog."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import gettext
from sqlalchemy import select

from magazine_app.access import MESSAGES
from magazine_app.core.errors import TITLES
from magazine_app.core.extensions import db
from magazine_app.models import User
from tests.conftest import TEST_PASSWORD, AuthActions, csrf_token

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "magazine_app" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# French words that must not survive on an English page (the footer's "Français" option
# and the postal address are meant to stay).
FRENCH_LEFTOVERS = ("Connexion", "Mot de passe", "Adresse e-mail", "Se connecter", "Kiosque")


def _english(client) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"


def _french(client) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"


def _choose(client, lang: str) -> None:
    token = csrf_token(client, "/")
    response = client.post("/langue", data={"lang": lang, "next": "/", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --------------------------------------------------------------------------- choosing


def test_french_by_default(client) -> None:
    html = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Connexion" in html and "Mot de passe" in html and "Log in" not in html
    assert "Kiosque" in client.get("/").get_data(as_text=True)


def test_browser_asking_english_gets_english(client) -> None:
    _english(client)
    login = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="en">' in login
    assert "Log in" in login and "Email address" in login and "Password" in login
    kiosk = client.get("/").get_data(as_text=True)
    assert "Newsstand" in kiosk and "Subscription" in kiosk and "Archive" in kiosk


def test_unsupported_browser_language_falls_back_to_french(client) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9"
    assert '<html lang="fr">' in client.get("/connexion").get_data(as_text=True)


def test_english_login_page_has_no_french_left(client) -> None:
    _english(client)
    html = client.get("/connexion").get_data(as_text=True)
    leftovers = [word for word in FRENCH_LEFTOVERS if word in html]
    assert not leftovers, f"French left on the English login page: {leftovers}"


def test_footer_form_switches_a_french_browser_to_english(client) -> None:
    _french(client)
    assert "Kiosque" in client.get("/").get_data(as_text=True)
    _choose(client, "en")
    assert "Newsstand" in client.get("/").get_data(as_text=True)
    assert "Log in" in client.get("/connexion").get_data(as_text=True)
    _choose(client, "fr")
    assert "Kiosque" in client.get("/").get_data(as_text=True)


def test_footer_form_needs_its_csrf_token(client) -> None:
    response = client.post("/langue", data={"lang": "en", "next": "/"})
    assert response.status_code in (302, 400)
    assert "Kiosque" in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client) -> None:
    _choose(client, "xx")
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_logged_in_choice_is_stored_and_wins_over_the_browser(app, client, make_user) -> None:
    make_user("amine@example.com")
    _french(client)
    assert AuthActions(client).login("amine@example.com").status_code == 302
    _choose(client, "en")
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "amine@example.com"))
    assert user.locale == "en"

    # Another browser, in French, with no session choice: the account's choice wins.
    other = app.test_client()
    _french(other)
    assert "Kiosque" in other.get("/").get_data(as_text=True)
    assert AuthActions(other).login("amine@example.com", TEST_PASSWORD).status_code == 302
    assert "Newsstand" in other.get("/").get_data(as_text=True)


def test_choice_survives_login_and_logout(client, make_user) -> None:
    make_user("salma@example.com")
    _french(client)
    _choose(client, "en")
    assert AuthActions(client).login("salma@example.com").status_code == 302
    assert "Newsstand" in client.get("/").get_data(as_text=True)
    AuthActions(client).logout()
    assert "Newsstand" in client.get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- messages


def test_flash_and_error_pages_in_english(client) -> None:
    _english(client)
    response = client.get("/compte")
    assert response.status_code == 302
    assert "Log in to access this page." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    missing = client.get("/cette-page-n-existe-pas")
    assert missing.status_code == 404
    html = missing.get_data(as_text=True)
    assert "Page not found" in html and "Back to the newsstand" in html


def test_access_messages_and_error_titles_are_translated(app) -> None:
    sources = [*MESSAGES.values(), *TITLES.values()]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        untranslated = [s for s in sources if gettext(s) == s]
    assert not untranslated


def test_reset_mail_in_the_account_language(app, client, make_user) -> None:
    user = make_user("yasmine@example.com")
    user.locale = "en"
    db.session.commit()
    _french(client)  # the account's choice wins over the page the request came from
    token = csrf_token(client, "/mot-de-passe-oublie")
    client.post("/mot-de-passe-oublie", data={"email": "yasmine@example.com", "csrf_token": token})
    mail = sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))[-1]
    msg = message_from_bytes(mail.read_bytes())
    assert str(make_header(decode_header(msg["Subject"]))) == "Resetting your Challenge password"
    body = msg.get_payload(decode=True).decode()
    assert body.startswith("Hello,") and "can be used only once" in body


# --------------------------------------------------------------------------- the catalog


def _catalog():
    with EN_PO.open("rb") as f:
        return read_po(f, locale="en")


def test_english_catalog_is_complete() -> None:
    catalog = _catalog()
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    empty, fuzzy, bad_placeholders = [], [], []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            empty.append(ids[0])
        if message.fuzzy:
            fuzzy.append(ids[0])
        wanted = set(PLACEHOLDER.findall(ids[0]))
        if any(set(PLACEHOLDER.findall(s)) != wanted for s in strings if s):
            bad_placeholders.append(ids[0])
    assert not empty, f"untranslated: {empty}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not bad_placeholders, f"placeholders differ: {bad_placeholders}"
    assert len(catalog) > 150


def test_catalog_covers_every_marked_string() -> None:
    """A `_()` added without `make translations` would show French to English readers."""
    method_map = [("magazine_app/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    keywords |= {"_l": None, "lazy_gettext": None}

    def keep(dirname: str) -> bool:
        return Path(dirname).name not in {".venv", "node_modules", "uploads", "instance"}

    found = {
        (msg if isinstance(msg, str) else msg[0])
        for _f, _l, msg, _c, _ctx in extract_from_dir(
            ROOT, method_map, keywords=keywords, directory_filter=keep
        )
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog() if m.id}
    missing = sorted(found - known)
    assert not missing, f"not in messages.po, run `make translations`: {missing}"


def test_compiled_catalog_matches_the_po() -> None:
    """The .mo is what runs: it must be compiled from the current .po."""
    if not EN_MO.exists():
        pytest.fail(f"{EN_MO} is missing: run `make translations`")

    def flat(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    with EN_MO.open("rb") as f:
        compiled = {flat(m.id): flat(m.string) for m in read_mo(f) if m.id}
    source = {flat(m.id): flat(m.string) for m in _catalog() if m.id}
    assert compiled == source, "messages.mo is stale: run `make translations`"


def test_french_first_of_the_month_is_ordinal(app) -> None:
    from datetime import date

    from flask_babel import force_locale

    fmt = app.jinja_env.filters["format_date"]
    with app.test_request_context(), force_locale("fr"):
        assert fmt(date(2021, 11, 1), "d MMMM y") == "1er novembre 2021"
        assert fmt(date(2022, 2, 11), "d MMMM y") == "11 février 2022"
    with app.test_request_context(), force_locale("en"):
        assert "1er" not in fmt(date(2021, 11, 1), "long")
