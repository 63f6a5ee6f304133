"""Error pages in the site's layout (the API blueprint answers JSON on its own)."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

TITLES = {
    400: "Requête invalide",
    403: "Accès refusé",
    404: "Page introuvable",
    413: "Fichier trop volumineux",
    429: "Trop de tentatives",
    500: "Erreur du serveur",
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
