"""What readers see: the kiosk, the archive, the plans."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .. import catalog, reading, subscriptions
from ..models import utcnow

bp = Blueprint("reader", __name__)


@bp.route("/")
def kiosk() -> str:
    from .gate import current_reader, prefetch_covers

    now = utcnow()
    entries = catalog.kiosk(now)
    started = reading.in_progress(current_reader(), now)
    prefetch_covers([e.issue for e in entries if e.issue] + [p.issue for p in started])
    positions = {p.issue_id: p.page for p in started}
    return render_template(
        "reader/kiosk.html", entries=entries, started=started, positions=positions
    )


@bp.route("/archives")
def archive() -> str:
    """Per publication, one year of issues at a time (paginated within the year), so that
    hundreds of issues never load at once; covers are lazy-loaded thumbnails."""
    from .gate import prefetch_covers

    pubs = catalog.publications()
    slug = request.args.get("publication") or (pubs[0].slug if pubs else None)
    publication = catalog.publication_by_slug(slug) if slug else None
    if slug and publication is None:
        abort(404)
    now = utcnow()
    years = catalog.archive_years(publication, now) if publication else []
    year = _requested_year(years)
    listing = None
    if publication and years:
        page = request.args.get("page", 1, type=int) or 1
        listing = catalog.archive_page(publication, now, year, page, catalog.ARCHIVE_PAGE_SIZE)
        prefetch_covers(listing.issues)
    return render_template(
        "reader/archive.html",
        publications=pubs,
        publication=publication,
        years=years,
        year=year,
        listing=listing,
    )


def _requested_year(years: list[tuple[int | None, int]]) -> int | None:
    """The year asked for (`annee`, "sans-date" for undated issues), else the newest."""
    known = [y for y, _ in years]
    raw = request.args.get("annee")
    if raw == "sans-date" and None in known:
        return None
    # isdigit() alone accepts "²", which int() refuses (a 500): ASCII digits only.
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 4 and int(raw) in known:
        return int(raw)
    if raw:
        abort(404)
    return known[0] if known else None


@bp.route("/abonnement")
def subscribe() -> str:
    return render_template("reader/subscribe.html", plans=subscriptions.public_plans())


# Routes defined in sibling modules register on `bp` when imported.
# isort: off
from . import gate, images, issue_views, viewer_views  # noqa: E402, F401
from . import subscription_views  # noqa: E402, F401  (« Mon abonnement »)
from . import events_views  # noqa: E402, F401  (reading statistics, staff helper)
from . import search_views  # noqa: E402, F401  (archive and in-issue search, search helper)
# isort: on
