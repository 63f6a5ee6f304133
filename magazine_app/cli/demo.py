"""`flask demo`: the demo accounts and issues of the embedded default (idempotent)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from magazine_app.catalog import operations
from magazine_app.catalog.register import ProcessingError
from magazine_app.cli.issues import ingest_in_foreground, summary
from magazine_app.core.extensions import db
from magazine_app.demo.accounts import DemoError, create_demo_accounts, demo_label
from magazine_app.demo.issues import register_demo_issues
from magazine_app.models import utcnow


@click.command("demo")
@click.option("--no-issues", is_flag=True, help="Only the demo accounts.")
@with_appcontext
def demo_command(no_issues: bool) -> None:
    """Create the demo accounts and issues (idempotent)."""
    try:
        created = create_demo_accounts()
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for email, password, role in created:
        click.echo(f"Demo account {email} / {password} ({demo_label(email, role)})")
    if no_issues:
        return
    try:
        for issue in register_demo_issues():
            db.session.commit()
            click.echo(f"Demo issue {issue.publication.title} N°{issue.number}:")
            outcome = ingest_in_foreground(issue)
            if not outcome.ok:
                raise click.ClickException(f"demo issue failed: {outcome.reason}")
            operations.publish_now(issue, utcnow(), actor=None)
            db.session.commit()
            click.echo("  " + summary(outcome))
    except (ProcessingError, operations.EditorialError) as exc:
        raise click.ClickException(str(exc)) from exc
