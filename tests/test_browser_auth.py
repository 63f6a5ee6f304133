"""In a real headless Chromium: the login page renders, a visitor signs up and logs in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_signup_then_login_through_the_forms(page, live_server) -> None:
    page.goto(live_server.url("/connexion"))
    assert page.get_by_role("heading", name="Connexion").is_visible()
    assert page.get_by_label("Adresse e-mail").is_visible()

    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_label("Adresse e-mail").fill("Lectrice@Example.com")
    page.get_by_label("Mot de passe", exact=True).fill("lectrice-secret-1")
    page.get_by_label("Confirmez le mot de passe").fill("lectrice-secret-1")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(live_server.url("/"))
    assert page.get_by_text("Votre compte est créé").is_visible()
    assert page.get_by_role("link", name="Mon compte").is_visible()

    page.get_by_role("button", name="Déconnexion").click()
    assert page.get_by_text("Vous êtes déconnecté.").is_visible()

    page.get_by_role("link", name="Connexion").click()
    page.get_by_label("Adresse e-mail").fill("lectrice@example.com")
    page.get_by_label("Mot de passe").fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("Adresse e-mail ou mot de passe incorrect.").is_visible()

    page.get_by_label("Mot de passe").fill("lectrice-secret-1")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mon compte").click()
    assert page.get_by_text("lectrice@example.com").is_visible()


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
