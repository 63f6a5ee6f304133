"""Publications, issues, their pages and TOC, and where each reader stopped."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from magazine_app.core.extensions import db
from magazine_app.models.base import _enum, utcnow


class Publication(db.Model):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    tagline: Mapped[str] = mapped_column(String(200), default="")
    periodicity: Mapped[str] = mapped_column(String(20), default="weekly")
    position: Mapped[int] = mapped_column(Integer, default=0)

    issues: Mapped[list[Issue]] = relationship(back_populates="publication")

    def __repr__(self) -> str:
        return f"<Publication {self.slug}>"


class IssueStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Issue(db.Model):
    __tablename__ = "issues"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    period_label: Mapped[str] = mapped_column(String(120), default="")
    release_date: Mapped[date | None] = mapped_column(Date)
    cover_lines_json: Mapped[str] = mapped_column("cover_lines", Text, default="[]")
    # Publication: None = not published; a future time = scheduled. No job runs at that moment:
    # readers see the issue once publish_at <= now (access.is_published).
    publish_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    preview_pages: Mapped[int] = mapped_column(Integer)  # new issues: config PREVIEW_PAGES
    # Processing (written by the job's supervisor)
    status: Mapped[IssueStatus] = mapped_column(
        _enum(IssueStatus, "issue_status"), default=IssueStatus.QUEUED
    )
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processing_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The running job's lease (processing.py): which worker holds it, and until when (each
    # heartbeat moves it JOB_LEASE_SECONDS ahead). None when no job holds the issue.
    job_owner: Mapped[str | None] = mapped_column(String(80))
    job_lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    # Result of processing
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    toc_source: Mapped[str | None] = mapped_column(String(20))
    rendition_dir: Mapped[str | None] = mapped_column(String(200))
    # The uploaded file
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    source_path: Mapped[str | None] = mapped_column(String(400))
    source_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    source_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    publication: Mapped[Publication] = relationship(back_populates="issues")
    pages: Mapped[list[Page]] = relationship(
        back_populates="issue",
        order_by="Page.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    toc_entries: Mapped[list[TocEntry]] = relationship(
        back_populates="issue",
        order_by="TocEntry.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def cover_lines(self) -> list[dict[str, str]]:
        return json.loads(self.cover_lines_json or "[]")

    @cover_lines.setter
    def cover_lines(self, value: list[dict[str, str]]) -> None:
        self.cover_lines_json = json.dumps(value, ensure_ascii=False)

    def __repr__(self) -> str:
        return f"<Issue {self.publication_id}#{self.number} {self.status}>"


class Page(db.Model):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("issue_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(32), default="")
    width: Mapped[float] = mapped_column(default=0.0)  # points, as displayed
    height: Mapped[float] = mapped_column(default=0.0)
    text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[x0,y0,x1,y1,word]] in 0..1
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    renditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    issue: Mapped[Issue] = relationship(back_populates="pages")


class TocEntry(db.Model):
    __tablename__ = "toc_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(300))
    page: Mapped[int] = mapped_column(Integer)

    issue: Mapped[Issue] = relationship(back_populates="toc_entries")


class ReadingPosition(db.Model):
    __tablename__ = "reading_positions"
    __table_args__ = (UniqueConstraint("user_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    issue: Mapped[Issue] = relationship()
