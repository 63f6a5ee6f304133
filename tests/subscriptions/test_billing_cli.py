"""`flask subscriptions ...` and `flask api-keys ...`."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from magazine_app.core.extensions import db
from magazine_app.models import (
    ApiClient,
    AuditEvent,
    Subscription,
    SubscriptionStatus,
    User,
    local_date,
    utcnow,
)
from magazine_app.subscriptions import api_keys

CSV_HEADER = "email,name,plan,starts_on,ends_on,status,billing_reference\n"


def _subs(email: str) -> list[Subscription]:
    return list(
        db.session.scalars(
            select(Subscription)
            .join(User, Subscription.user_id == User.id)
            .where(User.email == email)
        )
    )


def _audit() -> list[tuple[str, str | None, int | None]]:
    """(action, via, target id) of every audit line, oldest first."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, e.details.get("via"), e.target_id) for e in events]


def test_grant_list_revoke(runner, make_user) -> None:
    make_user("abonne@example.com")
    result = runner.invoke(
        args=[
            "subscriptions",
            "grant",
            "Abonne@Example.com",
            "pack-challenge-auto",
            "--until",
            "2030-12-31",
            "--from",
            "2022-01-01",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Granted pack-challenge-auto to abonne@example.com" in result.output
    (sub,) = _subs("abonne@example.com")
    assert (sub.starts_on, sub.ends_on) == (date(2022, 1, 1), date(2030, 12, 31))

    listing = runner.invoke(args=["subscriptions", "list", "abonne@example.com"])
    assert listing.exit_code == 0
    assert "pack-challenge-auto" in listing.output and "current" in listing.output

    revoked = runner.invoke(args=["subscriptions", "revoke", "abonne@example.com"])
    assert revoked.exit_code == 0, revoked.output
    db.session.expire_all()
    # Revoked today in the publisher's day (Casablanca), which is not UTC's between
    # 23:00 and midnight UTC.
    assert sub.status is SubscriptionStatus.EXPIRED and sub.ends_on == local_date(utcnow())
    again = runner.invoke(args=["subscriptions", "revoke", "abonne@example.com"])
    assert again.exit_code == 1 and "no current subscription" in again.output
    # Audited as the console's grant and revoke are, from the command line.
    assert _audit() == [
        ("subscription.grant", "cli", sub.id),
        ("subscription.revoke", "cli", sub.id),
    ]
    grant_line = db.session.scalar(select(AuditEvent))
    assert grant_line.actor_id is None and grant_line.actor_email == ""
    assert (
        grant_line.summary
        == "abonne@example.com : Pack Challenge + Auto du 01/01/2022 au 31/12/2030"
    )


def test_revoke_only_the_named_plan(runner, make_user) -> None:
    make_user("deux@example.com")
    for plan in ("challenge-1an", "challenge-auto-1an"):
        runner.invoke(
            args=["subscriptions", "grant", "deux@example.com", plan, "--until", "2099-01-01"]
        )
    result = runner.invoke(args=["subscriptions", "revoke", "deux@example.com", "challenge-1an"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    states = {s.plan.code: s.status for s in _subs("deux@example.com")}
    assert states == {
        "challenge-1an": SubscriptionStatus.EXPIRED,
        "challenge-auto-1an": SubscriptionStatus.ACTIVE,
    }


def test_grant_errors(runner, make_user) -> None:
    make_user("x@example.com")
    unknown_plan = runner.invoke(
        args=["subscriptions", "grant", "x@example.com", "nope", "--until", "2030-01-01"]
    )
    assert unknown_plan.exit_code == 1 and "Unknown plan 'nope'" in unknown_plan.output
    no_account = runner.invoke(
        args=[
            "subscriptions",
            "grant",
            "ghost@example.com",
            "challenge-1an",
            "--until",
            "2030-01-01",
        ]
    )
    assert no_account.exit_code == 1 and "--create" in no_account.output
    bad_date = runner.invoke(
        args=["subscriptions", "grant", "x@example.com", "challenge-1an", "--until", "31/12/2030"]
    )
    assert bad_date.exit_code == 2
    backwards = runner.invoke(
        args=[
            "subscriptions",
            "grant",
            "x@example.com",
            "challenge-1an",
            "--until",
            "2020-01-01",
            "--from",
            "2021-01-01",
        ]
    )
    assert backwards.exit_code == 1 and "précède" in backwards.output
    assert _subs("x@example.com") == []
    assert _audit() == []  # a refused grant leaves no line


def test_grant_create_sends_a_welcome_link(app, runner, outbox) -> None:
    app.config["SERVER_NAME"] = "emag.challenge.test"
    with app.app_context():  # a fresh context picks SERVER_NAME up, as `flask` would
        result = runner.invoke(
            args=[
                "subscriptions",
                "grant",
                "new@example.com",
                "challenge-1an",
                "--until",
                "2030-01-01",
                "--create",
            ]
        )
    assert result.exit_code == 0, result.output
    assert "Set-your-password link queued for new@example.com." in result.output
    (mail,) = outbox()
    text = mail.read_text()
    assert "new@example.com" in text and "http://emag.challenge.test/mot-de-passe/" in text


def test_list_empty(runner) -> None:
    assert "No subscriptions." in runner.invoke(args=["subscriptions", "list"]).output


def test_import_prints_a_report_and_fails_when_a_row_is_refused(runner, tmp_path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text(
        CSV_HEADER
        + "a@example.com,Amina,challenge-1an,2022-01-01,2022-12-31,active,\n"
        + "b@example.com,,pack-challenge-auto,2022-01-01,2022-12-31,,ref-b\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["subscriptions", "import", str(ok)])
    assert result.exit_code == 0, result.output
    assert "line 2: a@example.com created (account created)" in result.output
    assert "2 row(s): 2 created, 0 updated, 0 unchanged, 0 refused" in result.output
    assert [(action, via) for action, via, _ in _audit()] == [("subscription.import", "cli")] * 2

    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        CSV_HEADER
        + "a@example.com,Amina,challenge-1an,2022-01-01,2023-06-30,active,\n"
        + "c@example.com,,inconnu,2022-01-01,2022-12-31,active,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["subscriptions", "import", str(mixed)])
    assert result.exit_code == 1
    assert "line 2: a@example.com updated" in result.output
    assert "line 3: c@example.com refused: plan : formule inconnue « inconnu »." in result.output
    assert db.session.scalar(select(User).where(User.email == "c@example.com")) is None
    assert [s.ends_on for s in _subs("a@example.com")] == [date(2023, 6, 30)]
    # The updated row has its line; the refused one has none.
    assert [action for action, _, _ in _audit()] == ["subscription.import"] * 3


def test_import_refuses_a_file_without_required_columns(runner, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("courriel,formule\nx@example.com,challenge-1an\n", encoding="utf-8")
    result = runner.invoke(args=["subscriptions", "import", str(bad)])
    assert result.exit_code == 1 and "Missing column(s): email, plan, ends_on" in result.output


def test_api_keys_create_list_revoke(runner) -> None:
    created = runner.invoke(args=["api-keys", "create", "facturation"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("mgz_") and len(key) == 52
    row = db.session.scalar(select(ApiClient))
    assert row.key_hash == api_keys.hash_key(key) and key not in (row.key_hash, row.key_prefix)
    assert row.key_prefix == key[:12]

    listing = runner.invoke(args=["api-keys", "list"])
    assert row.key_prefix in listing.output and "facturation" in listing.output
    assert key not in listing.output and "active" in listing.output

    revoked = runner.invoke(args=["api-keys", "revoke", row.key_prefix[:8]])
    assert revoked.exit_code == 0, revoked.output
    db.session.expire_all()
    assert row.revoked_at is not None
    assert api_keys.client_for_key(key) is None
    assert "already revoked" in runner.invoke(args=["api-keys", "revoke", str(row.id)]).output
    missing = runner.invoke(args=["api-keys", "revoke", "mgz_ffff0000"])
    assert missing.exit_code == 1


def test_api_keys_revoke_ambiguous_prefix(runner) -> None:
    runner.invoke(args=["api-keys", "create", "un"])
    runner.invoke(args=["api-keys", "create", "deux"])
    result = runner.invoke(args=["api-keys", "revoke", "mgz_"])
    assert result.exit_code == 1 and "Plusieurs clés" in result.output
    assert "No API keys." not in runner.invoke(args=["api-keys", "list"]).output


def test_touch_writes_at_most_once_a_minute(app) -> None:
    client, _key = api_keys.create_key("x")
    now = utcnow()
    assert api_keys.touch(client, now) is True
    assert api_keys.touch(client, now + timedelta(seconds=30)) is False
    assert api_keys.touch(client, now + timedelta(seconds=61)) is True
