"""Fixtures for the billing API tests: a key, a client that sends it, issue rows, the
outbox. Import the ones a module uses (`from tests.api_fixtures import api, ...`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from magazine_app.core.extensions import db
from magazine_app.models import Issue, IssueStatus, Publication, utcnow
from magazine_app.subscriptions import api_keys


@pytest.fixture
def api_key(app: Flask) -> str:
    """A live key (plaintext) of a billing client."""
    _client, key = api_keys.create_key("facturation-test")
    db.session.commit()
    return key


class ApiCaller:
    """The test client with `Authorization: Bearer <key>` on every call."""

    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.get(url, headers=self._headers(headers), **kw)

    def put(self, url: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.put(url, headers=self._headers(headers), **kw)

    def post(self, url: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.post(url, headers=self._headers(headers), **kw)


@pytest.fixture
def api(client: FlaskClient, api_key: str) -> ApiCaller:
    return ApiCaller(client, api_key)


@pytest.fixture
def make_issue_row(app: Flask) -> Callable[..., Issue]:
    """A published issue row without pages (enough for entitlements and purchases)."""

    def make(
        publication: str = "challenge",
        number: int = 228,
        released: date = date(2022, 2, 11),
        published: bool = True,
    ) -> Issue:
        pub = db.session.scalar(select(Publication).where(Publication.slug == publication))
        issue = Issue(
            publication=pub,
            number=number,
            title=f"{pub.title} N°{number}",
            period_label="Du 11 au 17 février 2022",
            release_date=released,
            status=IssueStatus.READY,
            # Published at 06:00 UTC on its release day, or now if that is still ahead (a
            # test releasing "today" ran between midnight and 06:00 UTC and saw no issue).
            publish_at=min(datetime.combine(released, time(6)), utcnow()) if published else None,
            page_count=8,
            preview_pages=3,
        )
        db.session.add(issue)
        db.session.commit()
        return issue

    return make


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[Path]]:
    """The messages written so far (MAIL_OUTBOX: one .eml per message)."""

    def read() -> list[Path]:
        folder = Path(app.config["MAIL_OUTBOX"])
        return sorted(folder.glob("*.eml")) if folder.exists() else []

    return read
