"""`flask search reindex` and `flask search query`: the same domain functions as the views."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from magazine_app.access import Console
from magazine_app.core.extensions import db
from magazine_app.models import utcnow
from magazine_app.search import parse, reindex_all, search_archive
from magazine_app.search.query import describe

search_cli = AppGroup("search", help="Full-text search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the full-text index of every processed issue."""
    started = time.monotonic()
    issues, pages = reindex_all()
    db.session.commit()
    click.echo(f"Indexed {pages} pages of {issues} issues in {time.monotonic() - started:.1f} s.")


@search_cli.command("query")
@click.argument("words", nargs=-1, required=True)
@click.option("--page", type=int, default=1, show_default=True)
def query_command(words: tuple[str, ...], page: int) -> None:
    """Search the archive as staff would (every processed issue), e.g. to check the index."""
    query = parse(" ".join(words))
    click.echo(f"Query: {describe(query.terms) or '(empty)'}")
    results = search_archive(query, Console.STAFF, utcnow(), page=page)
    click.echo(f"{results.total_hits} pages in {results.total_issues} issues")
    for result in results.issues:
        issue = result.issue
        pages = ", ".join(str(h.page) for h in result.hits)
        slug = issue.publication.slug
        click.echo(f"  {slug} N°{issue.number}: pages {pages} ({result.hit_count})")
