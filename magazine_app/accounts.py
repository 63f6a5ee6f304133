"""Accounts: creating users, checking passwords, login sessions, password reset tokens.

Domain functions add and flush; the caller (view, CLI) commits once.
"""

from __future__ import annotations

import hashlib
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .i18n import N_
from .models import LoginSession, Role, User, utcnow

MIN_PASSWORD_LENGTH = 8  # the refusal message below says 8
# A hash to check against when the e-mail is unknown, so that both answers take as long.
_DUMMY_HASH: dict[str, str] = {}


class AccountError(ValueError):
    """A refusal with the sentence the person will read."""


def normalise_email(raw: str) -> str:
    """Trim, validate the syntax and lower-case the whole address.

    Mailboxes are case-insensitive in practice, and a duplicate that differs only by case
    is always the same person."""
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AccountError(N_("Adresse e-mail invalide.")) from exc
    return info.normalized.lower()


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(N_("Le mot de passe doit compter au moins 8 caractères."))


def find_user(email: str) -> User | None:
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def create_user(
    email: str, password: str | None, *, role: Role = Role.READER, name: str = ""
) -> User:
    """Create an account; `password=None` makes one that must be set by a reset link."""
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(N_("Un compte existe déjà avec cette adresse e-mail."))
    user = User(email=email, role=role, name=name.strip())
    if password is not None:
        check_password_strength(password)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.password_hash:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = generate_password_hash(secrets.token_hex(8), method=method)
        check_password_hash(_DUMMY_HASH[method], password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def set_password(user: User, password: str, *, keep_session: str | None = None) -> None:
    """Change the password and end every other login session of this user."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    revoke_sessions(user, except_id=keep_session)
    db.session.flush()


# --------------------------------------------------------------------------- sessions


def open_session(user: User, user_agent: str = "") -> LoginSession:
    row = LoginSession(id=secrets.token_urlsafe(32), user=user, user_agent=user_agent[:255])
    user.last_login_at = utcnow()
    db.session.add(row)
    db.session.flush()
    return row


def valid_session(session_id: str | None, user_id: int) -> LoginSession | None:
    if not session_id:
        return None
    row = db.session.get(LoginSession, session_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    return row


def revoke_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_sessions(user: User, *, except_id: str | None = None) -> None:
    stmt = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
    )
    if except_id:
        stmt = stmt.where(LoginSession.id != except_id)
    db.session.execute(stmt.values(revoked_at=utcnow()))


# --------------------------------------------------------------------------- reset tokens


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Changes with every new password hash (new salt), which makes a used link worthless.
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The user a reset link belongs to, or AccountError: expired, tampered or used."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError(N_("Ce lien a expiré : demandez-en un nouveau.")) from exc
    except BadSignature as exc:
        raise AccountError(N_("Ce lien n'est pas valide.")) from exc
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("p") != _password_fingerprint(user):
        raise AccountError(N_("Ce lien a déjà été utilisé ou n'est plus valide."))
    return user
