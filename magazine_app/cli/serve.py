"""`flask serve`: the embedded default in one command. gunicorn serves the app and the
Huey consumer runs the jobs, as two child processes that start and stop together (and die
with this process even on `kill -9`: lifeline.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app, has_app_context

from magazine_app.core.config import PROJECT_ROOT
from magazine_app.core.lifeline import die_with_parent
from magazine_app.demo.accounts import DEMO_ACCOUNTS, demo_label


def serve(bind: str | None = None) -> None:
    bind = bind or os.environ.get("MAGAZINE_BIND", "127.0.0.1:8000")
    env = {**os.environ, "MAGAZINE_BIND": bind, "FLASK_APP": "wsgi.py"}
    if has_app_context():
        # Both children, and gunicorn.conf.py (its control socket), use this app's folder.
        env.setdefault("MAGAZINE_INSTANCE_PATH", current_app.instance_path)
    parent = os.getpid()
    commands = {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(PROJECT_ROOT / "gunicorn.conf.py"),
            "wsgi:app",
        ],
        "jobs": [sys.executable, "-m", "flask", "jobs", "worker"],
    }
    procs = {
        name: subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: die_with_parent(parent),  # no threads here: safe
        )
        for name, cmd in commands.items()
    }
    _banner(bind)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            dead = [n for n, p in procs.items() if p.poll() is not None]
            if dead:
                click.echo(
                    f"{', '.join(dead)} stopped (exit {procs[dead[0]].returncode}); stopping."
                )
                break
            time.sleep(0.5)
    finally:
        _stop_all(procs)
    click.echo("Stopped.")


def _stop_all(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _banner(bind: str) -> None:
    host, _, port = bind.rpartition(":")
    url = f"http://{host or '127.0.0.1'}:{port}/"
    click.echo("")
    click.secho(f"  Challenge e-magazine: {url}", bold=True)
    click.echo("  Demo accounts:")
    for email, password, role, _ in DEMO_ACCOUNTS:
        click.echo(f"    {demo_label(email, role):<10} {email:<26} {password}")
    click.echo(
        f"  Data: {Path(os.environ.get('MAGAZINE_INSTANCE_PATH', PROJECT_ROOT / 'instance'))}"
    )
    click.echo("  Ctrl-C stops the web server and the job consumer.\n")


@click.command("serve")
@click.option("--bind", default=None, help="host:port (default 127.0.0.1:8000, or MAGAZINE_BIND)")
def serve_command(bind: str | None) -> None:
    """Serve the app with gunicorn AND run the job consumer; Ctrl-C stops both."""
    serve(bind)
