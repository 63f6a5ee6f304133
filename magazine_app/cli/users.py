"""`flask users create|list`: accounts with a role, created like a sign-up but verified."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from magazine_app.accounts import operations as accounts
from magazine_app.core.extensions import db
from magazine_app.models import Role, User

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.READER.value,
    show_default=True,
)
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked twice on standard input when omitted.",
)
def create_user_command(email: str, role: str, name: str, password: str) -> None:
    """Create an account with a role (reader, staff, admin)."""
    try:
        user = accounts.create_user(email, password, role=Role(role), name=name)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    # The administrator vouches for the address: verified, so that a plan the billing
    # system attaches to it later does not "claim" it (end its sessions, clear the password).
    accounts.mark_verified(user)
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users_cli.command("list")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
def list_users_command(role: str | None) -> None:
    """List accounts (e-mail, role, creation date, last login)."""
    stmt = select(User).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == Role(role))
    rows = list(db.session.scalars(stmt))
    if not rows:
        click.echo("No accounts.")
        return
    width = max(len(u.email) for u in rows)
    for u in rows:
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
        click.echo(
            f"{u.id:>5}  {u.email:<{width}}  {u.role.value:<6}  "
            f"created {u.created_at:%Y-%m-%d}  last login {last}"
        )
