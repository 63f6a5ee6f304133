"""Plans, subscriptions, single-issue purchases, and the billing API's keys and idempotency
records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from magazine_app.core.extensions import db
from magazine_app.models.base import _enum, utcnow

if TYPE_CHECKING:  # relationships name these classes; the registry resolves them
    from magazine_app.models.accounts import User
    from magazine_app.models.catalog import Issue, Publication

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
    """What the billing system (or staff) says of a subscription; what each status opens,
    and until when, is the gate's rule (access.readable_until)."""

    ACTIVE = "active"
    TRIALING = "trialing"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


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
