"""Outgoing mail: SMTP when MAIL_SERVER is configured, otherwise one `.eml` file per
message in the instance outbox, so that password resets work on a fresh machine.

Requests never talk to the mail server: they queue the message (`queue_mail`, or
`queue_mail_after_commit` from domain code whose change may still be rolled back) and the
job queue's `send_mail` task sends it, with retries. A request therefore answers the same
whether the mail server is up or down, and cannot reveal which addresses have accounts
by failing only for them.

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
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from magazine_app.core.config import base_url
from magazine_app.core.extensions import db

_PENDING = "mail_after_commit"


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


def send_mail_task(to: str, subject: str, body: str) -> None:
    """The `send_mail` job: an SMTP failure raises, and Huey tries again later."""
    send_mail(to, subject, body)


# Read by jobs.init_app. About 2 hours of retries (1, 2, 4, ... 32 minutes) covers a mail
# server restart or a short outage; a reset link is valid 1 hour, the reader can ask again.
# Ahead of queued ingestions: a reader waits for this mail, nobody waits for a rendition.
send_mail_task.task_options = {  # type: ignore[attr-defined]
    "retries": 6,
    "retry_delay": 60,
    "retry_backoff": 2,
    "priority": 10,
}


def queue_mail(to: str, subject: str, body: str) -> None:
    """Hand a message to the job queue. Never raises: a broken queue is logged, and the
    request answers as if the mail had left (the same answer for every address)."""
    from magazine_app.jobs import enqueue

    try:
        enqueue("send_mail", to, subject, body)
    except Exception:  # the queue's storage (SQLite file, Redis) is down
        current_app.logger.exception("Mail to %s could not be queued", to)


def queue_mail_after_commit(to: str, subject: str, body: str) -> None:
    """Queue the message when the current transaction commits; drop it if the change
    it announces is rolled back (a savepoint's rollback drops what was queued inside)."""
    session = db.session()
    pending = session.info.setdefault(_PENDING, [])
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    pending.append((transaction, to, subject, body))


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(db.session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: wait for the real commit
    pending = session.info.pop(_PENDING, [])
    for _transaction, to, subject, body in pending:
        queue_mail(to, subject, body)


@event.listens_for(db.session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [p for p in pending if not _inside(p[0], previous)]


@event.listens_for(db.session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (closed): nothing was sent.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# --------------------------------------------------------------------------- links


def link(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` under BASE_URL, in a request or outside one."""
    base = urlsplit(base_url(current_app.config))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
