"""What every table shares: the clock (naive UTC), the publisher's calendar, and how
enums are stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Enum,
)


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
