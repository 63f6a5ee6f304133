"""The command line, one module per `flask` group:

    flask users create|list            cli/users.py
    flask jobs worker                  cli/jobs.py
    flask issues ingest|list           cli/issues.py
    flask subscriptions grant|revoke|list|import   cli/subscriptions.py
    flask api-keys create|list|revoke  cli/api_keys.py
    flask search reindex|query         cli/search.py
    flask images secret                cli/images.py
    flask serve                        cli/serve.py
    flask demo                         cli/demo.py

Commands are entry points like the views: they parse arguments, call the same operations,
commit once and print the outcome."""

from __future__ import annotations

from flask import Flask

from magazine_app.cli import (
    api_keys,
    demo,
    images,
    issues,
    jobs,
    search,
    serve,
    subscriptions,
    users,
)

GROUPS = (
    users.users_cli,
    jobs.jobs_cli,
    issues.issues_cli,
    subscriptions.subscriptions_cli,
    api_keys.api_keys_cli,
    search.search_cli,
    images.images_cli,
    serve.serve_command,
    demo.demo_command,
)


def init_app(app: Flask) -> None:
    for command in GROUPS:
        app.cli.add_command(command)
