"""What staff read back: the audit trail and the reading statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from magazine_app.core.extensions import db
from magazine_app.models.base import utcnow

if TYPE_CHECKING:  # relationships name these classes; the registry resolves them
    from magazine_app.models.accounts import User
    from magazine_app.models.catalog import Issue


class AuditEvent(db.Model):
    """One staff action that changed content or access: who, what, when. The actor's
    e-mail is copied so that the line stays readable after the account is deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "issue.publish"
    target_type: Mapped[str] = mapped_column(String(20), default="")  # "issue", "user", ...
    target_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class IssueReader(db.Model):
    """One reader (account, or anonymous browser token) of one issue: when they came,
    how long they read, which pages they saw. Updated once per batch of viewer events."""

    __tablename__ = "issue_readers"
    __table_args__ = (UniqueConstraint("issue_id", "reader_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    reader_key: Mapped[str] = mapped_column(String(64))  # "u<id>" or "t<hash of token>"
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_page: Mapped[int] = mapped_column(Integer, default=1)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    pages_seen: Mapped[list[Any]] = mapped_column(JSON, default=list)

    issue: Mapped[Issue] = relationship()


class PageStat(db.Model):
    """Counters per (issue, page, day), upserted once per batch: new readers of the page,
    viewer events and seconds. Never one write per image request."""

    __tablename__ = "page_stats"
    __table_args__ = (UniqueConstraint("issue_id", "page", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    readers: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(Integer, default=0)
