"""Fixtures for the ingestion tests: corpus location, fast renditions, PDF factories."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = Path(os.environ.get("MAGAZINE_SHARED_DIR", REPO_ROOT.parent / "shared"))
CORPUS = SHARED_DIR / "corpus"
# tiny renditions: the pipeline is exercised end to end at a fraction of the CPU
FAST_SIZES = {"thumb": 60, "screen": 200, "zoom": 300}


def corpus_file(rel: str) -> Path:
    """A corpus PDF, or skip (fail when CI=true) when the shared corpus is absent."""
    path = CORPUS / rel
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared corpus file missing in CI: {path}")
        pytest.skip(f"shared corpus not available at {CORPUS} (set MAGAZINE_SHARED_DIR)")
    return path


def corpus_files(folder: str) -> list[str]:
    """Names for parametrisation (empty list -> one skipped placeholder)."""
    d = CORPUS / folder
    return sorted(p.name for p in d.glob("*.pdf")) if d.is_dir() else ["(corpus absent)"]


def child_pids() -> list[int]:
    """Live (non-zombie) child processes of the test process."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def no_leftover_children():
    """This test's ingestion leaves no child process behind. Children alive before it are
    not its own (the browser driver of an earlier browser test lives for the session)."""
    before = set(child_pids())
    yield
    deadline = time.monotonic() + 2
    while set(child_pids()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(set(child_pids()) - before) == [], "ingestion left child processes behind"


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Build a PDF with PyMuPDF: `make_pdf(build)` where build(doc) adds pages."""
    import pymupdf

    counter = iter(range(1000))

    def factory(build: Callable[[pymupdf.Document], None], **save_kwargs) -> Path:
        doc = pymupdf.open()
        build(doc)
        path = tmp_path / f"generated-{next(counter)}.pdf"
        doc.save(path, **save_kwargs)
        doc.close()
        return path

    return factory
