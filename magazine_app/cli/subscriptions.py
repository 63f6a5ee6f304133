"""Command line for subscriptions:

    flask subscriptions grant EMAIL PLAN_CODE --until YYYY-MM-DD [--from DATE]
    flask subscriptions revoke EMAIL [PLAN_CODE]
    flask subscriptions list [EMAIL]
    flask subscriptions import FILE.csv

Commands call the same operations as the views and the API, and commit once; the
operations write the audit line (an actor-less line "via the command line")."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from magazine_app.access import is_current
from magazine_app.accounts import mails
from magazine_app.accounts import operations as accounts
from magazine_app.core.extensions import db
from magazine_app.models import Subscription, User, local_date
from magazine_app.subscriptions import csv_import, entitlements
from magazine_app.subscriptions import operations as subscriptions
from magazine_app.subscriptions.csv_import import (
    COLUMNS,
    REQUIRED_COLUMNS,
    Outcome,
    accounts_created,
)

subscriptions_cli = AppGroup("subscriptions", help="Grant, revoke, list and import subscriptions.")


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("expected YYYY-MM-DD") from exc


def _user(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


def _welcome(users: list[User]) -> None:
    """Queue a set-your-password link for each new account (after the commit). Links come
    from BASE_URL (mail.link), which production refuses to start without: no host name
    check is needed here. The job queue sends the mail, so say "queued", not "sent"."""
    for user in users:
        mails.queue_welcome(user)
        click.echo(f"Set-your-password link queued for {user.email}.")


def _claimed(email: str) -> str:
    return (
        f"{email} had never verified its address: its sessions were ended, its password "
        "cleared, and a claim link queued."
    )


@subscriptions_cli.command("grant")
@click.argument("email")
@click.argument("plan_code")
@click.option("--until", "until", required=True, callback=_date, help="Last day (YYYY-MM-DD).")
@click.option("--from", "from_", callback=_date, help="First day (default: today).")
@click.option("--note", default="", help="Why (kept with the subscription).")
@click.option("--create", is_flag=True, help="Create the account (and e-mail a link) if needed.")
def grant_command(
    email: str, plan_code: str, until: date, from_: date | None, note: str, create: bool
) -> None:
    """Give EMAIL a subscription to PLAN_CODE by hand (no billing reference)."""
    plan = subscriptions.plan_by_code(plan_code)
    if plan is None:
        codes = ", ".join(p.code for p in subscriptions.all_plans())
        raise click.ClickException(f"Unknown plan {plan_code!r} (plans: {codes}).")
    if accounts.find_user(email) is None and not create:
        raise click.ClickException(f"No account for {email} (add --create).")
    try:
        # As for the billing API: the operator vouches that the plan goes to whoever reads
        # this mailbox, not to whoever created the account. An unverified account may be
        # an attacker's pre-registration, so it is claimed (its claim link leaves after
        # the commit).
        user, created, claimed = subscriptions.find_or_claim_reader(email)
        sub = subscriptions.grant(
            user,
            plan,
            from_ or local_date(),
            until,
            actor=None,
            note=note or "Accordé en ligne de commande",
        )
    except (accounts.AccountError, subscriptions.SubscriptionError) as exc:
        db.session.rollback()  # undo the claim (and drop its mail) with the refused grant
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Granted {plan.code} to {user.email} from {sub.starts_on} to {sub.ends_on}.")
    if claimed:
        click.echo(_claimed(user.email))
    _welcome([user] if created else [])


@subscriptions_cli.command("revoke")
@click.argument("email")
@click.argument("plan_code", required=False)
def revoke_command(email: str, plan_code: str | None) -> None:
    """End EMAIL's current subscriptions now (only those of PLAN_CODE when given)."""
    user = _user(email)
    today = local_date()
    targets = [
        s
        for s in entitlements.current_subscriptions(user, today)
        if plan_code is None or s.plan.code == plan_code
    ]
    if not targets:
        which = f" to {plan_code}" if plan_code else ""
        raise click.ClickException(f"{user.email} has no current subscription{which}.")
    for sub in targets:
        subscriptions.revoke(sub, actor=None, today=today)
        click.echo(f"Revoked {sub.plan.code} of {user.email} (id {sub.id}).")
    db.session.commit()


@subscriptions_cli.command("list")
@click.argument("email", required=False)
def list_command(email: str | None) -> None:
    """List subscriptions (of one account when EMAIL is given)."""
    stmt = (
        select(Subscription)
        .options(selectinload(Subscription.user), selectinload(Subscription.plan))
        .order_by(Subscription.id)
    )
    if email:
        stmt = stmt.where(Subscription.user_id == _user(email).id)
    rows = list(db.session.scalars(stmt))
    if not rows:
        click.echo("No subscriptions.")
        return
    today = local_date()
    width = max(len(s.user.email) for s in rows)
    for s in rows:
        state = "current" if is_current(s, today) else "not current"
        click.echo(
            f"{s.id:>5}  {s.user.email:<{width}}  {s.plan.code:<24} {s.status.value:<9} "
            f"{s.starts_on} -> {s.ends_on}  {state:<11}  ref {s.billing_reference or '-'}"
            f"  v{s.version}"
        )


@subscriptions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--send-welcome", is_flag=True, help="E-mail a link to each account created.")
def import_command(file: Path, send_welcome: bool) -> None:
    """Import subscribers from a CSV file with the columns
    email,name,plan,starts_on,ends_on,status,billing_reference (UTF-8, comma-separated).

    Each row is applied or refused on its own; exit status 1 when any row is refused.
    An existing account whose address was never verified is claimed before it gets the
    plan, and its claim link is queued with or without --send-welcome (it is the only way
    back into the account)."""
    with file.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise click.ClickException(
                f"Missing column(s): {', '.join(missing)} (expected: {','.join(COLUMNS)})."
            )
        reader.fieldnames = header
        reports = csv_import.import_subscribers(reader, actor=None)
    db.session.commit()
    for r in reports:
        extra = " (account created)" if r.account_created else ""
        if r.claim_sent:
            extra = " (unverified account claimed, claim link queued)"
        reason = f": {r.reason}" if r.reason else ""
        click.echo(f"line {r.line}: {r.email or '?'} {r.outcome.value}{extra}{reason}")
    counts = {o: sum(r.outcome is o for r in reports) for o in Outcome}
    click.echo(
        f"{len(reports)} row(s): "
        + ", ".join(f"{counts[o]} {o.value}" for o in Outcome)
        + f"; {sum(r.account_created for r in reports)} account(s) created, "
        + f"{sum(r.claim_sent for r in reports)} unverified account(s) claimed."
    )
    if send_welcome:
        _welcome(accounts_created(reports))
    if counts[Outcome.REFUSED]:
        raise SystemExit(1)
