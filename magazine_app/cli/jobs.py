"""`flask jobs worker`: the job consumer with this app's configuration."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from magazine_app import jobs

jobs_cli = AppGroup("jobs", help="The background job consumer.")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Process workers (default: config).")
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run the job consumer with this app's configuration (Ctrl-C stops it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    count = workers or int(app.config["HUEY_WORKERS"])
    click.echo(f"Job consumer: {type(app.extensions['huey']).__name__}, {count} worker(s).")
    jobs.run_consumer(app, count)
