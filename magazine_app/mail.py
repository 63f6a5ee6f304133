"""Outgoing mail: SMTP when MAIL_SERVER is configured, otherwise one `.eml` file per
message in the instance outbox, so that password resets work on a fresh machine."""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from uuid import uuid4

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> Path | None:
    """Send a plain-text message; return the outbox file when written to disk."""
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
