"""The domain's tables, as SQLAlchemy 2.0 typed models.

Conventions: datetimes are naive UTC (`utcnow()`), dates are calendar dates in the
publisher's time zone. Enums are stored as short strings (portable between SQLite and
PostgreSQL, readable in SQL). Domain logic lives in the domain modules, not here; models
only carry small derived properties.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    """Naive UTC now: the one clock of the database."""
    return datetime.now(UTC).replace(tzinfo=None)


PUBLISHER_TZ = ZoneInfo("Africa/Casablanca")


def local_date(moment: datetime | None = None) -> date:
    """The publisher's calendar date at `moment` (naive UTC; default now). Subscription
    periods and release dates are days in Casablanca, not in UTC."""
    moment = moment or utcnow()
    return moment.replace(tzinfo=UTC).astimezone(PUBLISHER_TZ).date()


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


# --------------------------------------------------------------------------- accounts


class Role(StrEnum):
    READER = "reader"
    STAFF = "staff"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.READER)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the owner proved they read this mailbox (accounts.py); None: not yet.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime)

    sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Subscription.user_id",
    )
    purchases: Mapped[list[Purchase]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginSession(db.Model):
    """One logged-in browser. The session cookie only names this row, so logging out
    (revoking the row) makes a copied or replayed cookie worthless."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(back_populates="sessions")

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


# --------------------------------------------------------------------------- catalogue


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
    # readers see the issue once publish_at <= now (see access.py).
    publish_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    preview_pages: Mapped[int] = mapped_column(Integer, default=3)
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

    def is_published(self, now: datetime) -> bool:
        return (
            self.status is IssueStatus.READY
            and self.publish_at is not None
            and self.publish_at <= now
        )

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


# --------------------------------------------------------------------------- abonnements

plan_publications = Table(
    "plan_publications",
    db.Model.metadata,
    Column("plan_id", ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
    Column("publication_id", ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True),
)


class Plan(db.Model):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stable, e.g. "challenge-1an"
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    price_label: Mapped[str] = mapped_column(String(60), default="")
    duration_months: Mapped[int] = mapped_column(Integer, default=12)
    includes_back_issues: Mapped[bool] = mapped_column(Boolean, default=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    publications: Mapped[list[Publication]] = relationship(secondary=plan_publications)


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    TRIALING = "trialing"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# Statuses under which a subscription may give access (subject to its dates and grace).
ACTIVE_STATUSES = frozenset(
    {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.CANCELLED,
    }
)


class Subscription(db.Model):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    status: Mapped[SubscriptionStatus] = mapped_column(
        _enum(SubscriptionStatus, "subscription_status"), default=SubscriptionStatus.ACTIVE
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    grace_until: Mapped[date | None] = mapped_column(Date)  # for past_due
    billing_reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="subscriptions", foreign_keys=[user_id])
    plan: Mapped[Plan] = relationship()
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Purchase(db.Model):
    """A single-issue purchase ("achat au numéro"): an entitlement to one issue."""

    __tablename__ = "purchases"
    __table_args__ = (UniqueConstraint("user_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    billing_reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(back_populates="purchases")
    issue: Mapped[Issue] = relationship()


# --------------------------------------------------------------------------- billing API


class ApiClient(db.Model):
    """A billing system's key. Only the SHA-256 of the key is stored; the prefix is shown
    in listings so that staff can tell keys apart."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class IdempotencyRecord(db.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --------------------------------------------------------------------------- reading


class ReadingPosition(db.Model):
    __tablename__ = "reading_positions"
    __table_args__ = (UniqueConstraint("user_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    issue: Mapped[Issue] = relationship()


# ----------------------------------------------------------------- staff: audit, statistics


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
