"""What the viewer receives for an issue, decided by the gate: signed image URLs for the
pages the reader may see, an illegible placeholder for the others, text and links only for
readable pages. No HTTP here; the reader blueprint turns it into JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import load_only

from magazine_app import storage
from magazine_app.access import Access, Level, visible_issues
from magazine_app.core.extensions import db
from magazine_app.models import Issue, Page, ReadingPosition, User, utcnow

# What the viewer needs of a page; text and word boxes (the bulk of a row) stay unread.
_VIEWER_COLUMNS = (Page.number, Page.label, Page.width, Page.height, Page.links, Page.renditions)


def page_entry(
    issue: Issue, page: Page, access: Access, reader_token: str, now_ts: float
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "number": page.number,
        "label": page.label,
        "width": page.width,
        "height": page.height,
        "placeholder": page.renditions.get("placeholder"),
    }
    if not access.allows_page(issue, page.number):
        entry["locked"] = True
        return entry
    entry["locked"] = False
    for size in storage.RENDITION_SIZES:
        rendition = page.renditions.get(size)
        if rendition:
            entry[size] = {
                "url": storage.rendition_url(issue, rendition, reader_token, now_ts),
                "width": rendition["width"],
                "height": rendition["height"],
            }
    entry["links"] = page.links
    return entry


def viewer_payload(issue: Issue, access: Access, reader_token: str, now_ts: float) -> dict:
    """Everything the viewer needs in one answer (a few KB per page)."""
    if access.level is Level.NONE:
        raise PermissionError(access.message)
    return {
        "issue": {
            "id": issue.id,
            "publication": issue.publication.slug,
            "publication_title": issue.publication.title,
            "number": issue.number,
            "period": issue.period_label,
            "page_count": issue.page_count,
            "preview_pages": issue.preview_pages,
        },
        "access": {
            "level": access.level.value,
            "reason": access.reason.value,
            "message": gettext(access.message),
        },
        "toc": [{"level": t.level, "title": t.title, "page": t.page} for t in issue.toc_entries],
        "pages": [page_entry(issue, p, access, reader_token, now_ts) for p in viewer_pages(issue)],
    }


def viewer_pages(issue: Issue) -> list[Page]:
    """The issue's pages without their text: a 140-page issue's words are megabytes."""
    return list(
        db.session.scalars(
            select(Page)
            .where(Page.issue_id == issue.id)
            .options(load_only(*_VIEWER_COLUMNS))
            .order_by(Page.number)
        )
    )


def viewer_page(issue: Issue, number: int) -> Page | None:
    return db.session.scalar(
        select(Page)
        .where(Page.issue_id == issue.id, Page.number == number)
        .options(load_only(*_VIEWER_COLUMNS))
    )


def page_text(issue: Issue, number: int, access: Access) -> dict[str, Any] | None:
    """The text of one page in reading order, or None when the gate hides it."""
    if not access.allows_page(issue, number):
        return None
    page = db.session.scalar(select(Page).where(Page.issue_id == issue.id, Page.number == number))
    if page is None:
        return None
    return {"number": page.number, "label": page.label, "text": page.text, "words": page.words}


POSITION_MAX_BODY = 1024  # {"page": n} and a little room


def position_page(data: Any) -> int | None:
    """The page of a reading-position body {"page": n} (n >= 1), or None when malformed.
    Past the last page is clamped by `save_position`."""
    page = data.get("page") if isinstance(data, dict) else None
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        return None
    return page


def save_position(user: User, issue: Issue, page: int) -> ReadingPosition:
    page = max(1, min(page, issue.page_count or 1))
    row = db.session.scalar(
        select(ReadingPosition).where(
            ReadingPosition.user_id == user.id, ReadingPosition.issue_id == issue.id
        )
    )
    if row is None:
        row = ReadingPosition(user_id=user.id, issue_id=issue.id, page=page)
        db.session.add(row)
    row.page = page
    row.updated_at = utcnow()
    db.session.flush()
    return row


def saved_position(user: User | None, issue: Issue) -> int | None:
    """The page where this reader left the issue (on any device), or None."""
    if user is None:
        return None
    return db.session.scalar(
        select(ReadingPosition.page).where(
            ReadingPosition.user_id == user.id, ReadingPosition.issue_id == issue.id
        )
    )


def in_progress(user: User | None, now: datetime, limit: int = 4) -> list[ReadingPosition]:
    """Issues this reader has started and not finished, most recent first: the kiosk's
    "Continuer la lecture". Only issues a visitor can still find (the kiosk is public,
    staff included)."""
    if user is None:
        return []
    rows = db.session.scalars(
        select(ReadingPosition)
        .join(ReadingPosition.issue)
        .where(
            ReadingPosition.user_id == user.id,
            ReadingPosition.page > 1,
            ReadingPosition.page < Issue.page_count,
            visible_issues(None, now),
        )
        .order_by(ReadingPosition.updated_at.desc())
        .limit(limit)
    )
    return list(rows)
