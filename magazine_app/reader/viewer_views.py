"""The viewer page and the public cover image of shared links.

The viewer's HTML already carries the requested page's image (signed URLs, `srcset`):
the browser starts downloading it while parsing, before any script runs, which is most
of why the first page appears in a fraction of the time a PDF viewer needs. The script
then fetches pages.json for everything else."""

from __future__ import annotations

import time

from flask import abort, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response

from magazine_app import storage
from magazine_app.access import access_for
from magazine_app.catalog import reading
from magazine_app.models import Issue, utcnow
from magazine_app.reader import bp
from magazine_app.reader.compress import gzipped
from magazine_app.reader.gate import access, current_reader
from magazine_app.reader.issue_views import _issue_or_404

# Height taken by the viewer's toolbars (CSS px); used for the first image's `sizes`.
CHROME_PX = 124


@bp.route("/lire/<slug>/<int:number>/<int:page>")
def viewer(slug: str, number: int, page: int) -> Response | str:
    issue = _issue_or_404(slug, number)
    last = max(1, issue.page_count)
    if page < 1 or page > last:
        return redirect(
            url_for("reader.viewer", slug=slug, number=number, page=min(max(page, 1), last))
        )
    acc = access(issue)
    row = reading.viewer_page(issue, page)
    if row is None:
        abort(404)
    entry = reading.page_entry(issue, row, acc, storage.reader_token(), time.time())
    reader = current_reader()
    html = render_template(
        "reader/viewer.html",
        issue=issue,
        access=acc,
        entry=entry,
        first_sizes=_first_sizes(entry),
        rendition_sizes=storage.RENDITION_SIZES,
        resume=reading.saved_position(reader, issue),
        logged_in=reader is not None,
    )
    response = Response(html, mimetype="text/html")
    # Signed, per-browser image URLs inside: never cached by anyone else.
    response.headers["Cache-Control"] = "private, no-store"
    return gzipped(response)


def _first_sizes(entry: dict) -> str:
    """The displayed width of the first page before the script has measured anything:
    the page fits the viewport below the toolbars."""
    ratio = (entry["width"] / entry["height"]) if entry.get("height") else 0.707
    return f"min(100vw, calc((100vh - {CHROME_PX}px) * {ratio:.4f}))"


@bp.route("/lire/<slug>/<int:number>/couverture")
def og_cover(slug: str, number: int) -> Response:
    """The cover as a public, cacheable image for link previews (Open Graph): crawlers
    have no reader cookie, so signed URLs cannot serve them. Only when the gate shows
    page 1 to anonymous visitors, which it does for every published issue."""
    issue = _issue_or_404(slug, number)
    if not _cover_is_public(issue):
        abort(404)
    row = reading.viewer_page(issue, 1)
    rendition = (row.renditions or {}).get("screen") if row else None
    if not rendition:
        abort(404)
    relative = storage.rendition_relpath(issue.id, issue.rendition_dir or "", rendition["file"])
    # Only ever a rendition file (as /img): never a manifest or an original, whatever a
    # row says.
    if not storage.is_rendition_path(relative):
        abort(404)
    path = storage.resolve(relative)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=rendition.get("mime") or "image/webp", conditional=True)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _cover_is_public(issue: Issue) -> bool:
    return access_for(None, issue, utcnow()).allows_page(issue, 1)
