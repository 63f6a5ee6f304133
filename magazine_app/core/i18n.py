"""Language: French by default, English available. The user's choice (stored on their
account, or in the session when anonymous) wins over the browser's Accept-Language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from magazine_app.core.extensions import babel


def N_(message: str) -> str:
    """Mark a French msgid for extraction without translating it yet: tables defined at
    import time (access reasons, error titles) are translated where they are shown, in the
    request's language, with `_(value)`."""
    return message


def select_locale() -> str:
    """The request's language; outside a request (CLI, job consumer) the default, since
    there is no browser or session to ask."""
    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def remember_locale(lang: str) -> None:
    """The language choice, in the session and on the account (the view commits)."""
    if lang not in current_app.config["LANGUAGES"]:
        return
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    def format_day(value: date | datetime | None, format: str = "medium") -> str:
        """Babel's format_date, with the French ordinal of the first day: « 1er mars »."""
        text = format_date(value, format)
        if (
            value is not None
            and value.day == 1
            and str(get_locale()) == "fr"
            and format in ("long", "d MMMM y", "d MMMM")
            and text.startswith("1 ")
        ):
            return "1er " + text[2:]
        return text

    app.jinja_env.filters["format_date"] = format_day
    app.jinja_env.filters["format_datetime"] = format_datetime

    @app.context_processor
    def _inject_language() -> dict[str, object]:
        return {
            "current_lang": str(get_locale() or "fr"),
            "now_year": datetime.now(UTC).year,
        }
