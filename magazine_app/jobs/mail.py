"""Mail through the job queue: requests and domain code queue a message (`queue_mail`, or
`queue_mail_after_commit` from domain code whose change may still be rolled back) and the
`send_mail` task sends it (core/mail.send_mail), with retries. A request therefore answers
the same whether the mail server is up or down, and cannot reveal which addresses have
accounts by failing only for them."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from magazine_app.core.extensions import db
from magazine_app.core.mail import send_mail
from magazine_app.jobs.queue import enqueue

_PENDING = "mail_after_commit"


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
