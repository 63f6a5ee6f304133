"""Accounts: creating users, checking passwords, login sessions, password reset tokens,
e-mail verification and claims.

Domain functions add and flush; the caller (view, CLI) commits once.

An address is *verified* once its owner proved they read its mailbox: by opening the
verification link while logged in to the account (sign-up), or by setting the password
through a mailed link (reset, welcome, claim). Until then anybody may have created the
account with somebody else's address, so entitlements attached to it by the billing
system first take the account back for the mailbox (`claim_for_entitlement`).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from magazine_app.core.extensions import db
from magazine_app.core.i18n import N_
from magazine_app.models import LoginSession, Role, User, utcnow

MIN_PASSWORD_LENGTH = 8  # the refusal message below says 8
# A hash to check against when the e-mail is unknown, so that both answers take as long.
_DUMMY_HASH: dict[str, str] = {}


class AccountError(ValueError):
    """A refusal with the sentence the person will read."""


class EmailTaken(AccountError):
    """The address already has an account (the sign-up form must not say so)."""


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
    method = current_app.config["PASSWORD_HASH_METHOD"]
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


SEARCH_LIMIT = 50  # staff refine the term rather than page through accounts


def search_users(term: str, limit: int = SEARCH_LIMIT) -> list[User]:
    """Accounts whose e-mail or name contains `term`, any case; `%` and `_` in it are
    plain characters (autoescape), not wildcards."""
    term = term.strip()
    return list(
        db.session.scalars(
            select(User)
            .where(
                or_(
                    User.email.icontains(term, autoescape=True),
                    User.name.icontains(term, autoescape=True),
                )
            )
            .order_by(User.email)
            .limit(limit)
        )
    )


def create_user(
    email: str, password: str | None, *, role: Role = Role.READER, name: str = ""
) -> User:
    """Create an account; `password=None` makes one that must be set by a reset link."""
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(N_("Un compte existe déjà avec cette adresse e-mail."))
    user = User(email=email, role=role, name=name.strip())
    if password is not None:
        check_password_strength(password)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def spend_password_hash_time(password: str) -> None:
    """Do the work of one password check for nothing, so that an answer about an unknown
    (or taken) address takes as long as one about a real account."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash(secrets.token_hex(8), method=method)
    check_password_hash(_DUMMY_HASH[method], password)


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.password_hash:
        spend_password_hash_time(password)
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


def set_password_from_link(user: User, password: str) -> None:
    """Set the password through a link that was mailed to the address (reset, welcome,
    claim): it proves the mailbox, so the address is verified from now on. Every login
    session ends (whoever held the account before the link was used is logged out)."""
    set_password(user, password)
    mark_verified(user)


def mark_verified(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()


def claim_for_entitlement(user: User) -> bool:
    """Before a subscription or a purchase is attached to `user`: when the address was
    never verified and somebody holds a password for it, that somebody may be an
    attacker who signed up with the buyer's address (account pre-hijacking). Take the
    account back for the mailbox: end every login session and forget the password, so
    that only a link mailed to the address (the caller sends it) opens the account.

    Returns True when the account was taken back (a claim link must be mailed)."""
    if user.email_verified_at is not None or not user.password_hash:
        # Verified, or nobody can log in anyway (an account created by billing whose
        # owner has not used their welcome link yet).
        return False
    user.password_hash = None
    user.password_changed_at = utcnow()
    revoke_sessions(user)
    db.session.flush()
    return True


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


def _load_link(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> Any:
    """The data of a mailed link's token, or AccountError with the sentence to show."""
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError(N_("Ce lien a expiré : demandez-en un nouveau.")) from exc
    except BadSignature as exc:
        raise AccountError(N_("Ce lien n'est pas valide.")) from exc


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The user a reset link belongs to, or AccountError: expired, tampered or used."""
    data = _load_link(_serializer(), token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("p") != _password_fingerprint(user):
        raise AccountError(N_("Ce lien a déjà été utilisé ou n'est plus valide."))
    return user


# --------------------------------------------------------------------------- verification


def _verification_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-verification")


def make_verification_token(user: User) -> str:
    # The address is in the token: a link is worth nothing for another address.
    return _verification_serializer().dumps({"u": user.id, "e": user.email})


def verify_email(token: str, user: User) -> None:
    """Verify `user`'s address with a link from their mailbox, or AccountError.

    The link works only for the account it names, opened by someone logged in to that
    account: the mailbox owner who did not create the account (somebody signed up with
    their address) cannot verify it for the stranger by clicking. Single use: once the
    address is verified, the link is refused."""
    max_age = current_app.config["EMAIL_VERIFICATION_MAX_AGE"]
    data = _load_link(_verification_serializer(), token, max_age)
    if not isinstance(data, dict) or data.get("u") != user.id or data.get("e") != user.email:
        raise AccountError(N_("Ce lien de confirmation est celui d'un autre compte."))
    if user.email_verified_at is not None:
        raise AccountError(N_("Ce lien a déjà été utilisé ou n'est plus valide."))
    mark_verified(user)
