"""The magazine reader: a Flask application factory.

`create_app()` builds the app from layered configuration (see config.py); nothing is
configured at import time, so the web server, the job consumer and the tests each get
an app of their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from magazine_app.core.config import PROJECT_ROOT, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "MAGAZINE_INSTANCE_PATH"
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable French in JSON
    _trust_proxy(app)

    from magazine_app.core import converters

    converters.init_app(app)  # before the blueprints: rules bind converters when added

    from magazine_app import cli, jobs
    from magazine_app.auth.sessions import init_auth
    from magazine_app.core import errors, i18n, security
    from magazine_app.core.extensions import csrf, db, limiter, migrate
    from magazine_app.core.sqlite import configure_sqlite

    db.init_app(app)
    configure_sqlite(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    init_auth(app)
    jobs.init_app(app)

    from magazine_app.api import bp as api_bp
    from magazine_app.auth import bp as auth_bp
    from magazine_app.reader import bp as reader_bp
    from magazine_app.staff import bp as staff_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(reader_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(staff_bp)

    errors.init_app(app)
    cli.init_app(app)
    return app


def _trust_proxy(app: Flask) -> None:
    """Behind nginx, `request.remote_addr` (rate limits, reading budgets) is the proxy
    unless X-Forwarded-For is trusted; trusting it without a proxy would let any client
    choose its address. Hence off by default, on with PROXY_FIX_X_FOR = 1 etc."""
    counts = {
        name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0)
        for name in ("for", "proto", "host", "port", "prefix")
    }
    if any(counts.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        options = {f"x_{name}": count for name, count in counts.items()}
        app.wsgi_app = ProxyFix(app.wsgi_app, **options)  # type: ignore[method-assign]
