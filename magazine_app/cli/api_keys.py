"""`flask api-keys create|list|revoke`: the keys of the billing API (shown once, stored hashed)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from magazine_app.core.extensions import db
from magazine_app.subscriptions import api_keys

api_keys_cli = AppGroup("api-keys", help="Keys of the billing API.")


@api_keys_cli.command("create")
@click.argument("name")
def create_key_command(name: str) -> None:
    """Create a key for a billing system; the key is printed once, never stored."""
    try:
        client, key = api_keys.create_key(name)
    except api_keys.ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created API key {client.key_prefix} (id {client.id}) for {client.name!r}.")
    click.echo("Copy it now, it will not be shown again:")
    click.echo(key)


@api_keys_cli.command("list")
def list_keys_command() -> None:
    """List keys (prefix, name, creation, last use, revocation); never the keys."""
    rows = api_keys.list_keys()
    if not rows:
        click.echo("No API keys.")
        return
    for c in rows:
        used = f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never"
        state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
        click.echo(
            f"{c.id:>4}  {c.key_prefix:<12}  {c.name:<24}  created {c.created_at:%Y-%m-%d}  "
            f"last used {used}  {state}"
        )


@api_keys_cli.command("revoke")
@click.argument("prefix_or_id")
def revoke_key_command(prefix_or_id: str) -> None:
    """Revoke a key at once (by its id or its visible prefix)."""
    try:
        client = api_keys.find_key(prefix_or_id)
    except api_keys.ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    if not api_keys.revoke_key(client):
        click.echo(f"Key {client.key_prefix} (id {client.id}) was already revoked.")
        return
    db.session.commit()
    click.echo(f"Revoked key {client.key_prefix} (id {client.id}, {client.name!r}).")
