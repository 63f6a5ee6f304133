"""The auth blueprint: login, logout, sign-up, e-mail verification, password reset and the
account page (views.py); Flask-Login's wiring is in sessions.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)

# Routes register on `bp` when imported.
from magazine_app.auth import views  # noqa: E402, F401
