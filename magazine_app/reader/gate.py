"""Glue between HTTP and the gate for reader views: the reader token (issued here, carried
by the `mgz_reader` cookie), the current user for `access_for`, and template helpers for
covers and issue links."""

from __future__ import annotations

from flask import Response, g, url_for
from flask_login import current_user

from magazine_app import storage
from magazine_app.access import Access, access_for
from magazine_app.catalog import queries as catalog
from magazine_app.models import Issue, User, utcnow
from magazine_app.reader import bp


@bp.after_app_request
def _set_reader_cookie(response: Response) -> Response:
    # The token is issued by storage.reader_token(); this hook carries it to the browser.
    return storage.set_pending_reader_cookie(response)


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
    return storage.rendition_url(issue, rendition)


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


# Template globals, not context-processor variables: macros imported without context
# (`{% from ... import cover %}`) see globals only.
bp.add_app_template_global(cover_url, "cover_url")
bp.add_app_template_global(issue_url, "issue_url")
