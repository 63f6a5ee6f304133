"""What readers see: the kiosk, the archive, the plans."""

from __future__ import annotations

from flask import abort, render_template, request

from magazine_app.catalog import queries as catalog
from magazine_app.catalog import reading
from magazine_app.models import utcnow
from magazine_app.reader import bp
from magazine_app.reader.gate import current_reader, prefetch_covers
from magazine_app.subscriptions import operations as subscriptions


@bp.route("/")
def kiosk() -> str:
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
