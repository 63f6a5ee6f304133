"""Login, logout, sign-up, password reset and the account page. Thin views: the work is
in accounts.py."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from .. import accounts
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
    session[SESSION_KEY] = row.id
    session.permanent = True
    login_user(user)


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
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
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
            form.email.errors.append(str(exc))
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
    created by the billing system, which have no password yet)."""
    link = url_for("auth.reset_password", token=accounts.make_reset_token(user), _external=True)
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600 or 1
    if welcome:
        subject = "Votre accès au e-magazine Challenge"
        intro = (
            "Votre abonnement est actif. Choisissez votre mot de passe pour lire vos magazines :"
        )
    else:
        subject = "Réinitialisation de votre mot de passe Challenge"
        intro = "Pour choisir un nouveau mot de passe, ouvrez ce lien :"
    body = (
        f"Bonjour,\n\n{intro}\n\n{link}\n\n"
        f"Ce lien est valable {hours} heure(s) et ne sert qu'une fois. "
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n"
        "L'équipe Challenge\n"
    )
    send_mail(user.email, subject, body)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RESET_RATE_LIMIT"), methods=["POST"])
def reset_password(token: str) -> str | Response:
    try:
        user = accounts.user_for_reset_token(token)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data or "")
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
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
