"""Where files live, and the signed URLs that let a browser fetch a page image.

Layout under STORAGE_ROOT (immutable names: a re-processed issue gets a new version folder):

    originals/<sha256>.pdf                       uploaded PDFs
    issues/<issue id>/<version>/<size>/<file>    renditions written by ingestion
    staging/<issue id>-<token>/                  work in progress (never served)

Signed image URLs: `/img/<path under STORAGE_ROOT>?e=<expires>&s=<signature>` where

    signature = base64url(md5(f"{expires}{uri}{reader_token} {secret}")), without padding

which is exactly what nginx's `secure_link_md5 "$secure_link_expires$uri$cookie_mgz_reader
$secret"` computes, so nginx can check a URL alone and serve the file with no Python. The
reader token is a random per-browser-session value in an HttpOnly cookie: a URL copied into
another browser (another token) is refused. Expiry is minutes, not days; it is rounded up to
a bucket so that the same page keeps the same URL (and browser cache) for a while.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from werkzeug.security import safe_join

READER_COOKIE = "mgz_reader"
IMAGE_PREFIX = "/img/"
RENDITION_SIZES = ("thumb", "screen", "zoom")


class StorageError(Exception):
    pass


def root() -> Path:
    return Path(current_app.config["STORAGE_ROOT"])


def resolve(relative: str) -> Path:
    """An absolute path for `relative` under the storage root; refuses traversal."""
    joined = safe_join(str(root()), relative)
    if joined is None:
        raise StorageError(f"unsafe storage path: {relative!r}")
    return Path(joined)


def original_path(sha256: str) -> Path:
    return resolve(f"originals/{sha256}.pdf")


def issue_root(issue_id: int) -> Path:
    return resolve(f"issues/{issue_id}")


def rendition_relpath(issue_id: int, version: str, file: str) -> str:
    """`file` is the manifest's path inside the rendition folder, e.g. screen/0001-ab12.webp."""
    return f"issues/{issue_id}/{version}/{file}"


def staging_dir(issue_id: int) -> Path:
    return resolve(f"staging/{issue_id}-{secrets.token_hex(6)}")


# --------------------------------------------------------------------------- signed URLs


def new_reader_token() -> str:
    return secrets.token_urlsafe(24)


def image_secret() -> str:
    """The secret shared with nginx. Derived from SECRET_KEY unless set explicitly, so
    that rotating it never needs the application's own secret to be handed out."""
    explicit = current_app.config.get("IMAGE_URL_SECRET")
    if explicit:
        return str(explicit)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"page-image-urls", hashlib.sha256).hexdigest()


def _signature(expires: int, uri: str, reader_token: str, secret: str) -> str:
    # MD5 because nginx's secure_link_md5 is MD5; the secret is a suffix (no length extension).
    digest = hashlib.md5(
        f"{expires}{uri}{reader_token} {secret}".encode(), usedforsecurity=False
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def expiry_for(now_ts: float) -> int:
    """Expiry rounded up to a bucket: URLs stay stable (cacheable) for BUCKET seconds and
    valid for at least TTL seconds."""
    ttl = int(current_app.config.get("IMAGE_URL_TTL", 600))
    bucket = int(current_app.config.get("IMAGE_URL_BUCKET", 300))
    return (int(now_ts + ttl) // bucket + 1) * bucket


def sign_image_url(relative: str, reader_token: str, now_ts: float) -> str:
    uri = IMAGE_PREFIX + quote(relative)
    expires = expiry_for(now_ts)
    return f"{uri}?e={expires}&s={_signature(expires, uri, reader_token, image_secret())}"


def check_image_signature(
    uri: str, expires: str | None, signature: str | None, reader_token: str | None, now_ts: float
) -> str | None:
    """None when the URL may be served, else the reason it may not ("expired", ...)."""
    if not expires or not signature or not reader_token:
        return "missing"
    try:
        exp = int(expires)
    except ValueError:
        return "malformed"
    expected = _signature(exp, uri, reader_token, image_secret())
    if not hmac.compare_digest(expected, signature):
        return "bad_signature"
    if exp < now_ts:
        return "expired"
    return None
