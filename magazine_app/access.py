"""The abonnement gate: every rule about who may read what.

`access_for(viewer, issue, now)` is a pure function of its arguments and the rows they lead
to (the user's subscriptions and purchases): no request, no session, no HTTP. Every page
image, page text, TOC, search hit, viewer and API answer asks it; no view decides inline.
The same rules serve lists and summaries: `visible_issues` is the SQL condition of every
list of issues and of search, `is_free_page` the preview that staff pages mark, and
`standing` where a subscription stands (what « Mon abonnement », the staff console and
the billing API show).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum

from sqlalchemy import ColumnElement, and_

from magazine_app.core.i18n import N_
from magazine_app.models import (
    Issue,
    IssueStatus,
    Subscription,
    SubscriptionStatus,
    User,
    local_date,
)


class Level(StrEnum):
    FULL = "full"
    PREVIEW = "preview"
    NONE = "none"


class Reason(StrEnum):
    STAFF = "staff"
    SUBSCRIBER = "subscriber"
    PURCHASED = "purchased"
    NOT_PUBLISHED = "not_published"
    ANONYMOUS = "anonymous"
    NO_SUBSCRIPTION = "no_subscription"
    NOT_COVERED = "publication_not_covered"
    OUTSIDE_PERIOD = "outside_period"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"


# French msgids, translated where they are shown: `_(access.message)`.
MESSAGES: dict[Reason, str] = {
    Reason.STAFF: N_("Accès rédaction."),
    Reason.SUBSCRIBER: N_("Inclus dans votre abonnement."),
    Reason.PURCHASED: N_("Numéro acheté."),
    Reason.NOT_PUBLISHED: N_("Ce numéro n'est pas encore publié."),
    Reason.ANONYMOUS: N_(
        "Réservé aux abonnés : connectez-vous ou abonnez-vous pour lire la suite."
    ),
    Reason.NO_SUBSCRIPTION: N_("Réservé aux abonnés : abonnez-vous pour lire la suite."),
    Reason.NOT_COVERED: N_("Votre formule ne comprend pas cette publication."),
    Reason.OUTSIDE_PERIOD: N_(
        "Votre formule ne comprend que les numéros parus pendant votre abonnement."
    ),
    Reason.NOT_STARTED: N_("Votre abonnement n'a pas encore commencé."),
    Reason.EXPIRED: N_("Votre abonnement a expiré : renouvelez-le pour lire la suite."),
}

# When several subscriptions fail, the reason shown is the one that says most.
_PRIORITY = [
    Reason.EXPIRED,
    Reason.OUTSIDE_PERIOD,
    Reason.NOT_STARTED,
    Reason.NOT_COVERED,
    Reason.NO_SUBSCRIPTION,
]


# "Every page" in a page range: past the last page of any issue (an int4 in SQL).
ALL_PAGES = 2**31 - 1


# --------------------------------------------------------------------------- who asks


class Console(Enum):
    """A viewer without an account: the staff's command line (`flask search query`), which
    reads as staff do."""

    STAFF = "staff"


# Who asks the gate: a user, the staff console, or None (an anonymous visitor). Nothing
# else: an object that merely looks like a user (`is_staff`, `is_authenticated`) is refused
# with a TypeError, so that no caller can lend itself a role.
Viewer = User | Console | None


def is_staff(viewer: Viewer) -> bool:
    """Does this viewer read as staff: every issue in full, published or not?"""
    if viewer is None:
        return False
    if viewer is Console.STAFF:
        return True
    if isinstance(viewer, User):
        return viewer.is_staff
    raise TypeError(f"not a viewer (a User, Console.STAFF or None): {viewer!r}")


# --------------------------------------------------------------------------- issues


def is_published(issue: Issue, now: datetime) -> bool:
    """Readers see an issue once it is processed and its publication time (naive UTC) has
    come: no job runs at that moment, time alone publishes. `_published_sql` is the same
    rule in SQL; tests/test_access.py checks that the two agree on a table of cases."""
    return (
        issue.status is IssueStatus.READY
        and issue.publish_at is not None
        and issue.publish_at <= now
    )


def _published_sql(now: datetime) -> ColumnElement[bool]:
    return and_(
        Issue.status == IssueStatus.READY,
        Issue.publish_at.is_not(None),
        Issue.publish_at <= now,
    )


def visible_issues(viewer: Viewer, now: datetime) -> ColumnElement[bool]:
    """The one SQL condition for "this viewer may find this issue in a list": readers find
    published issues (`is_published`), staff every processed one, published or not (the
    gate opens any issue to them; one not processed has no page to list). The kiosk and
    the archive are public: they ask as an anonymous visitor (None), whoever looks."""
    if is_staff(viewer):
        return Issue.status == IssueStatus.READY
    return _published_sql(now)


def released_on(issue: Issue) -> date | None:
    """The day an issue came out: its release date, else the day it was published."""
    return issue.release_date or (issue.publish_at.date() if issue.publish_at else None)


def free_pages(issue: Issue) -> tuple[int, int] | None:
    """The issue's free preview as a range of pages (first, last): what anyone may read of
    it once it is published. None: no free page (staff may set 0)."""
    last = issue.preview_pages or 0
    return (1, last) if last >= 1 else None


def is_free_page(issue: Issue, page_number: int) -> bool:
    """Is this page (1-based) in the issue's free preview?"""
    span = free_pages(issue)
    return span is not None and span[0] <= page_number <= span[1]


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True)
class Access:
    level: Level
    reason: Reason

    @property
    def message(self) -> str:
        """The reason as a French msgid: show it translated, `_(access.message)`."""
        return MESSAGES[self.reason]

    @property
    def is_full(self) -> bool:
        return self.level is Level.FULL

    def allows_page(self, issue: Issue, page_number: int) -> bool:
        """May this page (1-based) of `issue` be shown in full?"""
        return self.level is Level.FULL or (
            self.level is Level.PREVIEW and is_free_page(issue, page_number)
        )

    def opens_every_page(self, issue: Issue) -> bool:
        """Is no page of `issue` closed to this reader (nothing more to subscribe for)?"""
        span = self.readable_pages(issue)
        return span is not None and span[1] >= issue.page_count

    def readable_pages(self, issue: Issue) -> tuple[int, int] | None:
        """The same rule as `allows_page`, as one range of pages (first, last), for SQL that
        must not even look at the other pages (search); None: no page at all."""
        if self.level is Level.FULL:
            return (1, ALL_PAGES)
        if self.level is Level.PREVIEW:
            return free_pages(issue)
        return None


def access_for(viewer: Viewer, issue: Issue, now: datetime) -> Access:
    """Decide what `viewer` (None = anonymous) may read of `issue` at `now` (naive UTC)."""
    if is_staff(viewer):
        return Access(Level.FULL, Reason.STAFF)
    if not is_published(issue, now):
        return Access(Level.NONE, Reason.NOT_PUBLISHED)
    if not isinstance(viewer, User):  # None: the staff console has its answer above
        return Access(Level.PREVIEW, Reason.ANONYMOUS)
    if any(p.issue_id == issue.id and p.revoked_at is None for p in viewer.purchases):
        return Access(Level.FULL, Reason.PURCHASED)
    today = local_date(now)
    failures = [subscription_verdict(sub, issue, today) for sub in viewer.subscriptions]
    if Reason.SUBSCRIBER in failures:
        return Access(Level.FULL, Reason.SUBSCRIBER)
    reason = next((r for r in _PRIORITY if r in failures), Reason.NO_SUBSCRIPTION)
    return Access(Level.PREVIEW, reason)


# --------------------------------------------------------------------------- subscriptions


class Phase(StrEnum):
    UPCOMING = "upcoming"  # opens issues from its start date
    CURRENT = "current"  # opens issues today
    ENDED = "ended"  # opens nothing any more


@dataclass(frozen=True)
class Standing:
    """Where one subscription stands on a given day, as the gate decides it: what
    « Mon abonnement », the staff console and the billing API show of it."""

    phase: Phase
    readable_until: date | None  # its last day of access; None: its status ended it
    in_grace: bool  # payment is late: readable_until is the end of the grace period
    # The release dates of the issues it opens (first, last); None: any, back issues too.
    issues_released: tuple[date, date] | None

    @property
    def is_current(self) -> bool:
        return self.phase is Phase.CURRENT

    @property
    def is_upcoming(self) -> bool:
        return self.phase is Phase.UPCOMING

    @property
    def is_ended(self) -> bool:
        return self.phase is Phase.ENDED


def _in_grace(sub: Subscription) -> bool:
    return sub.status is SubscriptionStatus.PAST_DUE and sub.grace_until is not None


def readable_until(sub: Subscription) -> date | None:
    """The last day a subscription opens issues, by its status: the end of its grace period
    when payment is late (past due, with a grace period); its end date when active,
    trialing, past due without grace, or cancelled (not renewed, but paid to its end);
    None once expired (revoked, or ended by the billing system): it opens nothing."""
    match sub.status:
        case SubscriptionStatus.EXPIRED:
            return None
        case SubscriptionStatus.PAST_DUE if _in_grace(sub):
            return sub.grace_until
        case (
            SubscriptionStatus.ACTIVE
            | SubscriptionStatus.TRIALING
            | SubscriptionStatus.PAST_DUE
            | SubscriptionStatus.CANCELLED
        ):
            return sub.ends_on
    raise ValueError(f"no access rule for the subscription status {sub.status!r}")


def issues_released(sub: Subscription) -> tuple[date, date] | None:
    """The release dates of the issues a subscription opens: its own period when its plan
    leaves out back issues; None (any release date) when the plan includes them."""
    return None if sub.plan.includes_back_issues else (sub.starts_on, sub.ends_on)


def standing(sub: Subscription, today: date) -> Standing:
    """Ended (past its last day of access, or expired), upcoming (before its start date)
    or current: exactly one of the three on any day."""
    until = readable_until(sub)
    if until is None or today > until:
        phase = Phase.ENDED
    elif today < sub.starts_on:
        phase = Phase.UPCOMING
    else:
        phase = Phase.CURRENT
    return Standing(phase, until, _in_grace(sub), issues_released(sub))


def is_current(sub: Subscription, today: date) -> bool:
    """Does this subscription give access today (to something)?"""
    return standing(sub, today).is_current


def subscription_verdict(sub: Subscription, issue: Issue, today: date) -> Reason:
    """Why this one subscription does (SUBSCRIBER) or does not open this issue."""
    if issue.publication_id not in {p.id for p in sub.plan.publications}:
        return Reason.NOT_COVERED
    where = standing(sub, today)
    if where.is_ended:
        return Reason.EXPIRED
    if where.is_upcoming:
        return Reason.NOT_STARTED
    if where.issues_released is not None:
        first, last = where.issues_released
        released = released_on(issue)
        if released is None or not first <= released <= last:
            return Reason.OUTSIDE_PERIOD
    return Reason.SUBSCRIBER
