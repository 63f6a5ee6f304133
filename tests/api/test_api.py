"""The billing API through HTTP: auth, JSON errors, idempotent PUT and POST, and the rows
each call leaves (or does not leave) behind."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from magazine_app.core.extensions import db, limiter
from magazine_app.models import (
    ApiClient,
    AuditEvent,
    IdempotencyRecord,
    Purchase,
    Subscription,
    SubscriptionStatus,
    User,
    utcnow,
)
from magazine_app.subscriptions import api_keys

TODAY = date.today()
BODY = {
    "email": "Nadia@Example.com",
    "plan": "pack-challenge-auto",
    "status": "active",
    "starts_on": (TODAY - timedelta(days=10)).isoformat(),
    "ends_on": (TODAY + timedelta(days=355)).isoformat(),
    "version": 1,
}
URL = "/api/v1/subscriptions/sub_A1"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _error(response) -> str:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body["error"]["code"]


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer mgz_not-a-key"},
    ],
)
def test_requests_without_a_valid_key_change_nothing(client, headers, outbox) -> None:
    response = client.put(URL, json=BODY, headers=headers)
    assert response.status_code == 401
    assert _error(response) in {"unauthorized", "invalid_api_key"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _count(Subscription) == 0 and _count(User) == 0 and outbox() == []
    assert client.get("/api/v1/plans", headers=headers).status_code == 401


def test_revoked_key_is_refused_and_changes_nothing(api, outbox) -> None:
    assert api.get("/api/v1/plans").status_code == 200
    client_row = db.session.scalar(select(ApiClient))
    api_keys.revoke_key(client_row)
    db.session.commit()
    response = api.put(URL, json=BODY)
    assert response.status_code == 401 and _error(response) == "invalid_api_key"
    assert _count(Subscription) == 0 and _count(User) == 0 and outbox() == []


def test_last_used_is_recorded(api) -> None:
    row = db.session.scalar(select(ApiClient))
    assert row.last_used_at is None
    api.get("/api/v1/plans")
    db.session.refresh(row)
    first = row.last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=5)
    api.get("/api/v1/plans")
    db.session.refresh(row)
    assert row.last_used_at == first  # at most once a minute


def test_a_write_records_the_key_use_with_its_change_only(api) -> None:
    """A write commits once: its change and the key's last use together. A refused write
    commits nothing, its use included."""
    row = db.session.scalar(select(ApiClient))
    refused = api.put(URL, json={**BODY, "plan": "platine"})
    assert refused.status_code == 422
    db.session.refresh(row)
    assert row.last_used_at is None
    assert api.put(URL, json=BODY).status_code == 201
    db.session.refresh(row)
    assert row.last_used_at is not None and utcnow() - row.last_used_at < timedelta(seconds=5)


def test_each_request_commits_at_most_once(api, monkeypatch) -> None:
    """The app's own commits (the test client commits too): a write's change and the
    key's use go in one, a read commits the use alone, and only once a minute."""
    import traceback

    real_commit = db.session.commit
    ours: list[str] = []

    def counting() -> None:
        frames = [f for f in traceback.extract_stack() if "/magazine_app/" in f.filename]
        if frames:
            ours.append(frames[-1].name)
        real_commit()

    monkeypatch.setattr(db.session, "commit", counting)
    assert api.put(URL, json=BODY).status_code == 201
    assert ours == ["commit"]  # transactions.commit, from the view
    ours.clear()
    api.get("/api/v1/plans")  # the PUT just recorded the use: nothing to commit
    assert ours == []


def test_openapi_document_is_public(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert {"/plans", "/purchases", "/subscriptions/{billing_reference}"} <= set(doc["paths"])


# --------------------------------------------------------------------------- JSON errors


def test_unknown_api_paths_and_methods_answer_json(api, client) -> None:
    missing = api.get("/api/v1/nothing/here")
    assert missing.status_code == 404 and _error(missing) == "not_found"
    wrong = api.client.delete("/api/v1/plans")
    assert wrong.status_code == 405 and _error(wrong) == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"]
    # Outside the API, errors stay HTML pages.
    assert client.get("/nothing").mimetype == "text/html"


def test_unexpected_error_answers_json_500(api, monkeypatch) -> None:
    from magazine_app.catalog import queries as catalog

    def boom():
        raise RuntimeError("simulated")

    monkeypatch.setattr(catalog, "publications", boom)
    response = api.get("/api/v1/publications")
    assert response.status_code == 500 and _error(response) == "server_error"


@pytest.fixture
def api_rate_limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["API_RATE_LIMIT"] = "3 per minute"
    yield
    limiter.reset()


def test_rate_limit_answers_json_429(api_rate_limited, api) -> None:
    limiter.reset()
    codes = [api.get("/api/v1/plans").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _error(api.get("/api/v1/plans")) == "rate_limited"


# --------------------------------------------------------------------------- catalogue


def test_plans_and_publications(api) -> None:
    plans = {p["code"]: p for p in api.get("/api/v1/plans").get_json()["plans"]}
    assert set(plans) == {
        "challenge-1an",
        "challenge-auto-1an",
        "pack-challenge-auto",
        "challenge-numeros-parus",
    }
    assert plans["pack-challenge-auto"]["publications"] == ["challenge", "challenge-auto"]
    assert plans["challenge-numeros-parus"]["includes_back_issues"] is False
    assert plans["challenge-1an"]["duration_months"] == 12
    pubs = api.get("/api/v1/publications").get_json()["publications"]
    assert [p["slug"] for p in pubs] == ["challenge", "challenge-auto"]


# --------------------------------------------------------------------------- PUT subscriptions


def test_put_creates_then_replays_identically(api, outbox) -> None:
    first = api.put(URL, json=BODY)
    assert first.status_code == 201, first.get_json()
    data = first.get_json()
    assert data["created"] is True and data["account_created"] is True
    sub = data["subscription"]
    assert sub["email"] == "nadia@example.com" and sub["plan"] == "pack-challenge-auto"
    assert sub["current"] is True and sub["version"] == 1
    user = db.session.scalar(select(User))
    assert user.password_hash is None
    (mail,) = outbox()
    assert "/mot-de-passe/" in mail.read_text() and "nadia@example.com" in mail.read_text()

    replay = api.put(URL, json=BODY)
    assert replay.status_code == 200
    assert replay.get_json()["subscription"] == sub
    assert replay.get_json()["created"] is False
    assert _count(Subscription) == 1 and _count(User) == 1 and len(outbox()) == 1
    # Audited once, as the billing API's change (no staff member); the replay changed
    # nothing and wrote no line.
    (line,) = _audit("subscription.billing")
    assert line.actor_id is None and line.details["via"] == "api"
    assert line.target_type == "subscription" and line.details["created"] is True
    assert line.summary.startswith("nadia@example.com : Pack Challenge + Auto du ")


def test_put_newer_version_updates(api) -> None:
    api.put(URL, json=BODY)
    response = api.put(URL, json={**BODY, "version": 2, "status": "cancelled"})
    assert response.status_code == 200
    assert response.get_json()["subscription"]["status"] == "cancelled"
    assert db.session.scalar(select(Subscription.status)) is SubscriptionStatus.CANCELLED
    assert [e.details["created"] for e in _audit("subscription.billing")] == [True, False]


@pytest.mark.parametrize(
    "change",
    [
        {"version": 1, "status": "expired"},  # same version, other data
        {"version": 2, "ends_on": "2099-01-01"},  # older than the stored 3
    ],
)
def test_put_stale_version_changes_nothing(api, change) -> None:
    stored = {**BODY, "version": 3} if change["version"] == 2 else BODY
    api.put(URL, json=stored)
    before = db.session.scalar(select(Subscription))
    snapshot = (before.status, before.ends_on, before.version, before.updated_at)
    response = api.put(URL, json={**stored, **change})
    assert response.status_code == 409 and _error(response) == "stale_version"
    assert response.get_json()["error"]["details"]["current"]["version"] == stored["version"]
    db.session.expire_all()
    after = db.session.scalar(select(Subscription))
    assert (after.status, after.ends_on, after.version, after.updated_at) == snapshot
    assert len(_audit("subscription.billing")) == 1  # the stored change's, not the refusal's


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**BODY, "plan": "platine"}, "unknown_plan"),
        ({**BODY, "status": "paused"}, "invalid_status"),
        ({**BODY, "starts_on": "2022-02-30"}, "validation_error"),
        ({**BODY, "ends_on": "01/01/2030"}, "validation_error"),
        ({**BODY, "ends_on": "2000-01-01"}, "ends_before_starts"),
        ({**BODY, "version": -1}, "validation_error"),
        ({**BODY, "version": True}, "validation_error"),
        ({**BODY, "version": 2**40}, "validation_error"),
        ({**BODY, "email": "pas-un-email"}, "validation_error"),
        ({**BODY, "email": "a\x00b@example.com"}, "validation_error"),
        ({k: v for k, v in BODY.items() if k != "plan"}, "validation_error"),
        ([BODY], "validation_error"),
    ],
)
def test_put_validation_errors_are_422_and_change_nothing(api, body, code, outbox) -> None:
    response = api.put(URL, json=body)
    assert response.status_code == 422 and _error(response) == code
    assert _count(Subscription) == 0 and _count(User) == 0 and outbox() == []
    assert _count(AuditEvent) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"plan": "platine"}, "plan"),
        ({"status": "paused"}, "status"),
        ({"ends_on": "2000-01-01"}, "ends_on"),
    ],
)
def test_the_domain_refusals_name_the_field(api, change, field) -> None:
    """Checked once, by upsert_by_billing_reference; the API answers them as it answers
    its own shape errors (422, details.field)."""
    response = api.put(URL, json={**BODY, **change})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"field": field}


def test_put_needs_json(api) -> None:
    as_form = api.put(URL, data={"email": "x@example.com"})
    assert as_form.status_code == 415 and _error(as_form) == "unsupported_media_type"
    broken = api.put(URL, data="{not json", content_type="application/json")
    assert broken.status_code == 400 and _error(broken) == "invalid_json"
    bad_ref = api.put("/api/v1/subscriptions/a%20b", json=BODY)
    assert bad_ref.status_code == 422 and _error(bad_ref) == "validation_error"


def test_put_for_an_existing_verified_account_sends_no_mail(api, make_user, outbox) -> None:
    # (An existing UNVERIFIED account is claimed: tests/test_account_security.py.)
    user = make_user("nadia@example.com")
    user.email_verified_at = utcnow()
    db.session.commit()
    response = api.put(URL, json=BODY)
    assert response.status_code == 201 and response.get_json()["account_created"] is False
    assert response.get_json()["claim_sent"] is False
    assert outbox() == []


# --------------------------------------------------------------------------- reading


def test_subscriber_answer(api, make_issue_row) -> None:
    api.put(URL, json=BODY)
    api.put(
        "/api/v1/subscriptions/sub_old",
        json={**BODY, "plan": "challenge-1an", "starts_on": "2020-01-01", "ends_on": "2020-12-31"},
    )
    make_issue_row("challenge", 228)
    api.post(
        "/api/v1/purchases",
        json={
            "email": BODY["email"],
            "publication": "challenge",
            "number": 228,
            "billing_reference": "ch_228",
        },
        headers={"Idempotency-Key": "k-1"},
    )
    for url in (
        "/api/v1/subscribers?email=NADIA@example.com",
        "/api/v1/subscribers/nadia@example.com",
    ):
        data = api.get(url).get_json()
        assert data["active"] is True and data["has_password"] is False
        assert [s["billing_reference"] for s in data["subscriptions"]] == ["sub_A1", "sub_old"]
        assert [s["current"] for s in data["subscriptions"]] == [True, False]
        assert {(c["publication"], c["includes_back_issues"]) for c in data["can_read"]} == {
            ("challenge", True),
            ("challenge-auto", True),
        }
        assert [(p["publication"], p["number"]) for p in data["purchases"]] == [("challenge", 228)]
    one = api.get("/api/v1/subscriptions/sub_A1")
    assert (
        one.status_code == 200 and one.get_json()["subscription"]["plan"] == "pack-challenge-auto"
    )


def test_readable_until_and_current_are_the_gates(api) -> None:
    """The API says what access.standing says: grace extends access, expiry ends it."""
    grace = TODAY + timedelta(days=5)
    late = {**BODY, "status": "past_due", "ends_on": (TODAY - timedelta(days=2)).isoformat()}
    sub = api.put(URL, json={**late, "grace_until": grace.isoformat()}).get_json()["subscription"]
    assert (sub["current"], sub["readable_until"]) == (True, grace.isoformat())
    who = api.get("/api/v1/subscribers/nadia@example.com").get_json()
    assert who["active"] is True
    assert {c["readable_until"] for c in who["can_read"]} == {grace.isoformat()}

    ended = api.put(URL, json={**BODY, "status": "expired", "version": 2}).get_json()
    assert (ended["subscription"]["current"], ended["subscription"]["readable_until"]) == (
        False,
        None,
    )
    who = api.get("/api/v1/subscribers/nadia@example.com").get_json()
    assert who["active"] is False and who["can_read"] == []

    upcoming = {**BODY, "starts_on": (TODAY + timedelta(days=3)).isoformat(), "version": 3}
    sub = api.put(URL, json=upcoming).get_json()["subscription"]
    assert (sub["current"], sub["readable_until"]) == (False, BODY["ends_on"])


def test_subscriber_lookup_errors(api) -> None:
    assert _error(api.get("/api/v1/subscribers?email=nobody@example.com")) == "unknown_subscriber"
    assert api.get("/api/v1/subscribers/nobody@example.com").status_code == 404
    assert api.get("/api/v1/subscribers").status_code == 422
    assert api.get("/api/v1/subscribers?email=n%00x").status_code == 422
    assert _error(api.get("/api/v1/subscriptions/nope")) == "unknown_subscription"


# --------------------------------------------------------------------------- POST purchases


PURCHASE = {
    "email": "karim@example.com",
    "publication": "challenge",
    "number": 228,
    "billing_reference": "ch_1001",
}


def test_purchase_requires_an_idempotency_key(api, make_issue_row) -> None:
    make_issue_row()
    response = api.post("/api/v1/purchases", json=PURCHASE)
    assert response.status_code == 400 and _error(response) == "idempotency_key_missing"
    bad = api.post("/api/v1/purchases", json=PURCHASE, headers={"Idempotency-Key": "é"})
    assert bad.status_code == 400 and _error(bad) == "invalid_idempotency_key"
    assert _count(Purchase) == 0 and _count(User) == 0


def test_purchase_replayed_with_the_same_key_acts_once(api, make_issue_row, outbox) -> None:
    issue = make_issue_row()
    headers = {"Idempotency-Key": "order-1001"}
    first = api.post("/api/v1/purchases", json=PURCHASE, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["account_created"] is True
    assert first.get_json()["purchase"]["number"] == 228
    replay = api.post("/api/v1/purchases", json=PURCHASE, headers=headers)
    assert replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    # Acted once: one purchase, one account, one record, one e-mail, one audit line.
    assert _count(Purchase) == 1 and _count(User) == 1 and _count(IdempotencyRecord) == 1
    assert len(outbox()) == 1
    (line,) = _audit("purchase.record")
    assert line.details["via"] == "api" and line.target_type == "purchase"
    assert line.summary == "karim@example.com : Challenge N°228"
    user = db.session.scalar(select(User))
    from magazine_app.access import Reason, access_for

    assert access_for(user, issue, utcnow()).reason is Reason.PURCHASED


def test_same_key_with_another_body_is_refused(api, make_issue_row) -> None:
    make_issue_row()
    headers = {"Idempotency-Key": "order-1"}
    api.post("/api/v1/purchases", json=PURCHASE, headers=headers)
    other = api.post("/api/v1/purchases", json={**PURCHASE, "number": 229}, headers=headers)
    assert other.status_code == 422 and _error(other) == "idempotency_key_reused"
    assert _count(Purchase) == 1


def test_same_purchase_with_a_new_key_is_a_no_op_200(api, make_issue_row) -> None:
    make_issue_row()
    api.post("/api/v1/purchases", json=PURCHASE, headers={"Idempotency-Key": "a"})
    again = api.post("/api/v1/purchases", json=PURCHASE, headers={"Idempotency-Key": "b"})
    assert again.status_code == 200 and again.get_json()["created"] is False
    conflict = api.post(
        "/api/v1/purchases",
        json={**PURCHASE, "billing_reference": "ch_other"},
        headers={"Idempotency-Key": "c"},
    )
    assert conflict.status_code == 409 and _error(conflict) == "already_purchased"
    assert _count(Purchase) == 1 and len(_audit("purchase.record")) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"number": 999}, "unknown_issue"),
        ({"publication": "le-monde"}, "unknown_issue"),
        ({"number": 0}, "validation_error"),
        ({"billing_reference": "has space"}, "validation_error"),
    ],
)
def test_purchase_validation(api, make_issue_row, change, code) -> None:
    make_issue_row()
    response = api.post(
        "/api/v1/purchases", json={**PURCHASE, **change}, headers={"Idempotency-Key": "v"}
    )
    assert response.status_code == 422 and _error(response) == code
    assert _count(Purchase) == 0 and _count(User) == 0 and _count(IdempotencyRecord) == 0


def test_concurrent_duplicate_gets_the_first_answer(api, make_issue_row, monkeypatch) -> None:
    """The second request looked for the key before the first committed: its own commit
    then fails on the unique (client, key), and it answers what the first one stored."""
    from magazine_app.api import purchases

    make_issue_row()
    headers = {"Idempotency-Key": "race"}
    first = api.post("/api/v1/purchases", json=PURCHASE, headers=headers)
    real_record = purchases._record
    calls = iter([None])
    monkeypatch.setattr(purchases, "_record", lambda key: next(calls, real_record(key)))
    second = api.post("/api/v1/purchases", json=PURCHASE, headers=headers)
    assert second.status_code == 201 and second.get_json() == first.get_json()
    assert _count(Purchase) == 1 and _count(IdempotencyRecord) == 1


def test_stored_answer_is_json(api, make_issue_row) -> None:
    make_issue_row()
    api.post("/api/v1/purchases", json=PURCHASE, headers={"Idempotency-Key": "s"})
    record = db.session.scalar(select(IdempotencyRecord))
    assert record.response_status == 201
    assert json.loads(record.response_body)["purchase"]["billing_reference"] == "ch_1001"


# Two requests at once, from two threads, each on its own connection.
@pytest.mark.commits
def test_two_simultaneous_identical_purchases_act_once(app, api_key, make_issue_row, monkeypatch):
    """Two requests with the same key pass the key lookup before either writes; the
    database's unique constraints let one act, and the other answers what it stored."""
    import threading

    from flask.testing import FlaskClient

    from magazine_app.catalog import queries

    make_issue_row()
    db.session.commit()
    barrier = threading.Barrier(2, timeout=10)
    real_find_issue = queries.find_issue

    def synchronised(*args):
        barrier.wait()  # both requests have looked the key up and found nothing
        return real_find_issue(*args)

    monkeypatch.setattr(queries, "find_issue", synchronised)
    results: list = []

    def post() -> None:
        client = FlaskClient(app, use_cookies=False)
        response = client.post(
            "/api/v1/purchases",
            json=PURCHASE,
            headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "twin"},
        )
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(status for status, _ in results) == [201, 201], results
    assert results[0][1] == results[1][1]
    db.session.expire_all()
    assert _count(Purchase) == 1 and _count(User) == 1 and _count(IdempotencyRecord) == 1


@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_purchase_of_an_unpublished_issue_is_refused(api, make_issue_row, outbox, state) -> None:
    """Billing cannot sell an issue readers cannot open: a clear 422 naming the reason
    (the key is trusted, no need to pretend the draft does not exist); nothing recorded,
    no account created, no mail."""
    issue = make_issue_row(published=False)
    if state == "scheduled":
        issue.publish_at = utcnow() + timedelta(days=2)
        db.session.commit()
    response = api.post("/api/v1/purchases", json=PURCHASE, headers={"Idempotency-Key": state})
    assert response.status_code == 422 and _error(response) == "issue_not_published"
    assert "pas encore publié" in response.get_json()["error"]["message"]
    assert _count(Purchase) == 0 and _count(User) == 0 and _count(IdempotencyRecord) == 0
    assert outbox() == []
    # Once published, the same request (same key: errors are not stored) goes through.
    issue.publish_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    again = api.post("/api/v1/purchases", json=PURCHASE, headers={"Idempotency-Key": state})
    assert again.status_code == 201, again.get_json()
