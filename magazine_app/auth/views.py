"""Login, logout, sign-up, password reset and the account page. Thin views: the work is
in accounts.py."""

from __future__ import annotations

from flask import (
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

from magazine_app import storage
from magazine_app.accounts import mails
from magazine_app.accounts import operations as accounts
from magazine_app.auth import bp
from magazine_app.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SignupForm,
)
from magazine_app.core.extensions import db, limiter
from magazine_app.core.i18n import remember_locale
from magazine_app.core.security import safe_next
from magazine_app.models import SESSION_KEY


def _limit(key: str) -> str:
    return current_app.config[key]


def _login_account_key() -> str:
    """Rate-limit key of a login attempt: the account it aims at (the normalised e-mail
    of the form), so that spreading guesses over many client addresses does not help."""
    raw = request.form.get("email", "")
    try:
        email = accounts.normalise_email(raw)
    except accounts.AccountError:
        email = raw.strip().lower()[:254]
    return f"login-account:{email}"


def _login_failed(response: Response) -> bool:
    # A successful login redirects; only failures count against the account, so that a
    # reader logging in from several devices is never locked out by their own successes.
    return response.status_code != 302


def _clear_session() -> None:
    """Forget everything the session held but the reader's language choice (logging in
    or out is no reason to switch the page to another language)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user: accounts.User) -> None:
    """Log `user` in with a fresh session (no fixation), bound to a server-side row."""
    _clear_session()
    row = accounts.open_session(user, request.headers.get("User-Agent", ""))
    # A new login session is a new reader token (storage.py derives it from the row):
    # image URLs signed before the login stop working in this browser.
    session[SESSION_KEY] = row.id
    session.permanent = True
    login_user(user)
    storage.reader_token(reissue=True)


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"])
@limiter.limit(
    lambda: _limit("LOGIN_ACCOUNT_RATE_LIMIT"),
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
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
        _clear_session()
        storage.reader_token(reissue=True)
        flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("reader.kiosk"))


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup() -> str | Response:
    """A new address and a taken one get the same page ("check your mailbox"), so that
    the form does not tell who has an account; the mailbox gets a verification link, or,
    for a taken address, a note to its owner. Nobody is logged in here: the password
    alone proves nothing about the address."""
    form = SignupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        password = form.password.data or ""
        try:
            user = accounts.create_user(form.email.data or "", password, name=form.name.data or "")
        except accounts.EmailTaken:
            accounts.spend_password_hash_time(password)  # as long as a new account
            owner = accounts.find_user(form.email.data or "")
            if owner is not None:
                mails.queue_signup_attempt(owner)
        except accounts.AccountError as exc:
            form.email.errors.append(_(str(exc)))  # AccountError: a French msgid
            return render_template("auth/signup.html", form=form)
        else:
            db.session.commit()
            mails.queue_verification(user)
        return render_template(
            "auth/check_mail.html",
            email=accounts.normalise_email(form.email.data or ""),
            next=form.next.data,
        )
    return render_template("auth/signup.html", form=form)


@bp.route("/confirmer-adresse/<token>")
@login_required
def verify_email(token: str) -> Response:
    """The link of the verification mail. It needs the account's login as well as the
    mailbox: someone who receives the mail for an account they did not create (somebody
    signed up with their address) cannot verify that account for the stranger."""
    try:
        accounts.verify_email(token, current_user)
    except accounts.AccountError as exc:
        flash(_(str(exc)), "error")  # AccountError: a French msgid
    else:
        db.session.commit()
        flash(_("Votre adresse e-mail est confirmée."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/compte/confirmer-adresse", methods=["POST"])
@login_required
@limiter.limit(lambda: _limit("RESET_RATE_LIMIT"))
def resend_verification() -> Response:
    form = ResendVerificationForm()
    if form.validate_on_submit() and not current_user.email_verified:
        mails.queue_verification(current_user)
        flash(
            _("Un lien de confirmation vient d'être envoyé à %(email)s.", email=current_user.email),
            "info",
        )
    return redirect(url_for("auth.account"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("RESET_RATE_LIMIT"), methods=["POST"])
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data or "")
        if user is not None:
            mails.queue_password_link(user)
        # Same answer either way, mail server up or down (the mail is only queued): the
        # form must not reveal who has an account.
        flash(
            _(
                "Si un compte existe pour cette adresse, un lien de réinitialisation "
                "vient de lui être envoyé."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


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
            accounts.set_password_from_link(user, form.password.data or "")
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
    return render_template("auth/account.html", form=form, resend_form=ResendVerificationForm())


@bp.route("/langue", methods=["POST"])
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        remember_locale(form.lang.data or "fr")
        db.session.commit()
    return redirect(safe_next(form.next.data, url_for("reader.kiosk")))
