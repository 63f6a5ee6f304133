"""The gate's one decision, as a table of cases (no HTTP).

access_for reads only attributes and the rows they lead to: the world of users and issues
is built once for the module, in a transaction rolled back after its last test, and what
one test changes in it is rolled back after that test."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from magazine_app import create_app
from magazine_app.access import (
    MESSAGES,
    Console,
    Level,
    Phase,
    Reason,
    access_for,
    is_current,
    is_published,
    readable_until,
    standing,
    subscription_verdict,
    visible_issues,
)
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
        # Revoked before it began (revoke() ends it on its start date): it never opens.
        "revoked_before_start": subscriber(
            "challenge-1an", SubscriptionStatus.EXPIRED, date(2022, 7, 1), date(2022, 7, 1)
        ),
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
    ("revoked_before_start", "published", Level.PREVIEW, Reason.EXPIRED),
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
    assert full.opens_every_page(issue) and not preview.opens_every_page(issue)
    assert not none.opens_every_page(issues["unpublished"])
    issue.preview_pages = issue.page_count  # every page free: nothing more to subscribe for
    assert preview.opens_every_page(issue)
    issue.preview_pages = 0
    assert preview.readable_pages(issue) is None and not preview.allows_page(issue, 1)


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


# --------------------------------------------------------------------------- lists and search

# (status, publish_at relative to NOW, published?): the one rule, on both sides of each edge.
PUBLICATION_CASES = [
    (IssueStatus.READY, None, False),
    (IssueStatus.READY, -timedelta(days=30), True),
    (IssueStatus.READY, -timedelta(microseconds=1), True),
    (IssueStatus.READY, timedelta(0), True),  # its time has come: published
    (IssueStatus.READY, timedelta(microseconds=1), False),
    (IssueStatus.READY, timedelta(days=1), False),
    (IssueStatus.QUEUED, -timedelta(days=1), False),
    (IssueStatus.PROCESSING, -timedelta(days=1), False),
    (IssueStatus.FAILED, -timedelta(days=1), False),
    (IssueStatus.FAILED, None, False),
]


@pytest.fixture
def publication_cases(world) -> list[tuple[Issue, bool]]:
    """The cases, added to the module's world (and rolled back with it after the test)."""
    challenge = db.session.scalar(select(Publication).where(Publication.slug == "challenge"))
    rows = []
    for number, (status, offset, published) in enumerate(PUBLICATION_CASES, start=500):
        issue = Issue(
            publication=challenge,
            number=number,
            status=status,
            publish_at=None if offset is None else NOW + offset,
            release_date=date(2022, 1, 1),
            preview_pages=3,
        )
        db.session.add(issue)
        rows.append((issue, published))
    db.session.flush()
    db.session.expire_all()  # compare with what the database gives back
    return rows


def _listed(viewer, now: datetime, cases: list[tuple[Issue, bool]] | None = None) -> set[int]:
    """The issues a list shows this viewer (only the cases' ones when given)."""
    stmt = select(Issue.id).where(visible_issues(viewer, now))
    if cases is not None:
        stmt = stmt.where(Issue.id.in_([issue.id for issue, _ in cases]))
    return set(db.session.scalars(stmt))


def test_published_is_one_rule_in_python_and_in_sql(publication_cases) -> None:
    expected = {issue.id for issue, published in publication_cases if published}
    assert {i.id for i, _ in publication_cases if is_published(i, NOW)} == expected
    assert _listed(None, NOW, publication_cases) == expected
    for issue, published in publication_cases:
        level = access_for(None, issue, NOW).level
        assert (level is not Level.NONE) is published, (issue.status, issue.publish_at)


def test_staff_list_every_processed_issue_and_readers_only_published_ones(
    publication_cases,
) -> None:
    ready = {i.id for i, _ in publication_cases if i.status is IssueStatus.READY}
    published = {i.id for i, p in publication_cases if p}
    staff, admin, reader = (
        accounts.create_user(f"{role.value}-lists@example.com", TEST_PASSWORD, role=role)
        for role in (Role.STAFF, Role.ADMIN, Role.READER)
    )

    def listed(viewer):
        return _listed(viewer, NOW, publication_cases)

    assert listed(staff) == listed(admin) == listed(Console.STAFF) == ready
    assert listed(reader) == listed(None) == published
    # What a list shows, the gate opens (staff read every issue, listed or not).
    for issue, _ in publication_cases:
        for viewer in (staff, Console.STAFF):
            assert access_for(viewer, issue, NOW).reason is Reason.STAFF


def test_lists_agree_with_the_gate_for_every_viewer(world) -> None:
    users, issues = world
    for who, user in users.items():
        listed = _listed(user, NOW)
        for which, issue in issues.items():
            level = access_for(user, issue, NOW).level
            if issue.id in listed:
                assert level is not Level.NONE, (who, which)
            elif not (user is not None and user.is_staff):
                assert level is Level.NONE, (who, which)


class _LooksLikeStaff:
    """What a duck-typed gate would have taken for a staff member."""

    is_authenticated = True
    is_active = True
    is_staff = True
    is_admin = True
    id = 1
    subscriptions: list = []
    purchases: list = []


@pytest.mark.parametrize("impostor", [_LooksLikeStaff(), AnonymousUserMixin(), "staff", True, 1])
def test_only_a_user_none_or_the_staff_console_is_a_viewer(world, impostor) -> None:
    _, issues = world
    for issue in (issues["published"], issues["unpublished"]):
        with pytest.raises(TypeError):
            access_for(impostor, issue, NOW)
    with pytest.raises(TypeError):
        visible_issues(impostor, NOW)


def test_the_staff_console_reads_as_staff(world) -> None:
    _, issues = world
    for issue in issues.values():
        access = access_for(Console.STAFF, issue, NOW)
        assert (access.level, access.reason) == (Level.FULL, Reason.STAFF)


# --------------------------------------------------------------------------- standing

A, T, P, C, X = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.CANCELLED,
    SubscriptionStatus.EXPIRED,
)
JAN1, DEC31, JUL1 = date(2022, 1, 1), date(2022, 12, 31), date(2022, 7, 1)

# (status, starts_on, ends_on, grace_until) -> (phase, readable until, in grace), on TODAY.
STANDING_CASES = [
    ((A, JAN1, DEC31, None), (Phase.CURRENT, DEC31, False)),
    ((T, JAN1, DEC31, None), (Phase.CURRENT, DEC31, False)),
    ((C, JAN1, DEC31, None), (Phase.CURRENT, DEC31, False)),  # not renewed: runs to its end
    ((A, TODAY, TODAY, None), (Phase.CURRENT, TODAY, False)),  # both ends are days of access
    ((A, JAN1, TODAY - timedelta(days=1), None), (Phase.ENDED, date(2022, 6, 14), False)),
    ((C, JAN1, date(2022, 5, 31), None), (Phase.ENDED, date(2022, 5, 31), False)),
    ((X, JAN1, DEC31, None), (Phase.ENDED, None, False)),  # its status ended it
    ((X, JUL1, JUL1, None), (Phase.ENDED, None, False)),  # revoked before it began
    ((A, JUL1, DEC31, None), (Phase.UPCOMING, DEC31, False)),
    (
        (P, JAN1, date(2022, 6, 10), TODAY + timedelta(days=3)),
        (Phase.CURRENT, date(2022, 6, 18), True),
    ),
    ((P, JAN1, DEC31, TODAY - timedelta(days=1)), (Phase.ENDED, date(2022, 6, 14), True)),
    ((P, JAN1, DEC31, None), (Phase.CURRENT, DEC31, False)),  # late, no grace given: its end
]


@pytest.mark.parametrize(("row", "expected"), STANDING_CASES)
def test_where_a_subscription_stands(world, row, expected) -> None:
    from sqlalchemy import select

    status, starts, ends, grace = row
    plan = db.session.scalar(select(Plan).where(Plan.code == "challenge-1an"))
    sub = Subscription(plan=plan, status=status, starts_on=starts, ends_on=ends, grace_until=grace)
    got = standing(sub, TODAY)
    assert (got.phase, got.readable_until, got.in_grace) == expected
    assert readable_until(sub) == got.readable_until
    assert is_current(sub, TODAY) is (got.phase is Phase.CURRENT)
    # The gate opens an issue of the period exactly when the subscription is current.
    _, issues = world
    verdict = subscription_verdict(sub, issues["published"], TODAY)
    assert (verdict is Reason.SUBSCRIBER) is (got.phase is Phase.CURRENT), verdict
    assert got.issues_released is None  # challenge-1an includes back issues


def test_a_period_only_plan_opens_the_issues_released_in_its_period(world) -> None:
    from sqlalchemy import select

    users, _ = world
    [sub] = users["period_only"].subscriptions
    assert standing(sub, TODAY).issues_released == (sub.starts_on, sub.ends_on)
    pack = db.session.scalar(select(Plan).where(Plan.code == "pack-challenge-auto"))
    assert (
        standing(
            Subscription(plan=pack, status=A, starts_on=JAN1, ends_on=DEC31), TODAY
        ).issues_released
        is None
    )
