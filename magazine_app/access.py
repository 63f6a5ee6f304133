"""The abonnement gate: the one decision of who may read what.

`access_for(user, issue, now)` is a pure function of its arguments and the rows they lead
to (the user's subscriptions and purchases): no request, no session, no HTTP. Every page
image, page text, TOC, search hit, viewer and API answer asks it; no view decides inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from magazine_app.core.i18n import N_
from magazine_app.models import Issue, Subscription, SubscriptionStatus, User, local_date


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

    def allows(self, page_number: int, preview_pages: int) -> bool:
        """May this page (1-based) be shown in full?"""
        return self.level is Level.FULL or (
            self.level is Level.PREVIEW and 1 <= page_number <= preview_pages
        )

    def allows_page(self, issue: Issue, page_number: int) -> bool:
        return self.allows(page_number, issue.preview_pages)

    def readable_pages(self, issue: Issue) -> tuple[int, int] | None:
        """The same rule as `allows`, as one range of pages (first, last), for SQL that
        must not even look at the other pages (search); None: no page at all."""
        if self.level is Level.FULL:
            return (1, ALL_PAGES)
        if self.level is Level.PREVIEW and (issue.preview_pages or 0) >= 1:
            return (1, issue.preview_pages)
        return None


def access_for(user: User | None, issue: Issue, now: datetime) -> Access:
    """Decide what `user` (None = anonymous) may read of `issue` at `now` (naive UTC)."""
    if user is not None and getattr(user, "is_authenticated", True) and user.is_staff:
        return Access(Level.FULL, Reason.STAFF)
    if not issue.is_published(now):
        return Access(Level.NONE, Reason.NOT_PUBLISHED)
    if user is None or not getattr(user, "is_authenticated", True):
        return Access(Level.PREVIEW, Reason.ANONYMOUS)
    if any(p.issue_id == issue.id and p.revoked_at is None for p in user.purchases):
        return Access(Level.FULL, Reason.PURCHASED)
    failures = [subscription_verdict(sub, issue, local_date(now)) for sub in user.subscriptions]
    if Reason.SUBSCRIBER in failures:
        return Access(Level.FULL, Reason.SUBSCRIBER)
    reason = next((r for r in _PRIORITY if r in failures), Reason.NO_SUBSCRIPTION)
    return Access(Level.PREVIEW, reason)


def subscription_verdict(sub: Subscription, issue: Issue, today: date) -> Reason:
    """Why this one subscription does (SUBSCRIBER) or does not open this issue."""
    if issue.publication_id not in {p.id for p in sub.plan.publications}:
        return Reason.NOT_COVERED
    if today < sub.starts_on:
        return Reason.NOT_STARTED
    if today > readable_until(sub):
        return Reason.EXPIRED
    if not sub.plan.includes_back_issues:
        released = issue.release_date or (issue.publish_at.date() if issue.publish_at else None)
        if released is None or not (sub.starts_on <= released <= sub.ends_on):
            return Reason.OUTSIDE_PERIOD
    return Reason.SUBSCRIBER


def readable_until(sub: Subscription) -> date:
    """The last day a subscription opens issues: its end date, or the end of its grace
    period when payment is late; an expired subscription opens nothing."""
    if sub.status is SubscriptionStatus.EXPIRED:
        return date.min
    if sub.status is SubscriptionStatus.PAST_DUE and sub.grace_until is not None:
        return sub.grace_until  # payment failed: readable until the grace period ends
    return sub.ends_on  # active, trialing, cancelled (readable until its end date)


def is_current(sub: Subscription, today: date) -> bool:
    """Does this subscription give access today (to something)?"""
    return sub.starts_on <= today <= readable_until(sub)
