"""The demo accounts: staff, a subscriber who reads everything and a reader without a
subscription who meets the gate (preview pages, call to subscribe)."""

from __future__ import annotations

from datetime import timedelta

from magazine_app.accounts import operations as accounts
from magazine_app.models import Role, User, local_date, utcnow
from magazine_app.subscriptions.operations import grant, plan_by_code

DEMO_ACCOUNTS = [
    ("admin@challenge.ma", "admin-demo-2022", Role.ADMIN, "Admin Challenge"),
    ("redaction@challenge.ma", "redaction-demo-2022", Role.STAFF, "Rédaction Challenge"),
    ("abonne@challenge.ma", "abonne-demo-2022", Role.READER, "Abonnée démo"),
    ("lecteur@challenge.ma", "lecteur-demo-2022", Role.READER, "Lecteur démo"),
]
# The demo subscriber reads everything (both magazines and their archives); the demo
# reader has no subscription and meets the gate.
DEMO_SUBSCRIPTIONS = {"abonne@challenge.ma": "pack-challenge-auto"}


class DemoError(RuntimeError):
    """The database lacks what the demo needs (the seed plans of the migrations)."""


def demo_label(email: str, role: Role) -> str:
    return "subscriber" if email in DEMO_SUBSCRIPTIONS else role.value


def create_demo_accounts() -> list[tuple[str, str, Role]]:
    """Create the demo accounts that do not exist yet; returns (email, password, role) of
    those created. Adds and flushes: the caller commits."""
    created = []
    for email, password, role, name in DEMO_ACCOUNTS:
        if accounts.find_user(email) is not None:
            # An account that already exists is left as it is: whoever created it is not
            # vouched for.
            continue
        # Our own addresses: verified at creation (as `users create`).
        user = accounts.create_user(email, password, role=role, name=name)
        accounts.mark_verified(user)
        if email in DEMO_SUBSCRIPTIONS:
            _demo_subscription(user, DEMO_SUBSCRIPTIONS[email])
        created.append((email, password, role))
    return created


def _demo_subscription(user: User, plan_code: str) -> None:
    """A year of the plan from the publisher's today, granted like a staff grant."""
    plan = plan_by_code(plan_code)
    if plan is None:  # the seed plans are a migration: absent only on a broken database
        raise DemoError(f"plan {plan_code} is missing: run `flask db upgrade`")
    today = local_date(utcnow())
    grant(
        user, plan, today, today + timedelta(days=365), actor=None, note="Compte de démonstration"
    )
