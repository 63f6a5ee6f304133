"""Plans and subscriptions (domain functions; no HTTP)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Plan


def public_plans() -> list[Plan]:
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.is_public.is_(True))
            .options(selectinload(Plan.publications))
            .order_by(Plan.position, Plan.id)
        )
    )


def plan_by_code(code: str) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.code == code))
