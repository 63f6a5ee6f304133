"""`flask images secret`: the secret nginx's secure_link_md5 needs to verify page-image URLs."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from magazine_app.storage import image_secret

images_cli = AppGroup("images", help="Signed page-image URLs.")


@images_cli.command("secret")
def image_secret_command() -> None:
    """Print the secret that nginx's secure_link_md5 needs (see the README)."""
    click.echo(image_secret())
