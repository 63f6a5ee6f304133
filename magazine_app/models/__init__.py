"""The domain's tables, as SQLAlchemy 2.0 typed models, one module per feature:

    base.py           the clock (naive UTC `utcnow`), the publisher's calendar (`local_date`)
    accounts.py       User, LoginSession
    catalog.py        Publication, Issue, Page, TocEntry, ReadingPosition
    subscriptions.py  Plan, Subscription, Purchase, ApiClient, IdempotencyRecord
    staff.py          AuditEvent, IssueReader, PageStat

`magazine_app.models` is the one import path for them (importing the package registers every
table with the metadata, as Alembic and the relationships need).

Conventions: datetimes are naive UTC (`utcnow()`), dates are calendar dates in the
publisher's time zone. Enums are stored as short strings (portable between SQLite and
PostgreSQL, readable in SQL). Domain logic lives in the domain modules, not here; models
only carry small derived properties.
"""

# isort: off
from magazine_app.models.base import utcnow, PUBLISHER_TZ, local_date
from magazine_app.models.accounts import Role, User, SESSION_KEY, LoginSession
from magazine_app.models.catalog import (
    Publication,
    IssueStatus,
    Issue,
    Page,
    TocEntry,
    ReadingPosition,
)
from magazine_app.models.subscriptions import (
    plan_publications,
    Plan,
    SubscriptionStatus,
    Subscription,
    Purchase,
    ApiClient,
    IdempotencyRecord,
)
from magazine_app.models.staff import AuditEvent, IssueReader, PageStat
# isort: on

__all__ = [
    "PUBLISHER_TZ",
    "SESSION_KEY",
    "ApiClient",
    "AuditEvent",
    "IdempotencyRecord",
    "Issue",
    "IssueReader",
    "IssueStatus",
    "LoginSession",
    "Page",
    "PageStat",
    "Plan",
    "Publication",
    "Purchase",
    "ReadingPosition",
    "Role",
    "Subscription",
    "SubscriptionStatus",
    "TocEntry",
    "User",
    "local_date",
    "plan_publications",
    "utcnow",
]
