"""The API's transaction control: each request commits at most once.

A read (GET) commits only the key's last use, in `_authenticate`. A write commits its
change here, with the key's last use in the same transaction: the touch is the last
statement before the commit, so that the key's row is locked for the commit only, not
while the change runs (concurrent calls with the same key would queue behind it). A
refused or replayed write commits nothing, its use included; the next call records it
(`api_keys.touch` writes at most once a minute anyway)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import g
from sqlalchemy.exc import IntegrityError

from magazine_app.core.extensions import db
from magazine_app.subscriptions import api_keys

T = TypeVar("T")


def commit() -> None:
    """The write's one commit, with the key's last use."""
    api_keys.touch(g.api_client)
    db.session.commit()


def retry_once_on_integrity_error(write: Callable[[], T]) -> T:
    """Run `write` (which commits); if a concurrent request inserted the same row first,
    roll back and run it once more, which now finds that row (an identical replay, an
    update, or a refusal). A second conflict is a real error."""
    try:
        return write()
    except IntegrityError:
        db.session.rollback()
    return write()
