"""Search pages: the archive search (/recherche) and the viewer's in-issue search
(recherche.json). Thin: parsing, searching and the gate live in magazine_app.search."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from magazine_app import search, storage
from magazine_app.catalog import queries as catalog
from magazine_app.core.extensions import limiter
from magazine_app.models import Issue, utcnow
from magazine_app.reader import bp
from magazine_app.reader.gate import access, current_reader
from magazine_app.reader.issue_views import _issue_or_404


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    # isascii: "²".isdigit() is true, and int("²") raises
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else None


def _search_limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


def _reader_key() -> str:
    """The reader behind a search: the account when logged in, else the reader-token
    cookie (hashed: a cookie is any length). An attacker who drops the cookie still has
    the per-IP limit; one with many addresses and an account has this one."""
    reader = current_reader()
    if reader is not None:
        return f"search-user:{reader.id}"
    token = request.cookies.get(storage.READER_COOKIE, "")
    return "search-token:" + hashlib.sha256(token.encode()).hexdigest()[:24]


def _no_reader() -> bool:
    return current_reader() is None and not request.cookies.get(storage.READER_COOKIE)


def _no_query() -> bool:
    # An empty query answers nothing about any page and costs no search: it does not count.
    return not request.args.get("q", "").strip()


# Both searches share the same budgets (scope), per IP and per reader. The engines never
# search the pages a reader may not read, but a single whole word still gets a yes or no
# about them on the archive page, and search is the costliest request: guesses are rationed.
_limit_by_ip = limiter.shared_limit(
    _search_limit,
    scope="search-ip",
    key_func=lambda: "search-ip:" + (request.remote_addr or "?"),
    exempt_when=_no_query,
)
_limit_by_reader = limiter.shared_limit(
    _search_limit,
    scope="search-reader",
    key_func=_reader_key,
    exempt_when=lambda: _no_query() or _no_reader(),
)


@bp.route("/recherche")
@_limit_by_ip
@_limit_by_reader
def search_page() -> str:
    """Search across the archive: query, publication and year filters, results grouped by
    issue, paginated by issue."""
    raw = request.args.get("q", "")
    query = search.parse(raw)
    publications = catalog.publications()
    slug = request.args.get("publication") or None
    publication = catalog.publication_by_slug(slug) if slug else None
    if slug and publication is None:
        abort(404)
    year = _int_arg("annee")
    if year is not None and not 1 <= year <= 9999:  # what a date can hold: ignore it
        flash(_("Année %(year)s hors limites : filtre ignoré.", year=year), "warning")
        args = {k: v for k, v in request.args.lists() if k != "annee"}
        return redirect(url_for("reader.search_page", **args))  # type: ignore[return-value]
    page = _int_arg("page") or 1
    reader, now = current_reader(), utcnow()
    results = search.search_archive(
        query, reader, now, search.Filters(publication=publication, year=year), page=page
    )
    if page > 1 and not results.issues:
        abort(404)  # past the last page of results
    return render_template(
        "reader/search.html",
        q=query.raw,
        query=query,
        truncated=len(raw.strip()) > search.MAX_QUERY_CHARS,
        results=results,
        publications=publications,
        publication=publication,
        years=search.years(reader, now),
        year=year,
        thumb_url=_thumb_url,
    )


def _thumb_url(issue: Issue, hit: search.Hit) -> str | None:
    """A signed thumbnail URL of a hit's page: only for readable hits (the domain gives a
    rendition only for those) and asked of the gate again, as every image is."""
    if not hit.thumb or not access(issue).allows_page(issue, hit.page):
        return None
    return storage.rendition_url(issue, hit.thumb)


@bp.route("/lire/<slug>/<int:number>/recherche.json")
@_limit_by_ip
@_limit_by_reader
def issue_search(slug: str, number: int) -> Response:
    """Hits in one issue for the viewer: snippet and highlight rectangles (normalised
    0..1), of the pages this reader may read only. The other pages are not searched, so
    the answer says nothing of them; `notice` (the same whatever the query) tells a
    preview reader that the search covers the free pages."""
    issue = _issue_or_404(slug, number)
    query = search.parse(request.args.get("q", ""))
    gate = access(issue)
    hits = search.search_issue(query, issue, gate)
    notice = None
    if not gate.opens_every_page(issue):
        notice = _(
            "La recherche ne porte que sur les pages en accès libre : abonnez-vous pour "
            "chercher dans tout le numéro."
        )
    payload: dict[str, Any] = {
        "query": query.raw,
        "hits": [
            {"page": h.page, "label": h.label, "snippet": str(h.snippet or ""), "rects": h.rects}
            for h in hits
        ],
        "notice": notice,
    }
    response = jsonify(payload)
    response.headers["Cache-Control"] = "private, no-store"
    return response
