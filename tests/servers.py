"""Real servers for tests: nginx (Debian's, with the shipped config) in front of the app.

Each server gets its own free port and its own prefix folder (config, pid, logs, temp
files), so tests never share state with each other or with a system nginx."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from string import Template
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "magazine.conf.template"
IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if path is None:
        if IN_CI:
            pytest.fail("nginx is missing: CI must install Debian's nginx-light (make test does)")
        pytest.skip(
            "nginx is not installed (apt-get install nginx-light; make test does it as root)"
        )
    return path


def render_site(values: dict[str, str]) -> str:
    """The shipped template as envsubst renders it: only our ${MAGAZINE_*} names."""
    text = NGINX_TEMPLATE.read_text()
    return Template(text).safe_substitute(values)


class Nginx:
    """nginx -p <prefix> -c <prefix>/nginx.conf, in the foreground, on its own port."""

    def __init__(self, prefix: Path, *, upstream: str, storage_root: str, secret: str) -> None:
        self.prefix = prefix
        self.port = free_port()
        for sub in ("logs", "temp", "conf"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        site = render_site(
            {
                "MAGAZINE_LISTEN": f"127.0.0.1:{self.port}",
                "MAGAZINE_SERVER_NAME": "localhost",
                "MAGAZINE_UPSTREAM": upstream,
                "MAGAZINE_STORAGE_ROOT": storage_root.rstrip("/"),
                "MAGAZINE_IMAGE_URL_SECRET": secret,
            }
        )
        assert "${MAGAZINE_" not in site, "a variable of the template was not rendered"
        (prefix / "conf" / "magazine.conf").write_text(site)
        temp = prefix / "temp"
        user = "user root;\n" if os.geteuid() == 0 else ""
        (prefix / "conf" / "nginx.conf").write_text(
            f"""{user}worker_processes 1;
daemon off;
pid {prefix}/logs/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/logs/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {prefix}/conf/magazine.conf;
}}
"""
        )
        binary = nginx_binary()
        conf = str(prefix / "conf" / "nginx.conf")
        check = subprocess.run(
            [binary, "-t", "-p", str(prefix), "-c", conf, "-e", str(prefix / "logs" / "error.log")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", conf, "-e", str(prefix / "logs" / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RequestRecorder:
    """WSGI middleware that records every path the app itself was asked for."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app
        self.paths: list[str] = []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        self.paths.append(environ.get("RAW_URI") or environ.get("PATH_INFO", ""))
        return self.wsgi_app(environ, start_response)

    def image_requests(self) -> list[str]:
        return [p for p in self.paths if p.startswith(("/img/", "/_protected/"))]


def consumer_env(cfg: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment of a real `flask jobs worker` process for a test's app config: the
    same database, job queue, storage and secret, small renditions (TEST_SIZES)."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "MAGAZINE_INSTANCE_PATH": cfg["INSTANCE_PATH"],
        "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
        "MAGAZINE_HUEY_SQLITE_PATH": cfg["HUEY_SQLITE_PATH"],
        "MAGAZINE_STORAGE_ROOT": cfg["STORAGE_ROOT"],
        "MAGAZINE_SECRET_KEY": cfg["SECRET_KEY"],
        "MAGAZINE_INGEST_SIZES": '{"thumb": 120, "screen": 400, "zoom": 800}',
        **extra,
    }
    env.pop("TEST_DATABASE_URL", None)
    return env
