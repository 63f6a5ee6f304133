"""Plans and subscriptions as domain functions (no HTTP), the CSV import, and the
subscriber-facing pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from magazine_app.access import Level, access_for
from magazine_app.core.extensions import db
from magazine_app.models import (
    AuditEvent,
    Purchase,
    Subscription,
    SubscriptionStatus,
    User,
    local_date,
)
from magazine_app.subscriptions import csv_import, entitlements
from magazine_app.subscriptions import operations as subscriptions
from magazine_app.subscriptions.csv_import import Outcome
from magazine_app.subscriptions.operations import (
    StaleVersion,
    SubscriptionError,
    plan_by_code,
    upsert_by_billing_reference,
)
from magazine_app.subscriptions.purchases import PurchaseConflict, purchase_issue

pytestmark = pytest.mark.usefixtures("app")

TODAY = date(2022, 3, 1)
NOW = datetime(2022, 3, 1, 12, 0)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def grant(user, plan, starts_on, ends_on, **kw):
    """A grant from the command line (no staff member)."""
    return subscriptions.grant(user, plan, starts_on, ends_on, actor=None, **kw)


def _upsert(**kw):
    args = {
        "reference": "sub_001",
        "email": "nadia@example.com",
        "plan_code": "challenge-1an",
        "status": "active",
        "starts_on": date(2022, 1, 1),
        "ends_on": date(2022, 12, 31),
        "version": 1,
    }
    args.update(kw)
    return upsert_by_billing_reference(**args)


# --------------------------------------------------------------------------- grant & co


def test_grant_opens_the_covered_publication_only(make_user, make_issue_row) -> None:
    user = make_user()
    challenge = make_issue_row("challenge", 228)
    auto = make_issue_row("challenge-auto", 2)
    grant(user, plan_by_code("challenge-1an"), date(2022, 1, 1), date(2022, 12, 31))
    db.session.commit()
    assert access_for(user, challenge, NOW).level is Level.FULL
    assert access_for(user, auto, NOW).level is Level.PREVIEW


def test_grant_refuses_end_before_start(make_user) -> None:
    with pytest.raises(SubscriptionError, match="précède"):
        grant(make_user(), plan_by_code("challenge-1an"), date(2022, 2, 1), date(2022, 1, 1))
    assert _count(Subscription) == 0 and _actions() == []


def test_revoke_ends_today_and_extend_reopens(make_user, make_issue_row) -> None:
    user = make_user()
    issue = make_issue_row()
    sub = grant(user, plan_by_code("challenge-1an"), date(2022, 1, 1), date(2022, 12, 31))
    subscriptions.revoke(sub, actor=None, today=TODAY)
    assert (sub.status, sub.ends_on) == (SubscriptionStatus.EXPIRED, TODAY)
    assert access_for(user, issue, NOW).level is Level.PREVIEW
    assert entitlements.current_subscriptions(user, TODAY) == []
    assert subscriptions.extend(sub, TODAY, actor=None) is False  # same end: stays ended
    assert sub.status is SubscriptionStatus.EXPIRED
    assert subscriptions.extend(sub, date(2023, 1, 31), actor=None) is True
    assert sub.status is SubscriptionStatus.ACTIVE and sub.ends_on == date(2023, 1, 31)
    assert entitlements.current_subscriptions(user, TODAY) == [sub]
    assert _actions() == ["subscription.grant", "subscription.revoke", "subscription.extend"]


def test_entitlements_say_what_can_be_read(make_user) -> None:
    user = make_user()
    grant(user, plan_by_code("pack-challenge-auto"), date(2022, 1, 1), date(2022, 12, 31))
    grant(user, plan_by_code("challenge-numeros-parus"), date(2022, 2, 1), date(2022, 7, 31))
    grant(user, plan_by_code("challenge-auto-1an"), date(2020, 1, 1), date(2020, 12, 31))
    rights = entitlements.entitlements(user, TODAY)
    summary = {
        (e.publication.slug, e.subscription.plan.code): (
            e.includes_back_issues,
            e.issues_released_from,
            e.issues_released_until,
        )
        for e in rights
    }
    assert summary == {
        ("challenge", "pack-challenge-auto"): (True, None, None),
        ("challenge-auto", "pack-challenge-auto"): (True, None, None),
        ("challenge", "challenge-numeros-parus"): (False, date(2022, 2, 1), date(2022, 7, 31)),
    }


@pytest.mark.parametrize(
    ("status", "grace", "expected"),
    [
        ("active", None, "Actif"),
        ("trialing", None, "Période d'essai"),
        ("past_due", date(2022, 3, 15), "Paiement en attente"),
        ("cancelled", None, "Résilié (accès jusqu'à la fin de la période)"),
        ("expired", None, "Terminé"),
    ],
)
def test_status_in_plain_french(make_user, status, grace, expected) -> None:
    sub = grant(
        make_user(),
        plan_by_code("challenge-1an"),
        date(2022, 1, 1),
        date(2022, 2, 28) if grace else date(2022, 12, 31),
        status=SubscriptionStatus(status),
    )
    sub.grace_until = grace
    assert entitlements.status_label(sub, TODAY) == expected


# --------------------------------------------------------------------------- upsert


def test_upsert_creates_account_without_password() -> None:
    sub, created, user_created, claim_sent = _upsert(email="  Nadia@Example.COM ")
    assert created and user_created and not claim_sent
    assert sub.user.email == "nadia@example.com" and sub.user.password_hash is None
    assert sub.billing_reference == "sub_001" and sub.version == 1


def test_upsert_identical_replay_is_a_no_op(make_user) -> None:
    first = _upsert()
    db.session.commit()
    stamp = first.subscription.updated_at
    again = _upsert()
    assert (again.created, again.user_created) == (False, False)
    assert again.subscription.id == first.subscription.id
    assert again.subscription.updated_at == stamp
    assert _count(Subscription) == 1 and _count(User) == 1
    assert _actions() == ["subscription.billing"]  # the replay changed nothing: no line


@pytest.mark.parametrize(
    "change",
    [
        {"version": 1, "status": "expired"},  # same version, other data
        {"version": 0, "ends_on": date(2023, 12, 31)},  # older version
    ],
)
def test_upsert_refuses_stale_or_conflicting_versions(change) -> None:
    _upsert(version=1)
    db.session.commit()
    with pytest.raises(StaleVersion) as info:
        _upsert(**change)
    assert info.value.current.version == 1
    db.session.rollback()
    sub = subscriptions.subscription_by_reference("sub_001")
    assert (sub.status, sub.ends_on) == (SubscriptionStatus.ACTIVE, date(2022, 12, 31))


def test_upsert_newer_version_updates_and_can_move_plan() -> None:
    _upsert(version=1)
    result = _upsert(version=2, plan_code="pack-challenge-auto", status="past_due")
    sub = result.subscription
    assert not result.created
    assert (sub.plan.code, sub.status, sub.version) == (
        "pack-challenge-auto",
        SubscriptionStatus.PAST_DUE,
        2,
    )


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"plan_code": "nope"}, "unknown_plan"),
        ({"status": "paused"}, "invalid_status"),
        ({"ends_on": date(2021, 1, 1)}, "ends_before_starts"),
    ],
)
def test_upsert_validation(kw, code) -> None:
    with pytest.raises(SubscriptionError) as info:
        _upsert(**kw)
    assert info.value.code == code
    assert _count(User) == 0 and _actions() == []


# --------------------------------------------------------------------------- purchases


def test_purchase_issue_is_idempotent_and_refuses_conflicts(make_user, make_issue_row) -> None:
    user, other = make_user(), make_user()
    issue = make_issue_row()
    purchase, created = purchase_issue(user, issue, "ch_1")
    assert created and access_for(user, issue, datetime.now()).reason.value == "purchased"
    assert purchase_issue(user, issue, "ch_1") == (purchase, False)
    with pytest.raises(PurchaseConflict) as info:
        purchase_issue(user, issue, "ch_2")
    assert info.value.code == "already_purchased"
    with pytest.raises(PurchaseConflict) as info:
        purchase_issue(other, issue, "ch_1")
    assert info.value.code == "billing_reference_conflict"
    assert _count(Purchase) == 1 and _actions() == ["purchase.record"]


# --------------------------------------------------------------------------- CSV import


def _row(**kw: str) -> dict[str, str]:
    row = {
        "email": "a@example.com",
        "name": "Amina",
        "plan": "challenge-1an",
        "starts_on": "2022-01-01",
        "ends_on": "2022-12-31",
        "status": "active",
        "billing_reference": "",
    }
    row.update(kw)
    return row


def test_import_reports_each_row_and_applies_good_ones(make_user) -> None:
    existing = make_user("b@example.com")
    grant(existing, plan_by_code("challenge-1an"), date(2022, 1, 1), date(2022, 6, 30))
    db.session.commit()
    reports = csv_import.import_subscribers(
        actor=None,
        rows=[
            _row(),
            _row(email="b@example.com", ends_on="2022-12-31"),
            _row(email="c@example.com", plan="inconnu"),
            _row(email="d@example.com", ends_on="31/12/2022"),
            _row(email="pas-un-email"),
            _row(email="e@example.com", starts_on="2022-05-01", ends_on="2022-04-01"),
            _row(email="f@example.com", status="paused"),
            _row(email="g@example.com", billing_reference="ref-9"),
            _row(email="h@example.com", billing_reference="ref-9"),
            _row(),
        ],
    )
    db.session.commit()
    outcomes = [(r.line, r.outcome) for r in reports]
    assert outcomes == [
        (2, Outcome.CREATED),
        (3, Outcome.UPDATED),
        (4, Outcome.REFUSED),
        (5, Outcome.REFUSED),
        (6, Outcome.REFUSED),
        (7, Outcome.REFUSED),
        (8, Outcome.REFUSED),
        (9, Outcome.CREATED),
        (10, Outcome.REFUSED),
        (11, Outcome.UNCHANGED),
    ]
    assert "formule inconnue" in reports[2].reason
    assert "AAAA-MM-JJ" in reports[3].reason
    assert "appartient déjà à g@example.com" in reports[8].reason
    assert reports[0].account_created and not reports[1].account_created
    # Refused rows left nothing behind, not even the accounts they would have created.
    emails = set(db.session.scalars(select(User.email)))
    assert emails == {"a@example.com", "b@example.com", "g@example.com"}
    assert _count(Subscription) == 3
    # A line per row that created or changed a subscription; the refused rows' lines went
    # with their savepoints, the unchanged row wrote none.
    assert _actions() == ["subscription.grant"] + ["subscription.import"] * 3


def test_import_row_failing_in_the_database_is_rolled_back_alone(monkeypatch) -> None:
    from sqlalchemy.exc import IntegrityError

    from magazine_app.subscriptions import csv_import as subscription_import

    real_apply = subscription_import._apply

    def flaky(data, actor):
        result = real_apply(data, actor)
        if data.email == "boom@example.com":
            raise IntegrityError("INSERT", {}, Exception("simulated"))
        return result

    monkeypatch.setattr(subscription_import, "_apply", flaky)
    reports = csv_import.import_subscribers([_row(email="boom@example.com"), _row()], actor=None)
    db.session.commit()
    assert [r.outcome for r in reports] == [Outcome.REFUSED, Outcome.CREATED]
    assert set(db.session.scalars(select(User.email))) == {"a@example.com"}
    # boom's row was audited before it failed: its line went with its savepoint.
    lines = db.session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.summary.split(" : ")[0]) for e in lines] == [
        ("subscription.import", "a@example.com")
    ]


# --------------------------------------------------------------------------- pages


def test_my_subscription_page(client, auth, make_user, make_issue_row) -> None:
    user = make_user("lectrice@example.com")
    today = date.today()
    grant(
        user,
        plan_by_code("pack-challenge-auto"),
        today - timedelta(days=30),
        today + timedelta(days=335),
    )
    old = grant(user, plan_by_code("challenge-auto-1an"), date(2020, 1, 1), date(2020, 12, 31))
    subscriptions.revoke(old, actor=None, today=date(2020, 12, 31))
    purchase_issue(user, make_issue_row("challenge", 300), "ch_300")
    db.session.commit()
    assert client.get("/compte/abonnement").status_code == 302  # login required
    auth.login("lectrice@example.com")
    html = client.get("/compte/abonnement").get_data(as_text=True)
    assert "Pack Challenge + Auto" in html and "Actif" in html
    assert "Challenge + Challenge Auto" in html
    assert "archives comprises" in html
    assert "Challenge N°300" in html
    assert "Abonnements terminés" in html and "Challenge Auto 1 an" in html
    assert "/compte/abonnement" in client.get("/compte").get_data(as_text=True)


def test_my_subscription_page_says_what_the_gate_says(client, auth, make_user) -> None:
    from babel.dates import format_date

    user = make_user("retard@example.com")
    today = local_date()
    grace = today + timedelta(days=4)
    late = grant(
        user,
        plan_by_code("challenge-1an"),
        today - timedelta(days=300),
        today - timedelta(days=1),
        status=SubscriptionStatus.PAST_DUE,
    )
    late.grace_until = grace
    soon = today + timedelta(days=10)
    grant(user, plan_by_code("challenge-auto-1an"), soon, soon + timedelta(days=365))
    gone = grant(
        user,
        plan_by_code("challenge-numeros-parus"),
        today + timedelta(days=20),
        today + timedelta(days=200),
    )
    subscriptions.revoke(gone, actor=None, today=today)  # revoked before it began: it never opens
    db.session.commit()
    auth.login("retard@example.com")
    html = client.get("/compte/abonnement").get_data(as_text=True)
    current, _, past = html.partition("Abonnements terminés")

    def day(d: date) -> str:
        text = format_date(d, "long", locale="fr")
        return "1er" + text[1:] if d.day == 1 else text

    assert "Paiement en attente" in current
    assert f"jusqu'au {day(grace)} inclus" in current  # the grace period, not ends_on
    assert "Votre dernier paiement n'a pas abouti" in current
    assert "À venir" in current and f"à partir du {day(soon)}" in current
    assert "numéros de la période" in past and "numéros de la période" not in current


def test_my_subscription_page_without_subscription(client, auth, make_user) -> None:
    make_user("sans@example.com")
    auth.login("sans@example.com")
    html = client.get("/compte/abonnement").get_data(as_text=True)
    assert "pas d'abonnement en cours" in html and "Voir les formules" in html


def test_subscribe_page_links_each_plan_to_checkout(app, client) -> None:
    app.config["CHECKOUT_URL"] = "https://paiement.example/abonnement?src=site"
    html = client.get("/abonnement").get_data(as_text=True)
    assert "https://paiement.example/abonnement?src=site&amp;plan=challenge-1an" in html
    assert "plan=pack-challenge-auto" in html
    assert "challenge-numeros-parus" not in html  # not a public plan
    assert "Je m&#39;abonne" in html or "Je m'abonne" in html
