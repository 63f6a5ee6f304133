"""Command line: `flask users ...`, `flask jobs worker`, `flask demo`.

Commands call the same domain functions as the views and commit once."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import accounts, billing_cli, jobs, search
from .extensions import db
from .models import Role, User

users_cli = AppGroup("users", help="Manage accounts.")
jobs_cli = AppGroup("jobs", help="The background job consumer.")

DEMO_ACCOUNTS = [
    ("admin@challenge.ma", "admin-demo-2022", Role.ADMIN, "Admin Challenge"),
    ("redaction@challenge.ma", "redaction-demo-2022", Role.STAFF, "Rédaction Challenge"),
    ("abonne@challenge.ma", "abonne-demo-2022", Role.READER, "Abonnée démo"),
    ("lecteur@challenge.ma", "lecteur-demo-2022", Role.READER, "Lecteur démo"),
]
# The demo subscriber reads everything (both magazines and their archives); the demo
# reader has no subscription and meets the gate (preview pages, call to subscribe).
DEMO_SUBSCRIPTIONS = {"abonne@challenge.ma": "pack-challenge-auto"}


def demo_label(email: str, role: Role) -> str:
    return "subscriber" if email in DEMO_SUBSCRIPTIONS else role.value


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


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Process workers (default: config).")
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run the job consumer with this app's configuration (Ctrl-C stops it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    count = workers or int(app.config["HUEY_WORKERS"])
    click.echo(f"Job consumer: {type(app.extensions['huey']).__name__}, {count} worker(s).")
    jobs.run_consumer(app, count)


@click.command("demo")
@click.option("--no-issues", is_flag=True, help="Only the demo accounts.")
@with_appcontext
def demo_command(no_issues: bool) -> None:
    """Create the demo accounts and issues (idempotent)."""
    for email, password, role, name in DEMO_ACCOUNTS:
        if accounts.find_user(email) is None:
            # Our own addresses: verified at creation (as `users create`). An account that
            # already exists is left as it is: whoever created it is not vouched for.
            user = accounts.create_user(email, password, role=role, name=name)
            accounts.mark_verified(user)
            if email in DEMO_SUBSCRIPTIONS:
                _demo_subscription(user, DEMO_SUBSCRIPTIONS[email])
            click.echo(f"Demo account {email} / {password} ({demo_label(email, role)})")
    db.session.commit()
    if not no_issues:
        from .issues_cli import create_demo_issues

        create_demo_issues()


def _demo_subscription(user: User, plan_code: str) -> None:
    """A year of the plan from the publisher's today, granted like a staff grant."""
    from datetime import timedelta

    from .models import local_date, utcnow
    from .subscriptions import grant, plan_by_code

    plan = plan_by_code(plan_code)
    if plan is None:  # the seed plans are a migration: absent only on a broken database
        raise click.ClickException(f"plan {plan_code} is missing: run `flask db upgrade`")
    today = local_date(utcnow())
    grant(user, plan, today, today + timedelta(days=365), note="Compte de démonstration")


images_cli = AppGroup("images", help="Signed page-image URLs.")


@images_cli.command("secret")
def image_secret_command() -> None:
    """Print the secret that nginx's secure_link_md5 needs (see the README)."""
    from .storage import image_secret

    click.echo(image_secret())


@click.command("serve")
@click.option("--bind", default=None, help="host:port (default 127.0.0.1:8000, or MAGAZINE_BIND)")
def serve_command(bind: str | None) -> None:
    """Serve the app with gunicorn AND run the job consumer; Ctrl-C stops both."""
    from .serve import serve

    serve(bind)


def init_app(app: Flask) -> None:
    from . import issues_cli

    issues_cli.init_app(app)
    app.cli.add_command(serve_command)
    app.cli.add_command(images_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_command)
    billing_cli.init_app(app)
    search.init_cli(app)
