"""Outgoing mail: SMTP when MAIL_SERVER is configured, otherwise one `.eml` file per
message in the instance outbox, so that password resets work on a fresh machine.

Requests never talk to the mail server: they queue the message (jobs/mail.py) and the job
queue's `send_mail` task sends it with `send_mail` here, with retries.

Links in mails come from `link()`: built from the configured BASE_URL, never from the
Host header of the request (anybody can send a forged one)."""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

from flask import current_app

from magazine_app.core.config import base_url


def send_mail(to: str, subject: str, body: str) -> Path | None:
    """Send a plain-text message now; return the outbox file when written to disk.

    Raises OSError (smtplib's errors are OSErrors) when the mail server fails."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = datetime.now(UTC)
    msg["Message-ID"] = make_msgid(domain="challenge.ma")
    msg.set_content(body)

    if cfg.get("MAIL_SERVER"):
        _send_smtp(msg)
        return None
    outbox = Path(cfg["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = outbox / f"{stamp}-{uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(msg))
    current_app.logger.info("Mail to %s written to %s (no MAIL_SERVER configured)", to, path)
    return path


def _send_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    host, port = cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"])
    if cfg.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, context=ssl.create_default_context(), timeout=30
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
    with smtp:
        if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(msg)


# --------------------------------------------------------------------------- the queue


# --------------------------------------------------------------------------- links


def link(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` under BASE_URL, in a request or outside one."""
    base = urlsplit(base_url(current_app.config))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
