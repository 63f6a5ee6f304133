"""Supervisor behaviour: hung and killed children, retries, progress, cleanup."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from magazine_app.ingest import IngestError, run_ingest
from tests.ingest.conftest import FAST_SIZES
from tests.ingest.hanging_child import PAGE_LOG

DOUBLE = str(Path(__file__).with_name("hanging_child.py"))


@pytest.fixture
def five_pages(make_pdf):
    def build(doc):
        for i in range(5):
            doc.new_page().insert_text((50, 100), f"Page {i + 1}", fontsize=20)

    return make_pdf(build)


@pytest.fixture
def pages_given(tmp_path, monkeypatch):
    """Read as `pages_given()`: page -> pids of the children it was given to, in order."""
    log = tmp_path / "pages.log"
    monkeypatch.setenv(PAGE_LOG, str(log))

    def read() -> dict[int, list[int]]:
        given: dict[int, list[int]] = {}
        for line in log.read_text().splitlines():
            pid, page = map(int, line.split())
            given.setdefault(page, []).append(pid)
        return given

    return read


def test_hung_page_times_out_and_is_named(five_pages, tmp_path, no_leftover_children, pages_given):
    out = tmp_path / "o"
    started = time.monotonic()
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            out,
            sizes=FAST_SIZES,
            # Opening the PDF is timed with the same limit: 3 s leaves a child's start-up
            # (about 1.5 s on a loaded 2-core machine) out of what is measured.
            page_timeout=3,
            retries=1,
            child_command=[sys.executable, DOUBLE, "hang", "3"],
        )
    assert info.value.code == "timeout"
    assert info.value.page == 3
    assert info.value.message == "La page 3 a dépassé le temps de traitement (3 s)."
    assert time.monotonic() - started < 15
    assert sorted(p.name for p in out.iterdir()) == []  # partial output removed
    assert len(set(pages_given()[3])) == 2  # the hung page was retried once, by a new child


def test_sigkilled_child_fails_naming_the_page(
    five_pages, tmp_path, no_leftover_children, pages_given
):
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            tmp_path / "o",
            sizes=FAST_SIZES,
            retries=2,
            child_command=[sys.executable, DOUBLE, "kill", "4"],
        )
    assert info.value.code == "crashed"
    assert info.value.page == 4
    assert "page 4" in info.value.message
    assert "-9" in info.value.detail
    assert len(set(pages_given()[4])) == 3  # first attempt and two retries, each a new child


def test_sigkill_once_is_retried(five_pages, tmp_path, no_leftover_children, pages_given):
    marker = tmp_path / "killed-once"
    m = run_ingest(
        five_pages,
        tmp_path / "o",
        sizes=FAST_SIZES,
        retries=1,
        child_command=[sys.executable, DOUBLE, "kill-once", "2", str(marker)],
    )
    assert marker.exists()
    assert m.page_count == 5
    assert "Page 2" in m.pages[1].text
    given = pages_given()
    assert sorted(given) == [1, 2, 3, 4, 5]
    assert len(set(given[2])) == 2  # the killed child's page went to a new child
    assert all(len(given[n]) == 1 for n in (1, 3, 4, 5))


def test_no_retry_means_failure(five_pages, tmp_path):
    marker = tmp_path / "killed-once"
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            tmp_path / "o",
            sizes=FAST_SIZES,
            retries=0,
            child_command=[sys.executable, DOUBLE, "kill-once", "2", str(marker)],
        )
    assert (info.value.code, info.value.page) == ("crashed", 2)


@pytest.mark.parametrize(
    ("action", "code", "message"),
    [
        (
            "fail",
            "page_failed",
            "La page 3 n'a pas pu être convertie en image (contenu endommagé ?).",
        ),
        (
            "fail-memory",
            "memory",
            "La page 3 demande plus de mémoire que la limite autorisée (1500 Mo).",
        ),
    ],
)
def test_page_reported_failed_is_retried_then_named(
    five_pages, tmp_path, no_leftover_children, pages_given, action, code, message
):
    out = tmp_path / "o"
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            out,
            sizes=FAST_SIZES,
            retries=1,
            child_command=[sys.executable, DOUBLE, action, "3"],
        )
    assert (info.value.code, info.value.page, info.value.message) == (code, 3, message)
    assert info.value.detail == "MuPDF error: boom"
    assert len(set(pages_given()[3])) == 2
    assert sorted(p.name for p in out.iterdir()) == []


def test_garbage_from_a_child_is_no_answer(five_pages, tmp_path, capsys, no_leftover_children):
    """Lines that answer nothing about the page in flight count for nothing: the child that
    then renders its page properly finishes the issue, and progress counts each page once."""
    seen = []
    m = run_ingest(
        five_pages,
        tmp_path / "o",
        sizes=FAST_SIZES,
        retries=0,
        on_progress=lambda d, t: seen.append((d, t)),
        child_command=[sys.executable, DOUBLE, "garbage", "2"],
    )
    assert m.page_count == 5
    assert [p.number for p in m.pages] == [1, 2, 3, 4, 5]
    assert seen == [(n, 5) for n in range(6)]
    err = capsys.readouterr().err
    assert err.count("non-protocol line") == 4 and err.count("while on page 2") == 4


def test_garbage_then_exit_fails_naming_the_page(five_pages, tmp_path, no_leftover_children):
    out = tmp_path / "o"
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            out,
            sizes=FAST_SIZES,
            retries=1,
            child_command=[sys.executable, DOUBLE, "garbage-exit", "2"],
        )
    assert (info.value.code, info.value.page) == ("crashed", 2)
    assert "page 2" in info.value.message and "exit status 3" in info.value.detail
    assert sorted(p.name for p in out.iterdir()) == []


def test_more_workers_than_pages(make_pdf, tmp_path, no_leftover_children):
    """The children started before validation that have no page are stopped, not left."""
    pdf = make_pdf(lambda d: d.new_page().insert_text((50, 100), "Seule page"))
    m = run_ingest(pdf, tmp_path / "o", sizes=FAST_SIZES, workers=3)
    assert m.page_count == 1 and "Seule page" in m.pages[0].text


def test_total_timeout(five_pages, tmp_path, no_leftover_children):
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            tmp_path / "o",
            sizes=FAST_SIZES,
            page_timeout=30,
            total_timeout=2,
            child_command=[sys.executable, DOUBLE, "hang", "1"],
        )
    assert info.value.code == "timeout"


def test_progress_reported(five_pages, tmp_path):
    seen = []
    run_ingest(
        five_pages, tmp_path / "o", sizes=FAST_SIZES, on_progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_memory_limit_applies(make_pdf, tmp_path, no_leftover_children):
    """A limit too small for the renderer is a clean failure, not a dead supervisor."""
    pdf = make_pdf(lambda d: d.new_page())
    with pytest.raises(IngestError) as info:
        run_ingest(pdf, tmp_path / "o", memory_limit_mb=60)
    assert info.value.code in {"memory", "crashed"}


def test_parent_never_imports_pymupdf(five_pages, tmp_path):
    import subprocess

    code = (
        "import sys; from magazine_app.ingest import run_ingest; "
        f"run_ingest({str(five_pages)!r}, {str(tmp_path / 'o')!r}, sizes={FAST_SIZES!r}); "
        "assert 'pymupdf' not in sys.modules and 'fitz' not in sys.modules"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
