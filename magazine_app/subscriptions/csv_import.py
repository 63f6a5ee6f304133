"""Importing subscribers from a CSV file (e.g. the list kept before this site existed).

Each row is validated and applied in its own SAVEPOINT: a row in error changes nothing
(not even the account it would have created, nor its audit line) and is reported with its
reason, while the good rows go through. A row that creates or changes a subscription is
audited ("subscription.import"). The caller commits once at the end.

Accounts are found or created as for the billing API (subscriptions.find_or_claim_reader):
an existing account whose address was never verified is taken back for the mailbox
before it receives the plan, and its claim link leaves only if its row is committed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from magazine_app.accounts import operations as accounts
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import Subscription, SubscriptionStatus, User, local_date
from magazine_app.subscriptions.operations import (
    SubscriptionError,
    check_period,
    find_or_claim_reader,
    period_text,
    plan_by_code,
    subscription_by_reference,
)

COLUMNS = ("email", "name", "plan", "starts_on", "ends_on", "status", "billing_reference")
REQUIRED_COLUMNS = ("email", "plan", "ends_on")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REFERENCE_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,120}$")


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class RowReport:
    line: int  # line number in the file (the header is line 1)
    email: str
    outcome: Outcome
    reason: str = ""
    account_created: bool = False
    claim_sent: bool = False  # an unverified account was claimed (claim link queued)

    @property
    def refused(self) -> bool:
        return self.outcome is Outcome.REFUSED


class RowError(ValueError):
    """Why a row is refused, in French."""


def parse_date(raw: str, field: str) -> date:
    raw = raw.strip()
    if not _DATE_RE.match(raw):
        raise RowError(f"{field} : date attendue au format AAAA-MM-JJ (reçu « {raw} »).")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise RowError(f"{field} : date impossible (« {raw} »).") from exc


@dataclass(frozen=True)
class _Row:
    email: str
    name: str
    plan_code: str
    starts_on: date
    ends_on: date
    status: SubscriptionStatus
    reference: str | None


def _parse(row: Mapping[str, str | None]) -> _Row:
    def get(key: str) -> str:
        return (row.get(key) or "").strip()

    for key in REQUIRED_COLUMNS:
        if not get(key):
            raise RowError(f"{key} : valeur manquante.")
    email = accounts.normalise_email(get("email"))
    starts_on = parse_date(get("starts_on"), "starts_on") if get("starts_on") else local_date()
    ends_on = parse_date(get("ends_on"), "ends_on")
    check_period(starts_on, ends_on)
    raw_status = get("status").lower() or SubscriptionStatus.ACTIVE.value
    try:
        status = SubscriptionStatus(raw_status)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in SubscriptionStatus)
        raise RowError(f"status : « {raw_status} » inconnu (valeurs : {allowed}).") from exc
    reference = get("billing_reference") or None
    if reference is not None and not _REFERENCE_RE.match(reference):
        raise RowError("billing_reference : lettres, chiffres, « . _ : - » (120 au plus).")
    return _Row(email, get("name")[:120], get("plan"), starts_on, ends_on, status, reference)


def _apply(data: _Row, actor: User | None) -> tuple[Outcome, bool, bool]:
    """(outcome, account created, account claimed) of one row, inside its savepoint."""
    plan = plan_by_code(data.plan_code)
    if plan is None:
        raise RowError(f"plan : formule inconnue « {data.plan_code} ».")
    # Somebody may have signed up with this subscriber's address: the claim ends their
    # sessions and forgets their password. A refusal below rolls the savepoint back,
    # which undoes the claim and drops its mail (mail.queue_mail_after_commit).
    user, account_created, claimed = find_or_claim_reader(data.email)
    if data.name and not user.name:
        user.name = data.name

    if data.reference is not None:
        sub = subscription_by_reference(data.reference)
        if sub is not None and sub.user_id != user.id:
            raise RowError(
                f"billing_reference : « {data.reference} » appartient déjà à {sub.user.email}."
            )
    else:
        sub = db.session.scalar(
            select(Subscription).where(
                Subscription.user_id == user.id,
                Subscription.plan_id == plan.id,
                Subscription.starts_on == data.starts_on,
                Subscription.billing_reference.is_(None),
            )
        )
    if sub is None:
        sub = Subscription(user=user, billing_reference=data.reference, note="Import CSV")
        db.session.add(sub)
        outcome = Outcome.CREATED
    else:
        same = (sub.plan_id, sub.status, sub.starts_on, sub.ends_on) == (
            plan.id,
            data.status,
            data.starts_on,
            data.ends_on,
        )
        outcome = Outcome.UNCHANGED if same else Outcome.UPDATED
    sub.plan = plan
    sub.status = data.status
    sub.starts_on = data.starts_on
    sub.ends_on = data.ends_on
    db.session.flush()
    if outcome is not Outcome.UNCHANGED:
        audit.record(
            actor or audit.Via.CLI,
            "subscription.import",
            f"{user.email} : {plan.name} {period_text(data.starts_on, data.ends_on)}",
            sub,
            {"user_id": user.id, "plan": plan.code, "outcome": outcome.value},
        )
    return outcome, account_created, claimed


def import_subscribers(
    rows: Iterable[Mapping[str, str | None]], *, actor: User | None, first_line: int = 2
) -> list[RowReport]:
    """Apply each row in its own savepoint; report created / updated / unchanged / refused."""
    reports: list[RowReport] = []
    for line, row in enumerate(rows, start=first_line):
        email = (row.get("email") or "").strip()
        try:
            with db.session.begin_nested():
                outcome, account_created, claimed = _apply(_parse(row), actor)
        except (RowError, SubscriptionError, accounts.AccountError) as exc:
            reports.append(RowReport(line, email, Outcome.REFUSED, str(exc)))
        except IntegrityError as exc:
            reason = f"refusé par la base de données ({exc.orig.__class__.__name__})."
            reports.append(RowReport(line, email, Outcome.REFUSED, reason))
        else:
            reports.append(RowReport(line, email, outcome, "", account_created, claimed))
    return reports


def accounts_created(reports: list[RowReport]) -> list[User]:
    """The accounts this import created (to send them a set-your-password link)."""
    emails = [r.email.lower() for r in reports if r.account_created]
    if not emails:
        return []
    return [u for e in emails if (u := accounts.find_user(e)) is not None]
