"""Supervisor behaviour: hung and killed children, retries, progress, cleanup."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from magazine_app.ingest import IngestError, run_ingest
from tests.ingest.conftest import FAST_SIZES

DOUBLE = str(Path(__file__).with_name("hanging_child.py"))


@pytest.fixture
def five_pages(make_pdf):
    def build(doc):
        for i in range(5):
            doc.new_page().insert_text((50, 100), f"Page {i + 1}", fontsize=20)

    return make_pdf(build)


def test_hung_page_times_out_and_is_named(five_pages, tmp_path, no_leftover_children):
    out = tmp_path / "o"
    started = time.monotonic()
    with pytest.raises(IngestError) as info:
        run_ingest(
            five_pages,
            out,
            sizes=FAST_SIZES,
            page_timeout=1.5,
            retries=1,
            child_command=[sys.executable, DOUBLE, "hang", "3"],
        )
    assert info.value.code == "timeout"
    assert info.value.page == 3
    assert info.value.message == "La page 3 a dépassé le temps de traitement (1.5 s)."
    assert time.monotonic() - started < 10
    assert sorted(p.name for p in out.iterdir()) == []  # partial output removed


def test_sigkilled_child_fails_naming_the_page(five_pages, tmp_path, no_leftover_children):
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


def test_sigkill_once_is_retried(five_pages, tmp_path, no_leftover_children):
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
