"""Plans and subscriptions (domain functions; no HTTP). Single-issue purchases are in
subscriptions/purchases.py.

Every function adds and flushes, and each change writes its own audit line: `actor` is
the staff member, None the command line; the billing API's upsert says "via the API" in
its line. The view, CLI command or API endpoint commits once.
The billing system is the authority on subscriptions it created: it sends a monotonic
`version` with each change, and an older version never overwrites a newer one (webhooks
and retries arrive out of order). What a reader has, and where it stands, is read in
subscriptions/entitlements.py.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from magazine_app.accounts import operations as accounts
from magazine_app.accounts.mails import queue_claim_mail_after_commit
from magazine_app.core import audit
from magazine_app.core.extensions import db
from magazine_app.models import (
    Plan,
    Subscription,
    SubscriptionStatus,
    User,
    local_date,
)


class SubscriptionError(ValueError):
    """A refusal with the sentence staff or the billing system will read.

    `code` is a stable machine-readable word for the API; `field` names the value refused
    when it is one of the caller's (the API answers it with the error)."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.field = field


class StaleVersion(SubscriptionError):
    """The change is older than (or conflicts with) what is stored; nothing was changed."""

    code = "stale_version"

    def __init__(self, message: str, current: Subscription) -> None:
        super().__init__(message)
        self.current = current


# --------------------------------------------------------------------------- plans


def public_plans() -> list[Plan]:
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.is_public.is_(True))
            .options(selectinload(Plan.publications))
            .order_by(Plan.position, Plan.id)
        )
    )


def all_plans() -> list[Plan]:
    """Every plan, public or not: the billing system may sell private ones."""
    return list(
        db.session.scalars(
            select(Plan).options(selectinload(Plan.publications)).order_by(Plan.position, Plan.id)
        )
    )


def plan_by_code(code: str) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.code == code))


# --------------------------------------------------------------------------- granting


def check_period(starts_on: date, ends_on: date) -> None:
    """The one check of a period's order (console, command line, API, CSV import)."""
    if ends_on < starts_on:
        raise SubscriptionError(
            "La date de fin précède la date de début.", code="ends_before_starts", field="ends_on"
        )


def period_text(starts_on: date, ends_on: date) -> str:
    return f"du {starts_on:%d/%m/%Y} au {ends_on:%d/%m/%Y}"


def grant(
    user: User,
    plan: Plan,
    starts_on: date,
    ends_on: date,
    *,
    actor: User | None,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    note: str = "",
) -> Subscription:
    """Give `user` a subscription by hand (staff, CLI): no billing reference."""
    check_period(starts_on, ends_on)
    sub = Subscription(
        user=user,
        plan=plan,
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        granted_by=actor,
        note=note[:300],
    )
    db.session.add(sub)
    db.session.flush()
    audit.record(
        actor or audit.Via.CLI,
        "subscription.grant",
        f"{user.email} : {plan.name} {period_text(starts_on, ends_on)}",
        sub,
        {"user_id": user.id, "plan": plan.code},
    )
    return sub


def revoke(subscription: Subscription, *, actor: User | None, today: date | None = None) -> None:
    """End a subscription now: it opens nothing from here on."""
    today = today or local_date()
    subscription.status = SubscriptionStatus.EXPIRED
    subscription.ends_on = max(subscription.starts_on, min(subscription.ends_on, today))
    subscription.grace_until = None
    if actor is not None:
        subscription.note = f"Révoqué par {actor.email}"[:300]
    db.session.flush()
    audit.record(
        actor or audit.Via.CLI,
        "subscription.revoke",
        f"{subscription.user.email} : {subscription.plan.name}",
        subscription,
        {"user_id": subscription.user_id},
    )


def extend(subscription: Subscription, until: date, *, actor: User | None) -> bool:
    """Move the end date (and reopen an ended subscription). The same end date changes
    nothing, not even the status: False, and no audit line."""
    before = subscription.ends_on
    if until == before:
        return False
    check_period(subscription.starts_on, until)
    subscription.ends_on = until
    if subscription.status is SubscriptionStatus.EXPIRED:
        subscription.status = SubscriptionStatus.ACTIVE
    db.session.flush()
    audit.record(
        actor or audit.Via.CLI,
        "subscription.extend",
        f"{subscription.user.email} : {subscription.plan.name} jusqu'au {until:%d/%m/%Y} "
        f"(au lieu du {before:%d/%m/%Y})",
        subscription,
        {"user_id": subscription.user_id, "before": before.isoformat(), "after": until.isoformat()},
    )
    return True


class Reader(NamedTuple):
    user: User
    created: bool
    claimed: bool  # an unverified account was taken back for its mailbox (claim mailed)


def find_or_claim_reader(email: str) -> Reader:
    """The account that a subscription or purchase for `email` goes to: created without a
    password when new (the caller mails the welcome link), else the existing one, taken
    back for the mailbox first when its address was never verified
    (accounts.claim_for_entitlement: its sessions end, its password is forgotten, and the
    claim link is mailed once the transaction commits). So an attacker who signed up with
    a future buyer's address never holds the paid plan.

    Tolerates a concurrent request creating the same account between the two steps."""
    user = accounts.find_user(email)
    if user is None:
        try:
            return Reader(accounts.create_user(email, None), True, False)
        except accounts.AccountError:
            user = accounts.find_user(email)
            if user is None:
                raise
    return Reader(user, False, _claim(user))


def _claim(user: User) -> bool:
    if not accounts.claim_for_entitlement(user):
        return False
    queue_claim_mail_after_commit(user)
    return True


class UpsertResult(NamedTuple):
    subscription: Subscription
    created: bool
    user_created: bool
    claim_sent: bool = False


def subscription_by_reference(reference: str) -> Subscription | None:
    return db.session.scalar(
        select(Subscription).where(Subscription.billing_reference == reference)
    )


def upsert_by_billing_reference(
    reference: str,
    email: str,
    plan_code: str,
    status: SubscriptionStatus | str,
    starts_on: date,
    ends_on: date,
    version: int,
    grace_until: date | None = None,
) -> UpsertResult:
    """Create or update the subscription the billing system knows as `reference`.

    Idempotent: replaying the same change answers the same and changes nothing. An older
    version, or the same version carrying other data, raises StaleVersion (nothing changed),
    so that out-of-order webhooks never roll a subscription back. The reader's account is
    created (without a password) when the e-mail is new, and claimed when it exists but
    was never verified (find_or_claim_reader). A change is audited (via the API); a
    replay is not, as it changes nothing."""
    try:
        status = SubscriptionStatus(status)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in SubscriptionStatus)
        raise SubscriptionError(
            f"Statut inconnu (valeurs : {allowed}).", code="invalid_status", field="status"
        ) from exc
    plan = plan_by_code(plan_code)
    if plan is None:
        raise SubscriptionError(
            f"Formule inconnue : « {plan_code} ».", code="unknown_plan", field="plan"
        )
    check_period(starts_on, ends_on)
    email = accounts.normalise_email(email)

    sub = subscription_by_reference(reference)
    if sub is not None:
        wanted = (email, plan.id, status, starts_on, ends_on, grace_until)
        stored = (sub.user.email, sub.plan_id, sub.status, sub.starts_on, sub.ends_on)
        stored += (sub.grace_until,)
        if version < sub.version:
            raise StaleVersion(
                f"Version {version} plus ancienne que la version enregistrée ({sub.version}).",
                sub,
            )
        if version == sub.version:
            if wanted == stored:
                return UpsertResult(sub, False, False)
            raise StaleVersion(
                f"La version {version} est déjà enregistrée avec d'autres données.", sub
            )

    user, user_created, claimed = find_or_claim_reader(email)

    created = sub is None
    if sub is None:
        sub = Subscription(billing_reference=reference, user=user)
        db.session.add(sub)
    sub.user = user
    sub.plan = plan
    sub.status = status
    sub.starts_on = starts_on
    sub.ends_on = ends_on
    sub.grace_until = grace_until
    sub.version = version
    db.session.flush()
    audit.record(
        audit.Via.API,
        "subscription.billing",
        f"{email} : {plan.name} {period_text(starts_on, ends_on)} ({status.value}, "
        f"version {version})",
        sub,
        {"user_id": user.id, "plan": plan.code, "reference": reference, "created": created},
    )
    return UpsertResult(sub, created, user_created, claimed)
