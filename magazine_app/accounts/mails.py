"""The account mails: their bodies are text templates (templates/mail/*.txt), rendered in
the recipient's language and handed to the job queue (jobs/mail.py); every link comes from
BASE_URL (core/mail.link), never from the request.

Language: the account's saved choice, else the page's language when the person asked from
the site, else French (billing API and command line)."""

from __future__ import annotations

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from magazine_app.accounts import operations as accounts
from magazine_app.core.mail import link
from magazine_app.jobs.mail import queue_mail, queue_mail_after_commit
from magazine_app.models import User


def _language(user: User, from_site: bool) -> str:
    page = str(get_locale()) if from_site and has_request_context() else None
    return user.locale or page or current_app.config["BABEL_DEFAULT_LOCALE"]


def password_link_message(user: User, kind: str = "reset") -> tuple[str, str]:
    """(subject, body) of a mail with a single-use set-your-password link.

    kind: "reset" (the reader asked), "welcome" (the billing system created the account),
    "claim" (a plan was attached to an account whose address was never verified: its
    password was forgotten and only this link opens it again)."""
    url = link("auth.reset_password", token=accounts.make_reset_token(user))
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600 or 1
    with force_locale(_language(user, from_site=kind == "reset")):
        if kind == "reset":
            subject = _("Réinitialisation de votre mot de passe Challenge")
        else:
            subject = _("Votre accès au e-magazine Challenge")
        body = render_template("mail/password_link.txt", kind=kind, url=url, hours=hours)
        return subject, body


def queue_password_link(user: User, kind: str = "reset") -> None:
    subject, body = password_link_message(user, kind)
    queue_mail(user.email, subject, body)


def queue_welcome(user: User) -> None:
    """A set-your-password link for an account the billing system (API, CSV import, CLI)
    just created. Called after the commit. The job queue sends it, with retries: the answer
    never waits for the mail server, and the subscription stands even when it is down (the
    reader can still ask for a link with « mot de passe oublié »)."""
    queue_password_link(user, "welcome")


def queue_claim_mail_after_commit(user: User) -> None:
    """Domain code takes the account back (accounts.claim_for_entitlement) inside a
    transaction that may still be rolled back: mail the link only once it is committed."""
    subject, body = password_link_message(user, "claim")
    queue_mail_after_commit(user.email, subject, body)


def queue_verification(user: User) -> None:
    url = link("auth.verify_email", token=accounts.make_verification_token(user))
    days = current_app.config["EMAIL_VERIFICATION_MAX_AGE"] // 86400 or 1
    with force_locale(_language(user, from_site=True)):
        subject = _("Confirmez votre adresse e-mail Challenge")
        body = render_template("mail/verification.txt", url=url, days=days)
    queue_mail(user.email, subject, body)


def queue_signup_attempt(user: User) -> None:
    """Someone tried to sign up with an address that has an account: tell its owner
    (the form itself answers as for a new address)."""
    with force_locale(_language(user, from_site=True)):
        subject = _("Tentative d'inscription avec votre adresse")
        body = render_template(
            "mail/signup_attempt.txt",
            login_url=link("auth.login"),
            forgot_url=link("auth.forgot_password"),
        )
    queue_mail(user.email, subject, body)
