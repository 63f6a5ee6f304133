"""Error pages in the site's layout (the API blueprint answers JSON on its own)."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from .i18n import N_

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
