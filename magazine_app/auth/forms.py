"""Account forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from magazine_app.accounts.operations import MIN_PASSWORD_LENGTH


def _new_password(label: str) -> PasswordField:
    """A password the reader chooses, with the same rules at sign-up, reset and change
    (the operation checks them again: accounts.check_password_strength)."""
    return PasswordField(
        label, validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )


def _confirmation() -> PasswordField:
    return PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Les deux mots de passe diffèrent.")),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired()])
    next = HiddenField()


class SignupForm(FlaskForm):
    name = StringField(_l("Nom (facultatif)"), validators=[Length(max=120)])
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(), Length(max=254)])
    password = _new_password(_l("Mot de passe"))
    confirm = _confirmation()
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = _new_password(_l("Nouveau mot de passe"))
    confirm = _confirmation()


class ChangePasswordForm(ResetPasswordForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Logout is a POST with a CSRF token, so that no third-party page can log you out."""


class ResendVerificationForm(FlaskForm):
    """The account page's "send the verification link again" button (POST + CSRF)."""
