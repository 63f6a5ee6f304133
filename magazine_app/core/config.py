"""Layered configuration: defaults, the instance folder's config.py, environment variables,
then the test dict. Nothing is read at import time; `load_config` runs inside `create_app`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Values that must never reach production: the app refuses to start with one of them.
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development"}


def defaults(instance_path: Path) -> dict[str, Any]:
    """The embedded default: SQLite and files in the instance folder, no server needed."""
    return {
        "ENV": "development",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'magazine.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": None,
        "STORAGE_ROOT": str(PROJECT_ROOT / "uploads"),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,  # forms and JSON; the PDF upload streams
        # its body itself (staff/streaming.py) and enforces MAX_UPLOAD_BYTES
        "MAX_PDF_PAGES": 400,
        # Free pages of a new issue (staff change it per issue; 0: none)
        "PREVIEW_PAGES": 3,
        "MAX_UPLOAD_BYTES": 300 * 1024 * 1024,  # staff PDF uploads (streamed to disk)
        "STAFF_POLL_SECONDS": 1.0,  # how often the processing page asks for progress
        # Ingestion: child processes, each with a wall-clock and a memory limit
        "INGEST_WORKERS": 2,
        "INGEST_PAGE_TIMEOUT": 60,
        "INGEST_TOTAL_TIMEOUT": 1800,
        "INGEST_MEMORY_MB": 1500,
        "INGEST_SIZES": None,  # e.g. {"thumb": 240, "screen": 1600, "zoom": 3200}
        # Page images: signed URLs valid >= TTL s, stable for BUCKET s; nginx shares the secret.
        # A browser caches an image as long as its URL is valid at least (TTL).
        "IMAGE_URL_TTL": 600,
        "IMAGE_URL_BUCKET": 300,
        "IMAGE_URL_SECRET": None,
        "IMAGE_ACCEL_REDIRECT": None,  # e.g. "/_protected/" to let nginx send the bytes
        # Two separate limits: per reader token (one reader's pace) and per client address
        # (a scraper changing its cookie); nginx applies the same two in production.
        "IMAGE_RATE_LIMIT": "300 per minute;4000 per hour",
        "IMAGE_IP_RATE_LIMIT": "1200 per minute;20000 per hour",
        # Sessions and cookies
        "SESSION_COOKIE_NAME": "magazine_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": None,  # None: True in production, False in development
        "PERMANENT_SESSION_LIFETIME": 30 * 24 * 3600,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Rate limits (Flask-Limiter notation)
        "LOGIN_RATE_LIMIT": "10 per minute;60 per hour",
        # Failed logins at one account (normalised e-mail), whatever the client address
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
        "SIGNUP_RATE_LIMIT": "5 per minute;30 per hour",
        "RESET_RATE_LIMIT": "5 per minute;20 per hour",
        # Archive and in-issue search together, per IP and per reader (account or token)
        "SEARCH_RATE_LIMIT": "30 per minute;300 per hour",
        # The billing API, per client address
        "API_RATE_LIMIT": "600 per minute",
        # None: REDIS_URL when set, else a SQLite file in the instance folder shared by
        # all workers (magazine_app/ratelimit_sqlite.py); "memory://" counts per process.
        "RATELIMIT_STORAGE_URI": None,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Reading time credited per client address: this many readers' wall-clock time
        # (an office or a mobile carrier puts several readers behind one address).
        "READING_READERS_PER_IP": 20,
        # How often the viewer sends its reading time (seconds between batches)
        "VIEWER_EVENTS_INTERVAL": 30,
        # Behind a reverse proxy: how many proxies set each X-Forwarded-* header
        # (werkzeug ProxyFix); 0 ignores the header. nginx in front: PROXY_FIX_X_FOR = 1.
        "PROXY_FIX_X_FOR": 0,
        "PROXY_FIX_X_PROTO": 0,
        "PROXY_FIX_X_HOST": 0,
        "PROXY_FIX_X_PORT": 0,
        "PROXY_FIX_X_PREFIX": 0,
        # Werkzeug's password hash (tests use a fast one)
        "PASSWORD_HASH_METHOD": "scrypt",
        # Password reset links
        "PASSWORD_RESET_MAX_AGE": 3600,
        "EMAIL_VERIFICATION_MAX_AGE": 7 * 24 * 3600,
        # Every link in a mail starts with this, never with the request's Host header
        # (which anybody can forge). Unset: http(s)://SERVER_NAME, else (development only)
        # http://127.0.0.1:8000; production refuses to start without one of the two. In
        # production TRUSTED_HOSTS (Flask) defaults to its host: other Hosts get 400.
        "BASE_URL": None,
        "TRUSTED_HOSTS": None,
        # Mail: SMTP when MAIL_SERVER is set, otherwise .eml files in the instance outbox
        "MAIL_SERVER": None,
        "MAIL_PORT": 587,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": "Challenge <no-reply@challenge.ma>",
        "MAIL_OUTBOX": str(instance_path / "outbox"),
        # Public site
        "SITE_NAME": "Challenge",
        "SITE_TAGLINE": "L'hebdo marocain des décideurs",
        "SOURCE_CODE_URL": "https://git.challenge.ma/e-magazine",
        "CHECKOUT_URL": "https://www.challenge.ma/abonnement",
        "LANGUAGES": ["fr", "en"],
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Africa/Casablanca",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parents[1] / "translations"),
        # Jobs (Huey): SqliteHuey in the instance folder unless REDIS_URL is set
        "HUEY_SQLITE_PATH": str(instance_path / "jobs.db"),
        "HUEY_IMMEDIATE": False,
        "HUEY_WORKERS": 1,
        # An ingestion holds a lease on its issue, renewed every third of it while it runs;
        # an issue is requeued (or shown failed to staff) only once its lease has expired.
        "JOB_LEASE_SECONDS": 60,
        # Upload temp files (.part) older than this are removed by the leftover sweep.
        "UPLOAD_PART_MAX_AGE": 3600,
    }


def _apply_environment(app: Flask) -> None:
    """`MAGAZINE_*` variables (JSON-parsed when possible), plus the conventional
    DATABASE_URL and REDIS_URL used by hosting platforms."""
    app.config.from_prefixed_env("MAGAZINE")
    if url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if url := os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = url


def normalise_database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config layer by layer, then derive what depends on the result."""
    instance_path = Path(app.instance_path)
    app.config.update(defaults(instance_path))
    app.config.from_pyfile("config.py", silent=True)
    _apply_environment(app)
    if test_config:
        app.config.update(test_config)
    _derive(app)


def _derive(app: Flask) -> None:
    cfg = app.config
    production = cfg["ENV"] == "production"
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SESSION_COOKIE_SECURE"] is None:
        cfg["SESSION_COOKIE_SECURE"] = production
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    if cfg["REDIS_URL"] and cfg["RATELIMIT_STORAGE_URI"] in (None, "memory://"):
        cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"]
    if not cfg["RATELIMIT_STORAGE_URI"]:
        cfg["RATELIMIT_STORAGE_URI"] = f"sqlite:///{Path(app.instance_path) / 'ratelimit.db'}"
    cfg["SECRET_KEY"] = _secret_key(app, production)
    _check_base_url(cfg, production)


def base_url(cfg: Any) -> str:
    """The site's public address, for links in mails: BASE_URL, else http(s)://SERVER_NAME
    (read when the link is made: the CLI may set SERVER_NAME late), else, in development
    only, the address of `flask serve`."""
    url = cfg.get("BASE_URL")
    if not url and cfg.get("SERVER_NAME"):
        url = f"{cfg.get('PREFERRED_URL_SCHEME') or 'http'}://{cfg['SERVER_NAME']}"
    return (url or "http://127.0.0.1:8000").rstrip("/")


def _check_base_url(cfg: Any, production: bool) -> None:
    if production and not (cfg.get("BASE_URL") or cfg.get("SERVER_NAME")):
        raise RuntimeError(
            "MAGAZINE_BASE_URL is missing: set the public address of the site "
            "(e.g. https://emag.challenge.ma) before starting in production; links in "
            "e-mails are built from it, never from the request's Host header."
        )
    url = base_url(cfg)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise RuntimeError(f"MAGAZINE_BASE_URL must be http(s)://host[:port][/path], not {url!r}")
    if production and cfg.get("TRUSTED_HOSTS") is None:
        cfg["TRUSTED_HOSTS"] = [parts.hostname]


def _secret_key(app: Flask, production: bool) -> str:
    key = app.config.get("SECRET_KEY")
    if production:
        if not key or key in INSECURE_SECRET_KEYS or len(key) < 16:
            raise RuntimeError(
                "MAGAZINE_SECRET_KEY is missing or insecure: set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`) "
                "before starting in production."
            )
        return key
    if key:
        return key
    # Development: generate once and keep it in the instance folder, so sessions
    # survive a restart and two processes (web + worker) agree.
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web or worker) wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
