"""`flask issues ingest|list` and the demo issues of `flask demo`."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from magazine_app.catalog import operations, register
from magazine_app.catalog import queries as catalog
from magazine_app.catalog.operations import PublicationState
from magazine_app.core.extensions import db
from magazine_app.jobs import ingest
from magazine_app.models import Issue, IssueStatus, Publication, utcnow

issues_cli = AppGroup("issues", help="Ingest and list issues.")


def _publication(slug: str) -> Publication:
    publication = catalog.publication_by_slug(slug)
    if publication is None:
        known = ", ".join(p.slug for p in catalog.publications())
        raise click.BadParameter(f"unknown publication {slug!r} (known: {known})")
    return publication


def ingest_in_foreground(issue: Issue, *, quiet: bool = False) -> ingest.Outcome:
    """Run the ingestion job here (not in the queue) with a progress bar, opened once the
    job knows the page count."""
    with ExitStack() as stack:
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if quiet or total <= 0:
                return
            if bar is None:
                bar = stack.enter_context(
                    click.progressbar(length=total, label="Pages", show_pos=True)
                )
            bar.update(done - bar.pos)

        return ingest.run_ingest_job(issue.id, on_progress=progress)


def summary(outcome: ingest.Outcome) -> str:
    issue = outcome.issue
    return (
        f"{issue.page_count} pages, {len(issue.toc_entries)} TOC entries, "
        f"{outcome.seconds:.1f} s, {outcome.output_bytes / 1e6:.1f} MB"
    )


@issues_cli.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publication", "slug", required=True, help="Publication slug, e.g. challenge.")
@click.option("--number", type=int, required=True)
@click.option("--title", default="")
@click.option("--period", default="", help='Period label, e.g. "Du 11 au 17 février 2022".')
@click.option("--release-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--publish", is_flag=True, help="Publish now once processed.")
@click.option("--replace", is_flag=True, help="Re-process an existing issue with this file.")
def ingest_command(
    path: Path,
    slug: str,
    number: int,
    title: str,
    period: str,
    release_date: object,
    publish: bool,
    replace: bool,
) -> None:
    """Ingest a PDF in the foreground, with a progress bar and a summary line."""
    publication = _publication(slug)
    try:
        issue = register.register_issue(
            publication,
            number,
            path,
            title=title,
            period_label=period,
            release_date=release_date.date() if release_date else None,  # type: ignore[attr-defined]
            replace=replace,
            actor=None,
        )
    except register.ProcessingError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    outcome = ingest_in_foreground(issue)
    if not outcome.ok:
        raise click.ClickException(f"Échec : {outcome.reason}")
    if publish:
        try:
            operations.publish_now(issue, utcnow(), actor=None)
        except operations.EditorialError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(summary(outcome))


@issues_cli.command("list")
def list_command() -> None:
    """Issues with their processing and publication status."""
    rows = db.session.scalars(
        select(Issue).join(Issue.publication).order_by(Publication.position, Issue.number.desc())
    ).all()
    if not rows:
        click.echo("No issues.")
        return
    now = utcnow()
    for issue in rows:
        published = str(operations.publication_state(issue, now))
        if published == PublicationState.SCHEDULED:
            published += f" {issue.publish_at:%Y-%m-%d %H:%M}"  # UTC, as stored
        state = issue.status.value
        if issue.status is IssueStatus.PROCESSING:
            state += f" {issue.progress_done}/{issue.progress_total}"
        if issue.status is IssueStatus.FAILED:
            state += f": {issue.failure_reason}"
        click.echo(
            f"{issue.id:>4}  {issue.publication.slug:<15} N°{issue.number:<5} "
            f"{issue.period_label[:32]:<32} {issue.page_count:>4} pp  {state}  {published}"
        )
