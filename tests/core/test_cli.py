"""`flask users ...`, `flask demo`, `flask jobs worker`."""

from __future__ import annotations

from sqlalchemy import func, select

from magazine_app.core.extensions import db
from magazine_app.models import Role, User


def test_users_create_with_password_option(runner) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Staff@Challenge.ma",
            "--role",
            "staff",
            "--password",
            "abcdefgh12",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created staff staff@challenge.ma" in result.output
    user = db.session.scalar(select(User).where(User.email == "staff@challenge.ma"))
    assert user.role is Role.STAFF
    assert user.email_verified_at is not None  # the administrator vouches for the address


def test_users_create_asks_password_twice(runner) -> None:
    result = runner.invoke(
        args=["users", "create", "admin@example.com", "--role", "admin"],
        input="secret-long-1\nsecret-long-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation" in result.output
    assert (
        db.session.scalar(select(User.role).where(User.email == "admin@example.com")) is Role.ADMIN
    )


def test_users_create_mismatch_and_duplicate(runner, make_user) -> None:
    mismatch = runner.invoke(
        args=["users", "create", "x@example.com"], input="secret-long-1\nother-long-2\n"
    )
    assert mismatch.exit_code != 0
    make_user("dup@example.com")
    dup = runner.invoke(args=["users", "create", "dup@example.com", "--password", "abcdefgh12"])
    assert dup.exit_code == 1
    assert "Un compte existe déjà" in dup.output


def test_users_create_rejects_short_password_and_bad_role(runner) -> None:
    short = runner.invoke(args=["users", "create", "s@example.com", "--password", "abc"])
    assert short.exit_code == 1 and "8 caractères" in short.output
    bad_role = runner.invoke(args=["users", "create", "r@example.com", "--role", "king"])
    assert bad_role.exit_code == 2


def test_users_list(runner, make_user) -> None:
    assert "No accounts." in runner.invoke(args=["users", "list"]).output
    make_user("a@example.com", role="admin")
    make_user("b@example.com")
    out = runner.invoke(args=["users", "list"]).output
    assert "a@example.com" in out and "admin" in out and "b@example.com" in out
    only_admins = runner.invoke(args=["users", "list", "--role", "admin"]).output
    assert "b@example.com" not in only_admins


def test_demo_accounts_idempotent_and_can_log_in(runner, client, auth) -> None:
    from magazine_app.demo.accounts import DEMO_ACCOUNTS

    assert runner.invoke(args=["demo", "--no-issues"]).exit_code == 0
    assert runner.invoke(args=["demo", "--no-issues"]).exit_code == 0
    emails = set(db.session.scalars(select(User.email)))
    assert {a[0] for a in DEMO_ACCOUNTS} <= emails
    email, password, _, _ = DEMO_ACCOUNTS[0]
    assert auth.login(email, password).status_code == 302


def test_jobs_worker_command_is_registered(app, runner, monkeypatch) -> None:
    commands = app.cli.list_commands(app.cli.make_context("flask", [], resilient_parsing=True))
    assert {"users", "jobs", "demo", "db"} <= set(commands)
    # `flask jobs worker` exists, and runs this app's consumer with the workers asked for.
    from magazine_app import jobs

    started: list[tuple[object, int]] = []
    monkeypatch.setattr(jobs, "run_consumer", lambda app, workers: started.append((app, workers)))
    result = runner.invoke(args=["jobs", "worker", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert started == [(app, 3)]
    assert "3 worker(s)" in result.output


def test_demo_has_a_subscriber_and_a_non_subscriber(runner, make_issue) -> None:
    """What `make run` promises: one reader who reads everything, one who meets the gate."""
    from magazine_app.access import Level, access_for
    from magazine_app.accounts.operations import find_user
    from magazine_app.models import Subscription, utcnow

    challenge, auto = make_issue("challenge"), make_issue("challenge-auto")
    for _ in range(2):  # idempotent: one subscription however often it runs
        assert runner.invoke(args=["demo", "--no-issues"]).exit_code == 0
    subscriber, reader = find_user("abonne@challenge.ma"), find_user("lecteur@challenge.ma")
    assert db.session.scalar(select(func.count(Subscription.id))) == 1
    for issue in (challenge, auto):
        assert access_for(subscriber, issue, utcnow()).level is Level.FULL
        assert access_for(reader, issue, utcnow()).level is Level.PREVIEW
