"""Search pages: the archive search (/recherche) and the viewer's in-issue search
(recherche.json). Thin: parsing, searching and the gate live in magazine_app.search."""

from __future__ import annotations

import time
from typing import Any

from flask import abort, jsonify, render_template, request
from werkzeug.wrappers import Response

from .. import catalog, search, storage
from ..models import Issue, utcnow
from .gate import access, current_reader, reader_token
from .issue_views import _issue_or_404
from .views import bp


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 6 else None


@bp.route("/recherche")
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
    if hit.locked or not hit.thumb or not access(issue).allows_page(issue, hit.page):
        return None
    rel = storage.rendition_relpath(issue.id, issue.rendition_dir or "", hit.thumb["file"])
    return storage.sign_image_url(rel, reader_token(), time.time())


@bp.route("/lire/<slug>/<int:number>/recherche.json")
def issue_search(slug: str, number: int) -> Response:
    """Hits in one issue for the viewer: snippet and highlight rectangles (normalised
    0..1) for readable pages, page numbers only for locked ones."""
    issue = _issue_or_404(slug, number)
    query = search.parse(request.args.get("q", ""))
    hits, locked = search.search_issue(query, issue, access(issue))
    payload: dict[str, Any] = {
        "query": query.raw,
        "hits": [
            {"page": h.page, "label": h.label, "snippet": str(h.snippet or ""), "rects": h.rects}
            for h in hits
        ],
        "locked_hits": [{"page": h.page} for h in locked],
    }
    response = jsonify(payload)
    response.headers["Cache-Control"] = "private, no-store"
    return response
