"""The gate's one decision, as a table of cases (no HTTP).

access_for reads only attributes and the rows they lead to: the world of users and issues
is built once for the module, in a transaction rolled back after its last test, and what
one test changes in it is rolled back after that test."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from magazine_app import create_app
from magazine_app.access import MESSAGES, Level, Reason, access_for
from magazine_app.accounts import operations as accounts
from magazine_app.core.extensions import db
from magazine_app.models import (
    Issue,
    IssueStatus,
    Plan,
    Publication,
    Purchase,
    Role,
    Subscription,
    SubscriptionStatus,
    User,
)
from tests.conftest import TEST_PASSWORD, base_config, rolled_back

NOW = datetime(2022, 6, 15, 12, 0)
TODAY = NOW.date()


@pytest.fixture(scope="module")
def module_world(_session_dirs, database_url):
    """Issues and users in every situation the gate must tell apart."""
    app = create_app(base_config(_session_dirs, database_url))
    with app.app_context(), rolled_back(app):
        yield _build_world()


@pytest.fixture
def world(module_world):
    """The module's world; what a test changes in it is undone after the test."""
    savepoint = db.session.begin_nested()
    try:
        yield module_world
    finally:
        savepoint.rollback()


def _build_world() -> tuple[dict[str, User | None], dict[str, Issue]]:
    counter = iter(range(1, 100))

    def make_user(role: Role = Role.READER) -> User:
        email = f"user{next(counter)}@example.com"
        return accounts.create_user(email, TEST_PASSWORD, role=role)

    pubs = {p.slug: p for p in db.session.scalars(select(Publication))}
    plans = {p.code: p for p in db.session.scalars(select(Plan))}

    def issue(slug: str, number: int, released: date, publish_at: datetime | None, **kw) -> Issue:
        row = Issue(
            publication=pubs[slug],
            number=number,
            release_date=released,
            publish_at=publish_at,
            status=kw.pop("status", IssueStatus.READY),
            page_count=40,
            preview_pages=3,
            **kw,
        )
        db.session.add(row)
        return row

    issues = {
        "published": issue("challenge", 228, date(2022, 2, 11), datetime(2022, 2, 11, 6)),
        "old_back_issue": issue("challenge", 150, date(2020, 3, 1), datetime(2020, 3, 1, 6)),
        "auto_issue": issue("challenge-auto", 2, date(2021, 11, 1), datetime(2021, 11, 1)),
        "unpublished": issue("challenge", 229, date(2022, 2, 18), None),
        "scheduled_tomorrow": issue("challenge", 230, date(2022, 6, 16), NOW + timedelta(days=1)),
        "processing": issue(
            "challenge", 231, date(2022, 6, 1), datetime(2022, 6, 1), status=IssueStatus.PROCESSING
        ),
    }

    def subscriber(
        plan: str,
        status=SubscriptionStatus.ACTIVE,
        start=date(2022, 1, 1),
        end=date(2022, 12, 31),
        grace=None,
    ) -> User:
        user = make_user()
        db.session.add(
            Subscription(
                user=user,
                plan=plans[plan],
                status=status,
                starts_on=start,
                ends_on=end,
                grace_until=grace,
            )
        )
        return user

    buyer = make_user()
    db.session.add(Purchase(user=buyer, issue=issues["published"]))
    users: dict[str, User | None] = {
        "anonymous": None,
        "reader": make_user(),
        "staff": make_user(role=Role.STAFF),
        "admin": make_user(role=Role.ADMIN),
        "subscriber_challenge": subscriber("challenge-1an"),
        "subscriber_auto": subscriber("challenge-auto-1an"),
        "subscriber_pack": subscriber("pack-challenge-auto"),
        "trialing": subscriber("challenge-1an", SubscriptionStatus.TRIALING),
        "expired_subscriber": subscriber(
            "challenge-1an", SubscriptionStatus.EXPIRED, date(2021, 1, 1), date(2021, 12, 31)
        ),
        "ended_but_active_status": subscriber(
            "challenge-1an", start=date(2021, 1, 1), end=date(2022, 5, 31)
        ),
        "cancelled_until_end": subscriber("challenge-1an", SubscriptionStatus.CANCELLED),
        "past_due_in_grace": subscriber(
            "challenge-1an", SubscriptionStatus.PAST_DUE, grace=TODAY + timedelta(days=3)
        ),
        "past_due_grace_over": subscriber(
            "challenge-1an", SubscriptionStatus.PAST_DUE, grace=TODAY - timedelta(days=1)
        ),
        "period_only": subscriber("challenge-numeros-parus", start=date(2022, 1, 1)),
        "starts_next_month": subscriber("challenge-1an", start=date(2022, 7, 1)),
        "buyer": buyer,
    }
    db.session.flush()
    return users, issues


CASES = [
    ("anonymous", "published", Level.PREVIEW, Reason.ANONYMOUS),
    ("anonymous", "unpublished", Level.NONE, Reason.NOT_PUBLISHED),
    ("anonymous", "scheduled_tomorrow", Level.NONE, Reason.NOT_PUBLISHED),
    ("reader", "published", Level.PREVIEW, Reason.NO_SUBSCRIPTION),
    ("staff", "unpublished", Level.FULL, Reason.STAFF),
    ("staff", "scheduled_tomorrow", Level.FULL, Reason.STAFF),
    ("admin", "processing", Level.FULL, Reason.STAFF),
    ("subscriber_challenge", "published", Level.FULL, Reason.SUBSCRIBER),
    ("subscriber_challenge", "old_back_issue", Level.FULL, Reason.SUBSCRIBER),
    ("subscriber_challenge", "auto_issue", Level.PREVIEW, Reason.NOT_COVERED),
    ("subscriber_challenge", "unpublished", Level.NONE, Reason.NOT_PUBLISHED),
    ("subscriber_challenge", "scheduled_tomorrow", Level.NONE, Reason.NOT_PUBLISHED),
    ("subscriber_challenge", "processing", Level.NONE, Reason.NOT_PUBLISHED),
    ("subscriber_auto", "auto_issue", Level.FULL, Reason.SUBSCRIBER),
    ("subscriber_auto", "published", Level.PREVIEW, Reason.NOT_COVERED),
    ("subscriber_pack", "published", Level.FULL, Reason.SUBSCRIBER),
    ("subscriber_pack", "auto_issue", Level.FULL, Reason.SUBSCRIBER),
    ("trialing", "published", Level.FULL, Reason.SUBSCRIBER),
    ("expired_subscriber", "published", Level.PREVIEW, Reason.EXPIRED),
    ("ended_but_active_status", "published", Level.PREVIEW, Reason.EXPIRED),
    ("cancelled_until_end", "published", Level.FULL, Reason.SUBSCRIBER),
    ("past_due_in_grace", "published", Level.FULL, Reason.SUBSCRIBER),
    ("past_due_grace_over", "published", Level.PREVIEW, Reason.EXPIRED),
    ("period_only", "published", Level.FULL, Reason.SUBSCRIBER),
    ("period_only", "old_back_issue", Level.PREVIEW, Reason.OUTSIDE_PERIOD),
    ("starts_next_month", "published", Level.PREVIEW, Reason.NOT_STARTED),
    ("buyer", "published", Level.FULL, Reason.PURCHASED),
    ("buyer", "old_back_issue", Level.PREVIEW, Reason.NO_SUBSCRIPTION),
]


@pytest.mark.parametrize(("who", "which", "level", "reason"), CASES)
def test_access_table(world, who, which, level, reason) -> None:
    users, issues = world
    access = access_for(users[who], issues[which], NOW)
    assert (access.level, access.reason) == (level, reason)


def test_every_reason_has_a_sentence_for_the_reader() -> None:
    assert set(MESSAGES) == set(Reason)
    assert all(MESSAGES.values())


def test_preview_pages_only(world) -> None:
    users, issues = world
    issue = issues["published"]
    preview = access_for(None, issue, NOW)
    assert [n for n in range(0, 8) if preview.allows_page(issue, n)] == [1, 2, 3]
    full = access_for(users["subscriber_challenge"], issue, NOW)
    assert all(full.allows_page(issue, n) for n in range(1, 41))
    none = access_for(None, issues["unpublished"], NOW)
    assert not any(none.allows_page(issues["unpublished"], n) for n in range(1, 41))


def test_scheduled_issue_opens_at_its_time_without_a_job(world) -> None:
    users, issues = world
    issue = issues["scheduled_tomorrow"]
    later = NOW + timedelta(days=1, minutes=1)
    assert access_for(users["subscriber_challenge"], issue, later).level is Level.FULL
    assert access_for(None, issue, later).level is Level.PREVIEW


def test_revoked_purchase_gives_nothing(world) -> None:
    users, issues = world
    buyer = users["buyer"]
    buyer.purchases[0].revoked_at = NOW
    db.session.flush()
    assert access_for(buyer, issues["published"], NOW).level is Level.PREVIEW
