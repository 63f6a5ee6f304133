"""Error pages in the site's layout (the API blueprint answers JSON on its own)."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError

from magazine_app.core.i18n import N_

# French msgids; the template shows `_(title)` in the request's language.
TITLES = {
    400: N_("Requête invalide"),
    403: N_("Accès refusé"),
    404: N_("Page introuvable"),
    405: N_("Méthode non autorisée"),
    413: N_("Fichier trop volumineux"),
    429: N_("Trop de tentatives"),
    500: N_("Erreur du serveur"),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError) -> tuple[str, int, dict[str, str]]:
        """A Host header outside TRUSTED_HOSTS (config.py: production derives it from
        BASE_URL) is refused before routing, so the layout, whose links need routing,
        cannot be drawn: a bare page, still 400 and in the request's language."""
        title = escape(gettext(TITLES[400]))
        html = f'<!doctype html><html lang="fr"><title>{title}</title><h1>{title}</h1></html>'
        return html, 400, {"Content-Type": "text/html; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        return (
            render_template(
                "errors/error.html",
                code=code,
                title=TITLES.get(code, exc.name),
                description=exc.description,
            ),
            code,
        )
