"""Glue between HTTP and the gate for reader views: the reader-token cookie, the
current user for `access_for`, and template helpers for covers and issue links."""

from __future__ import annotations

import time

from flask import Response, current_app, g, request, url_for
from flask_login import current_user

from .. import catalog, storage
from ..access import Access, access_for
from ..models import Issue, User, utcnow
from .views import bp


def reader_token() -> str:
    """This browser session's reader token (created on first use, set as a cookie on the
    response). Login and logout drop it, so a new session gets a new token."""
    token = getattr(g, "reader_token", None) or request.cookies.get(storage.READER_COOKIE)
    if not token:
        token = storage.new_reader_token()
        g.new_reader_token = token
    g.reader_token = token
    return token


@bp.after_app_request
def _set_reader_cookie(response: Response) -> Response:
    token = g.pop("new_reader_token", None)
    if token:
        response.set_cookie(
            storage.READER_COOKIE,
            token,
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
            path="/",
        )
    return response


def rotate_reader_token() -> None:
    """Give this browser a new reader token (at login and logout), so that image URLs
    signed for the previous session stop working in it."""
    token = storage.new_reader_token()
    g.new_reader_token = token
    g.reader_token = token


def current_reader() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def access(issue: Issue) -> Access:
    """The gate's answer for the current reader, decided once per issue and request (a
    view, its templates and its cover helpers all ask)."""
    decided = g.setdefault("access_by_issue", {})
    if issue.id not in decided:
        decided[issue.id] = access_for(current_reader(), issue, utcnow())
    return decided[issue.id]


def cover_url(issue: Issue, size: str = "thumb") -> str | None:
    """A signed URL of page 1 when the gate lets this reader see it (the cover is a
    preview page for every published issue)."""
    if not issue.page_count or not access(issue).allows_page(issue, 1):
        return None
    rendition = _cover_renditions(issue).get(size)
    if not rendition:
        return None
    rel = storage.rendition_relpath(issue.id, issue.rendition_dir or "", rendition["file"])
    return storage.sign_image_url(rel, reader_token(), time.time())


def prefetch_covers(issues: list[Issue]) -> None:
    """Read the covers of a list of issues in one query (see `catalog.cover_renditions`)."""
    cache = g.setdefault("cover_renditions", {})
    cache.update(catalog.cover_renditions([i.id for i in issues if i.id not in cache]))


def _cover_renditions(issue: Issue) -> dict:
    cache = g.setdefault("cover_renditions", {})
    if issue.id not in cache:
        cache.update(catalog.cover_renditions([issue.id]))
    return cache.get(issue.id) or {}


def issue_url(issue: Issue) -> str:
    return url_for("reader.issue", slug=issue.publication.slug, number=issue.number)


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"cover_url": cover_url, "issue_url": issue_url}


# Also as globals: macros imported without context (`{% from ... import cover %}`) see
# globals but not context-processor variables.
bp.add_app_template_global(cover_url, "cover_url")
bp.add_app_template_global(issue_url, "issue_url")
