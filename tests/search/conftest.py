"""Fixtures of the search tests: issues made of given page texts, a really
ingested corpus magazine (pytest finds the fixtures here; the corpus
names and `corpus_pdf` are imported by name)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from magazine_app import search
from magazine_app.core.extensions import db
from magazine_app.models import Issue, IssueStatus, Page, Publication, utcnow
from tests.conftest import TEST_SIZES, shared_path

TERRA = ("magazines", "terra-dif-n02-2004.pdf")
FSM = ("magazines", "fsm-issue13-changing-the-ubuntu-look.pdf")


@pytest.fixture
def make_text_issue(settle: Callable[[], None]) -> Callable[..., Issue]:
    """An issue whose pages have the given texts (no PDF, no renditions), indexed through
    the public API, as record_manifest does."""
    counter = iter(range(1, 10_000))

    def make(
        texts: list[str],
        *,
        publication: str = "challenge",
        number: int | None = None,
        published: bool | Any = True,
        preview_pages: int = 2,
        release_date: date | None = None,
    ) -> Issue:
        pub = db.session.scalar(select(Publication).where(Publication.slug == publication))
        issue = Issue(
            publication=pub,
            number=number or 500 + next(counter),
            period_label="Du 1er au 7 janvier",
            release_date=release_date or date(2022, 1, 7),
            preview_pages=preview_pages,
            status=IssueStatus.READY,
            page_count=len(texts),
            rendition_dir="v1",
        )
        if published is True:
            issue.publish_at = utcnow() - timedelta(hours=1)
        elif published:
            issue.publish_at = published
        for n, body in enumerate(texts, start=1):
            issue.pages.append(Page(number=n, label=str(n), text=body, words=[], renditions={}))
        db.session.add(issue)
        db.session.flush()
        search.index_issue(issue)
        settle()
        return issue

    return make


_CORPUS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def corpus_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("search-corpus")


@pytest.fixture
def ingest_corpus(settle: Callable[[], None], corpus_cache: Path) -> Callable[..., Issue]:
    """A corpus PDF really ingested (once per session) and recorded as an issue with the
    same domain function as a processed upload, so its pages are indexed on the way."""
    from magazine_app import storage
    from magazine_app.catalog.register import record_manifest
    from magazine_app.ingest import load_manifest, run_ingest

    def make(parts: tuple[str, str], number: int, *, preview_pages: int = 3) -> Issue:
        pdf = shared_path("corpus", *parts)
        if pdf.name not in _CORPUS:
            out = corpus_cache / pdf.stem
            run_ingest(pdf, out, sizes=TEST_SIZES)
            _CORPUS[pdf.name] = out
        pub = db.session.scalar(select(Publication).where(Publication.slug == "challenge"))
        issue = Issue(
            publication=pub,
            number=number,
            period_label="Février 2004",
            release_date=date(2004, 2, 1),
            preview_pages=preview_pages,
            publish_at=utcnow() - timedelta(hours=1),
        )
        db.session.add(issue)
        db.session.flush()
        target = storage.issue_root(issue.id) / "v1-corpus"
        shutil.copytree(_CORPUS[pdf.name], target)
        record_manifest(issue, load_manifest(target), "v1-corpus")
        settle()
        return issue

    return make


def corpus_pdf(parts: tuple[str, str]) -> Path:
    return shared_path("corpus", *parts)
