"""`flask issues ingest|list` and the demo issues of `flask demo`."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from . import catalog, processing
from .extensions import db
from .models import Issue, IssueStatus, Publication, utcnow

issues_cli = AppGroup("issues", help="Ingest and list issues.")


def _publication(slug: str) -> Publication:
    publication = catalog.publication_by_slug(slug)
    if publication is None:
        known = ", ".join(p.slug for p in catalog.publications())
        raise click.BadParameter(f"unknown publication {slug!r} (known: {known})")
    return publication


def ingest_in_foreground(issue: Issue, *, quiet: bool = False) -> processing.Outcome:
    """Run the ingestion job here (not in the queue) with a progress bar."""
    bar: list[click.progressbar] = []

    def progress(done: int, total: int) -> None:
        if quiet or total <= 0:
            return
        if not bar:
            bar.append(click.progressbar(length=total, label="Pages", show_pos=True))
            bar[0].__enter__()
        bar[0].update(done - bar[0].pos)

    try:
        outcome = processing.run_ingest_job(issue.id, on_progress=progress)
    finally:
        if bar:
            bar[0].__exit__(None, None, None)
    return outcome


def summary(outcome: processing.Outcome) -> str:
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
        issue = processing.register_issue(
            publication,
            number,
            path,
            title=title,
            period_label=period,
            release_date=release_date.date() if release_date else None,  # type: ignore[attr-defined]
            replace=replace,
        )
    except processing.ProcessingError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    outcome = ingest_in_foreground(issue)
    if not outcome.ok:
        raise click.ClickException(f"Échec : {outcome.reason}")
    if publish:
        issue.publish_at = utcnow()
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
        if issue.publish_at is None:
            published = "unpublished"
        elif issue.publish_at > now:
            published = f"scheduled {issue.publish_at:%Y-%m-%d %H:%M}"
        else:
            published = "published"
        state = issue.status.value
        if issue.status is IssueStatus.PROCESSING:
            state += f" {issue.progress_done}/{issue.progress_total}"
        if issue.status is IssueStatus.FAILED:
            state += f": {issue.failure_reason}"
        click.echo(
            f"{issue.id:>4}  {issue.publication.slug:<15} N°{issue.number:<5} "
            f"{issue.period_label[:32]:<32} {issue.page_count:>4} pp  {state}  {published}"
        )


def create_demo_issues(echo: bool = True) -> list[Issue]:
    """Generate the two demo issues and ingest them through the normal path (idempotent)."""
    from .ingest.demo import DEMO_ISSUES

    made = []
    for meta in DEMO_ISSUES:
        publication = _publication(meta["publication"])
        existing = db.session.scalar(
            select(Issue).where(
                Issue.publication_id == publication.id, Issue.number == meta["number"]
            )
        )
        if existing is not None and existing.status is IssueStatus.READY:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            pdf = meta["builder"](Path(tmp) / meta["filename"])
            issue = processing.register_issue(
                publication,
                meta["number"],
                pdf,
                title=meta.get("title", ""),
                period_label=meta["period_label"],
                release_date=meta["release_date"]
                if isinstance(meta["release_date"], date)
                else date.fromisoformat(meta["release_date"]),
                cover_lines=meta.get("cover_lines", []),
                replace=existing is not None,
            )
        db.session.commit()
        if echo:
            click.echo(f"Demo issue {publication.title} N°{issue.number}:")
        outcome = ingest_in_foreground(issue, quiet=not echo)
        if not outcome.ok:
            raise click.ClickException(f"demo issue failed: {outcome.reason}")
        issue.publish_at = utcnow()
        db.session.commit()
        if echo:
            click.echo("  " + summary(outcome))
        made.append(issue)
    return made


def init_app(app: Flask) -> None:
    app.cli.add_command(issues_cli)
