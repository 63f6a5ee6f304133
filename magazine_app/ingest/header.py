"""Is this file a PDF? The first bytes decide, strictly.

PDF readers accept `%PDF-` anywhere in the first KiB; we do not: a file that starts with
anything else (an HTML page with `%PDF-` further down is a known HTML/PDF polyglot) is
refused, and so is a file whose first KiB holds HTML markers even after `%PDF-`. Originals
are never served to browsers (only page renditions are, through signed URLs), so this is
defence in depth: no polyglot is stored that a later change could expose."""

from __future__ import annotations

from magazine_app.ingest.errors import IngestError, not_pdf

HEADER_SCAN = 1024
MAGIC = b"%PDF-"
HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<svg")

NOT_PDF = "not_pdf"
HTML = "html"
HTML_MESSAGE = (
    "Ce fichier contient du code HTML (<html>, <script>, <svg>…) au début : il est refusé "
    "par sécurité. Exportez à nouveau le PDF depuis le logiciel de mise en page."
)


def header_problem(head: bytes) -> str | None:
    """None for an acceptable start of file (`head`: its first HEADER_SCAN bytes), else
    NOT_PDF or HTML."""
    if not head.startswith(MAGIC):
        return NOT_PDF
    lowered = head[:HEADER_SCAN].lower()
    if any(marker in lowered for marker in HTML_MARKERS):
        return HTML
    return None


def check_header(head: bytes) -> None:
    """Raise the IngestError of `header_problem`, if any."""
    problem = header_problem(head)
    if problem == HTML:
        raise IngestError(HTML, HTML_MESSAGE)
    if problem == NOT_PDF:
        raise not_pdf()
