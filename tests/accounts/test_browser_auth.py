"""In a real headless Chromium: the login page renders, a visitor signs up, logs in and
confirms their address."""

from __future__ import annotations

import re
from email import message_from_bytes
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_signup_then_login_through_the_forms(app, page, live_server) -> None:
    page.goto(live_server.url("/connexion"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()

    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Adresse e-mail").fill("Lectrice@Example.com")
    page.get_by_label("Mot de passe", exact=True).fill("lectrice-secret-1")
    page.get_by_label("Confirmez le mot de passe").fill("lectrice-secret-1")
    page.get_by_role("button", name="Créer mon compte").click()
    # No login yet: the address must be confirmed through the mailbox.
    expect(page.get_by_role("heading", name="Vérifiez votre boîte mail")).to_be_visible()
    expect(page.get_by_text("lectrice@example.com")).to_be_visible()

    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Adresse e-mail").fill("lectrice@example.com")
    page.get_by_label("Mot de passe").fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Adresse e-mail ou mot de passe incorrect.")).to_be_visible()

    page.get_by_label("Mot de passe").fill("lectrice-secret-1")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_text("lectrice@example.com")).to_be_visible()
    expect(page.get_by_text("Adresse non vérifiée")).to_be_visible()

    # The link of the verification mail, opened in the logged-in browser.
    (mail,) = Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    body = message_from_bytes(mail.read_bytes()).get_payload(decode=True).decode()
    path = re.search(r"https?://[^/\s]+(/confirmer-adresse/\S+)", body).group(1)
    page.goto(live_server.url(path))
    expect(page.get_by_text("Votre adresse e-mail est confirmée.")).to_be_visible()
    expect(page.get_by_text("Adresse non vérifiée")).to_be_hidden()

    page.get_by_role("button", name="Déconnexion").click()
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()


def test_login_page_fits_a_phone(browser, live_server) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(live_server.url("/connexion"))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"horizontal overflow of {overflow}px at 375px"
        box = page.get_by_role("button", name="Se connecter").bounding_box()
        assert box and box["width"] > 250 and box["height"] >= 44
    finally:
        context.close()
