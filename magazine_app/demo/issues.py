"""The two demo issues, generated as PDFs (demo/pdf) and registered through the same path
as an upload; `flask demo` then ingests and publishes them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from magazine_app.catalog import queries as catalog
from magazine_app.catalog import register
from magazine_app.demo.pdf import DEMO_ISSUES
from magazine_app.models import Issue, IssueStatus


def register_demo_issues() -> Iterator[Issue]:
    """Generate and register each demo issue that is not ready yet, one at a time (the
    caller commits, ingests and publishes each before the next is generated)."""
    for meta in DEMO_ISSUES:
        publication = catalog.publication_by_slug(meta["publication"])
        if publication is None:
            raise register.ProcessingError(
                f"publication {meta['publication']} is missing: run `flask db upgrade`"
            )
        existing = catalog.find_issue(publication, meta["number"])
        if existing is not None and existing.status is IssueStatus.READY:
            continue
        release = meta["release_date"]
        with tempfile.TemporaryDirectory() as tmp:
            pdf = meta["builder"](Path(tmp) / meta["filename"])
            issue = register.register_issue(
                publication,
                meta["number"],
                pdf,
                actor=None,
                title=meta.get("title", ""),
                period_label=meta["period_label"],
                release_date=release if isinstance(release, date) else date.fromisoformat(release),
                cover_lines=meta.get("cover_lines", []),
                replace=existing is not None,
            )
        yield issue
