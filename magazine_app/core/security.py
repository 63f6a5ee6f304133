"""Response headers every page gets (Cache-Control depending on who asks), and the one
check for redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, request, session

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


# Responses about one person whatever the view reads: their account, subscription, reset
# link, reading position, and everything staff see. Other pages are personal when they
# loaded a logged-in user or answered an Authorization header (the billing API).
PERSONAL_ENDPOINTS = frozenset(
    {
        "auth.account",
        "auth.reset_password",
        "auth.verify_email",
        "reader.my_subscription",
        "reader.save_position",
        "reader.issue_pages",
        "reader.page_text",
        "reader.viewer",
        "reader.reading_events",
    }
)
PERSONAL_BLUEPRINTS = frozenset({"staff"})
# Page images set their own caching (signed, per-reader URLs), as do the public cover and
# static files: a view's own Cache-Control always wins, and /img is never touched here.
UNTOUCHED_PREFIXES = ("/img/", "/static/")


def _is_personal() -> bool:
    if request.endpoint in PERSONAL_ENDPOINTS or request.blueprint in PERSONAL_BLUEPRINTS:
        return True
    if request.headers.get("Authorization"):
        return True
    # Only if the view loaded the user: asking now would load it for every static file.
    user = g.get("_login_user")
    return bool(user is not None and user.is_authenticated)


def _cache_control(response: Response) -> Response:
    """`private, no-store` on what depends on who asks: neither nginx nor a shared cache
    keeps it, and the browser does not either (a shared computer, the back button after
    logout). Anonymous pages that used the session (CSRF token, reader token, flashes)
    get `private, no-cache`: no shared cache, but the browser may keep them for
    back/forward navigation, revalidating otherwise (nothing in them is secret from the
    person at that browser)."""
    if "Cache-Control" in response.headers or request.path.startswith(UNTOUCHED_PREFIXES):
        return response
    if _is_personal():
        response.headers["Cache-Control"] = "private, no-store"
    elif session.accessed:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def _refuse_nul() -> None:
    """400 for a NUL character in the path or the query string: PostgreSQL refuses NUL in
    text (a 500 from any query using the value), and no URL of this site needs one.
    The billing API validates each field itself (422 naming the field)."""
    if request.path.startswith("/api/"):
        return
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        abort(400, "Caractère nul interdit dans l'adresse.")


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul)
    app.after_request(_set_headers)
    app.after_request(_cache_control)
    if app.config["ENV"] == "production":

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
            return response


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a path on this site, else `default`.

    Browsers treat `//host`, `/\\host` and `\\\\host` as other sites, and some strip tabs
    and newlines from URLs, so anything but a plain absolute path is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
