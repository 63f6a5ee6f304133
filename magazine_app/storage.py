"""Where files live, and the signed URLs that let a browser fetch a page image.

Layout under STORAGE_ROOT (immutable names: a re-processed issue gets a new version folder):

    originals/<sha256>.pdf                       uploaded PDFs (never served to browsers)
    issues/<issue id>/<version>/<size>/<file>    renditions written by ingestion
    issues/<issue id>/<version>/manifest.json    ingestion's record (never served)
    staging/<issue id>-<token>/                  work in progress (never served)

Signed image URLs: `/img/issues/<id>/<version>/<size>/<file>?e=<expires>&s=<signature>` with

    signature = base64url(md5(f"{expires}|{uri}|{reader_token}|{secret}")), without padding

which is exactly what nginx's `secure_link_md5 "$secure_link_expires|$uri|$cookie_mgz_reader|
$secret"` computes, so nginx can check a URL alone and serve the file with no Python
(deploy/nginx/magazine.conf.template). Three rules keep the construction unambiguous, so
that no byte can move from one field into another and still verify:

- the `|` separators can occur in none of the fields: `expires` is the decimal the server
  wrote (checked as a string, never re-spelled), the reader token has a fixed alphabet and
  length, and `uri` must match RENDITION_PATH, a rendition file's path and nothing else;
- the reader token is issued by the server only (reader/gate.py): a cookie value it did not
  issue gets a fresh token, never a signature;
- a request path whose raw form differs from that exact shape (dot segments, empty
  segments, percent-encoding) is refused before the signature is even computed.

The reader token identifies one browser session: a URL copied into another browser
(another token) is refused. Expiry is minutes, not days; it is rounded up to a bucket so
that the same page keeps the same URL (and browser cache) for a while.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import shutil
import string
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Response, current_app, g, request, session
from flask_login import current_user
from werkzeug.security import safe_join

from magazine_app.models import SESSION_KEY, Issue

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


def staging_dir(issue_id: int, token: str) -> Path:
    """The work folder of one job on an issue; `token` is its lease's (processing.py), so
    that the leftover sweep can tell a live job's folder from a dead one's."""
    return resolve(f"staging/{issue_id}-{token}")


# --------------------------------------------------------------------------- signed URLs

# A rendition file and nothing else: issues/<id>/<version>/<size>/<page>-<sha12>.<ext>.
# nginx's location for /img/ uses the same pattern (deploy/nginx/magazine.conf.template;
# a test checks that both agree).
RENDITION_PATH = (
    r"issues/[1-9][0-9]{0,9}/v[0-9]{1,12}-[0-9a-z]{1,16}/(?:thumb|screen|zoom)/"
    r"[0-9]{4,5}-[0-9a-f]{12}\.(?:webp|jpg|avif|png)"
)
_RENDITION_RE = re.compile(RENDITION_PATH)
READER_TOKEN_ALPHABET = string.ascii_letters + string.digits
READER_TOKEN_LENGTH = 32
_READER_TOKEN_RE = re.compile(f"[A-Za-z0-9]{{{READER_TOKEN_LENGTH}}}")
# The decimal a server writes for a Unix time: no sign, no leading zero, no underscore.
_EXPIRES_RE = re.compile(r"[1-9][0-9]{0,11}")


def is_rendition_path(relative: str) -> bool:
    """True for the path (under STORAGE_ROOT) of a page rendition, in its one spelling."""
    return _RENDITION_RE.fullmatch(relative) is not None


def is_reader_token(value: str | None) -> bool:
    return value is not None and _READER_TOKEN_RE.fullmatch(value) is not None


def new_reader_token() -> str:
    return "".join(secrets.choice(READER_TOKEN_ALPHABET) for _ in range(READER_TOKEN_LENGTH))


def derived_reader_token(login_session_id: str) -> str:
    """The reader token of a server-side login session: recorded with it by construction
    (nothing to store), new at every login, useless once the session is revoked."""
    digest = hmac.new(
        image_secret().encode(), b"reader-token\x00" + login_session_id.encode(), hashlib.sha512
    ).digest()
    alphabet = READER_TOKEN_ALPHABET
    return "".join(alphabet[b % len(alphabet)] for b in digest[:READER_TOKEN_LENGTH])


# Where an anonymous visitor's reader token is recorded: their signed session cookie.
ANONYMOUS_TOKEN_KEY = "rt"  # noqa: S105 (a session key, not a secret)


def _issued_reader_token() -> str:
    """The reader token the server issued to this browser session.

    Logged in: derived from the server-side login session (new at every login, dead with
    the session). Anonymous: a random token recorded in the signed session, created on
    first use; logout clears the session, so it gets a new one. The `mgz_reader` cookie
    only carries the token to nginx; its value is never trusted to choose one."""
    sid = session.get(SESSION_KEY)
    if sid and current_user.is_authenticated:
        return derived_reader_token(str(sid))
    token = session.get(ANONYMOUS_TOKEN_KEY)
    if not is_reader_token(token):
        token = new_reader_token()
        session[ANONYMOUS_TOKEN_KEY] = token
    return token


def reader_token(*, reissue: bool = False) -> str:
    """This browser session's reader token, for signing image URLs. When the cookie does
    not carry it (first visit, a value the server never issued), the response sets it, and
    every URL of this response is signed for the issued token. Login and logout ask again
    with `reissue=True` once the session has changed, so the browser gets the new token
    on the redirect itself and URLs signed before stop working in it at once."""
    token = None if reissue else getattr(g, "reader_token", None)
    if token is None:
        token = _issued_reader_token()
        if request.cookies.get(READER_COOKIE) != token:
            g.new_reader_token = token
        g.reader_token = token
    return token


def set_pending_reader_cookie(response: Response) -> Response:
    token = g.pop("new_reader_token", None)
    if token:
        response.set_cookie(
            READER_COOKIE,
            token,
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
            path="/",
        )
    return response


def image_secret() -> str:
    """The secret shared with nginx. Derived from SECRET_KEY unless set explicitly, so
    that rotating it never needs the application's own secret to be handed out."""
    explicit = current_app.config["IMAGE_URL_SECRET"]
    if explicit:
        return str(explicit)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"page-image-urls", hashlib.sha256).hexdigest()


def _signature(expires: str, uri: str, reader_token: str, secret: str) -> str:
    # MD5 because nginx's secure_link_md5 is MD5; the secret is a suffix (no length extension).
    digest = hashlib.md5(
        f"{expires}|{uri}|{reader_token}|{secret}".encode(), usedforsecurity=False
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def expiry_for(now_ts: float) -> int:
    """Expiry rounded up to a bucket: URLs stay stable (cacheable) for BUCKET seconds and
    valid for at least TTL seconds."""
    ttl = int(current_app.config["IMAGE_URL_TTL"])
    bucket = int(current_app.config["IMAGE_URL_BUCKET"])
    return (int(now_ts + ttl) // bucket + 1) * bucket


def sign_image_url(relative: str, reader_token: str, now_ts: float) -> str:
    """A signed URL of one rendition file for one reader token (issued by the server)."""
    if not is_rendition_path(relative):
        raise StorageError(f"not a rendition file: {relative!r}")
    if not is_reader_token(reader_token):
        raise StorageError("not a reader token issued by the server")
    uri = IMAGE_PREFIX + relative
    expires = str(expiry_for(now_ts))
    return f"{uri}?e={expires}&s={_signature(expires, uri, reader_token, image_secret())}"


def rendition_url(
    issue: Issue,
    rendition: Mapping[str, Any],
    token: str | None = None,
    now_ts: float | None = None,
) -> str:
    """The signed URL of one of an issue's rendition files (`page.renditions[size]`), for
    the current reader's token unless one is given. Signing is the gate's last mile: the
    caller has asked the gate (Access.allows_page) for this page first."""
    rel = rendition_relpath(issue.id, issue.rendition_dir or "", rendition["file"])
    return sign_image_url(rel, token or reader_token(), time.time() if now_ts is None else now_ts)


def check_image_signature(
    uri: str, expires: str | None, signature: str | None, reader_token: str | None, now_ts: float
) -> str | None:
    """None when the URL may be served, else the reason it may not ("expired", ...).

    `uri` must be the raw request path: its shape is checked here again, so that a caller
    that forgot to cannot turn a signature into a read of another file."""
    if not uri.startswith(IMAGE_PREFIX) or not is_rendition_path(uri[len(IMAGE_PREFIX) :]):
        return "not_a_rendition"
    if not expires or not signature or not reader_token:
        return "missing"
    if not _EXPIRES_RE.fullmatch(expires) or not is_reader_token(reader_token):
        return "malformed"
    expected = _signature(expires, uri, reader_token, image_secret())
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "bad_signature"
    if int(expires) < now_ts:
        return "expired"
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store_original(path: Path, *, move: bool = False) -> tuple[str, int, Path]:
    """Copy (or move) a PDF into originals/<sha256>.pdf; returns (sha, bytes, path)."""
    sha = sha256_file(path)
    target = original_path(sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
        if move:
            shutil.move(str(path), tmp)
        else:
            shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    elif move:
        path.unlink()
    return sha, target.stat().st_size, target
