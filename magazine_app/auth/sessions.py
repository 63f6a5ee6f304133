"""Flask-Login bound to server-side login sessions: who the current user is."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, g, has_request_context, session
from flask_babel import gettext
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from magazine_app.accounts.operations import valid_session
from magazine_app.core.extensions import db, login_manager
from magazine_app.core.i18n import N_
from magazine_app.models import SESSION_KEY, LoginSession, User, utcnow

_TOUCH_EVERY = timedelta(minutes=5)


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    app.after_request(_commit_touch)
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
    try:
        uid = int(user_id)
    except ValueError:
        return None
    row = valid_session(session.get(SESSION_KEY), uid)
    if row is None:
        return None
    if utcnow() - row.last_seen_at > _TOUCH_EVERY:
        g.touch_login_session = row.id
    return row.user


# The throttled "last seen" of a login session is written with the request's one commit:
# inside the view's transaction when the view commits (before_commit), else alone at the
# end of a request that commits nothing (most pages). A request that leaves other changes
# pending (a refused form) commits nothing: they are not this hook's to commit, and the
# touch waits for a later request.


def _touch(session_: Session) -> None:
    session_id = g.pop("touch_login_session", None)
    if session_id is not None:
        session_.execute(
            update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=utcnow())
        )


@event.listens_for(db.session, "before_commit")
def _touch_with_the_commit(session_: Session) -> None:
    if has_request_context():
        _touch(session_)


@event.listens_for(db.session, "after_flush")
def _flushed(session_: Session, _context: object) -> None:
    session_.info["uncommitted_flush"] = True


@event.listens_for(db.session, "after_commit")
@event.listens_for(db.session, "after_soft_rollback")
def _settled(session_: Session, *_args: object) -> None:
    session_.info.pop("uncommitted_flush", None)


def _commit_touch(response: Response) -> Response:
    session_ = db.session()
    pending = session_.new or session_.dirty or session_.deleted
    if "touch_login_session" in g and not pending and not session_.info.get("uncommitted_flush"):
        session_.commit()  # before_commit writes the touch
    return response
