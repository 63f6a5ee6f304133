"""Login, logout, sign-up, password reset and the account page. Thin views: the work is
in accounts.py."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from .. import accounts, storage
from ..extensions import db, limiter
from ..i18n import remember_locale
from ..mail import send_mail
from ..security import safe_next
from . import SESSION_KEY
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    ResetPasswordForm,
    SignupForm,
)

bp = Blueprint("auth", __name__)


def _limit(key: str) -> str:
    return current_app.config[key]


def _start_session(user: accounts.User) -> None:
    """Log `user` in with a fresh session (no fixation), bound to a server-side row."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    row = accounts.open_session(user, request.headers.get("User-Agent", ""))
    # A new login session is a new reader token (storage.py derives it from the row):
    # image URLs signed before the login stop working in this browser.
    session[SESSION_KEY] = row.id
    session.permanent = True
    login_user(user)
    storage.reader_token(reissue=True)


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def login() -> str | Response:
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data, url_for("reader.kiosk")))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            flash(_("Adresse e-mail ou mot de passe incorrect."), "error")
        else:
            _start_session(user)
            db.session.commit()
            flash(_("Bienvenue !"), "success")
            return redirect(safe_next(form.next.data, url_for("reader.kiosk")))
    return render_template("auth/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        accounts.revoke_session(session.get(SESSION_KEY))
        db.session.commit()
        logout_user()
        # Clearing the session drops the reader token with it: the next page gets a new one.
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        storage.reader_token(reissue=True)
        flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("reader.kiosk"))


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup() -> str | Response:
    form = SignupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data or "", form.password.data or "", name=form.name.data or ""
            )
        except accounts.AccountError as exc:
            form.email.errors.append(_(str(exc)))  # AccountError: a French msgid
        else:
            _start_session(user)
            db.session.commit()
            flash(_("Votre compte est créé. Bonne lecture !"), "success")
            return redirect(safe_next(form.next.data, url_for("reader.kiosk")))
    return render_template("auth/signup.html", form=form)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RESET_RATE_LIMIT"), methods=["POST"])
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data or "")
        if user is not None:
            send_reset_mail(user)
        # Same answer either way: the form must not reveal who has an account.
        flash(
            _(
                "Si un compte existe pour cette adresse, un lien de réinitialisation "
                "vient de lui être envoyé."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def send_reset_mail(user: accounts.User, *, welcome: bool = False) -> None:
    """E-mail a single-use link to set a new password (also used to welcome accounts
    created by the billing system, which have no password yet).

    Written in the recipient's language: their saved choice, else the page's language when
    they asked from the site, else French (billing API and command line)."""
    link = url_for("auth.reset_password", token=accounts.make_reset_token(user), _external=True)
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600 or 1
    lang = user.locale or (str(get_locale()) if has_request_context() and not welcome else None)
    with force_locale(lang or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if welcome:
            subject = _("Votre accès au e-magazine Challenge")
            intro = _(
                "Votre abonnement est actif. Choisissez votre mot de passe pour lire vos "
                "magazines :"
            )
        else:
            subject = _("Réinitialisation de votre mot de passe Challenge")
            intro = _("Pour choisir un nouveau mot de passe, ouvrez ce lien :")
        validity = ngettext(
            "Ce lien est valable %(num)s heure et ne sert qu'une fois.",
            "Ce lien est valable %(num)s heures et ne sert qu'une fois.",
            hours,
        )
        closing = _("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.")
        greeting, signature = _("Bonjour,"), _("L'équipe Challenge")
        body = f"{greeting}\n\n{intro}\n\n{link}\n\n{validity} {closing}\n\n{signature}\n"
    send_mail(user.email, subject, body)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RESET_RATE_LIMIT"), methods=["POST"])
def reset_password(token: str) -> str | Response:
    try:
        user = accounts.user_for_reset_token(token)
    except accounts.AccountError as exc:
        flash(_(str(exc)), "error")  # AccountError: a French msgid
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data or "")
        except accounts.AccountError as exc:
            form.password.errors.append(_(str(exc)))
        else:
            db.session.commit()
            flash(_("Votre mot de passe est changé. Connectez-vous."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/compte", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.current.data or "") is None:
            form.current.errors.append(_("Mot de passe actuel incorrect."))
        else:
            accounts.set_password(
                current_user, form.password.data or "", keep_session=session.get(SESSION_KEY)
            )
            db.session.commit()
            flash(_("Mot de passe changé. Vos autres sessions ont été déconnectées."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/langue", methods=["POST"])
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        remember_locale(form.lang.data or "fr")
    return redirect(safe_next(form.next.data, url_for("reader.kiosk")))
