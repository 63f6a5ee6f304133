"""The billing JSON API, at /api/v1: token auth, CSRF-exempt, JSON errors everywhere.

Errors always have the shape `{"error": {"code": "...", "message": "..."}}`, also for
paths under /api/v1 that match no route (404/405), which no blueprint handler would see.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from magazine_app.core.extensions import csrf, limiter

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)

# The API is token-authenticated: no cookies, hence no CSRF; its own rate limit.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)

# Error handlers and routes register on `bp` when imported.
from magazine_app.api import errors, purchases, views  # noqa: E402, F401
