"""Flask-Login bound to server-side login sessions: who the current user is."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, session
from flask_babel import gettext

from magazine_app.core.extensions import db, login_manager
from magazine_app.core.i18n import N_
from magazine_app.models import SESSION_KEY, User, utcnow

_TOUCH_EVERY = timedelta(minutes=5)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    # No Flask-Login session protection. "strong" looked like a binding of the cookie to
    # the browser, but Flask-Login applies it only to non-permanent sessions and ours are
    # permanent (30 days): it only marked the session "not fresh", which nothing reads.
    # We do not bind it ourselves either: the identifier is the client IP + User-Agent,
    # the IP of a phone changes many times a day (a binding would log readers out all the
    # time) and a thief who copied the cookie can copy the User-Agent too. Revocation is
    # what protects: the cookie only names a server-side login session row (_load_user),
    # ended by logout, a password change, a reset or a claim, after which every copy of
    # the cookie opens nothing (tests/accounts/test_account_security.py).
    login_manager.session_protection = None
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Connectez-vous pour accéder à cette page.")
    login_manager.needs_refresh_message = N_("Reconnectez-vous pour accéder à cette page.")
    # Flask-Login passes its messages through this before flashing them.
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.needs_refresh_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """A user is logged in only while their login session row is valid: logging out or
    changing the password revokes rows, which makes copies of old cookies useless."""
    from magazine_app.accounts.operations import valid_session

    try:
        uid = int(user_id)
    except ValueError:
        return None
    row = valid_session(session.get(SESSION_KEY), uid)
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return row.user
