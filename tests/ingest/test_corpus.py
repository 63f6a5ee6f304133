"""Every corpus PDF ends as a manifest or a specific IngestError, with no child left behind."""

from __future__ import annotations

import json
import time
from itertools import pairwise

import pytest

from magazine_app.ingest import IngestError, load_manifest, run_ingest
from tests.ingest.conftest import FAST_SIZES, corpus_file, corpus_files

# file -> (pages, outline depth or None for a built TOC)
EXPECTED_OK = {
    "magazines/fsm-issue11-free-matter-economy-5.pdf": (9, None),
    "magazines/fsm-issue13-changing-the-ubuntu-look.pdf": (12, None),
    "magazines/terra-dif-n02-2004.pdf": (78, 2),
    "outlines/R-intro.pdf": (113, 3),
    "outlines/gnuplot-5.4-manual.pdf": (311, 5),
    "outlines/pdfjs-freeculture.pdf": (352, 3),
    "outlines/pypdf-GeoTopo-komprimiert.pdf": (117, 3),
    "outlines/pypdf-mistitled_outlines_example.pdf": (4, 3),
    "broken/ocrmypdf-hugemono-ccitt-35000px.pdf": (1, None),
    "broken/ocrmypdf-jbig2.pdf": (1, None),
    "broken/ocrmypdf-kcs-invalid-toc.pdf": (1, None),  # its only entry is blank: built
    "broken/ocrmypdf-lichtenstein-jpx.pdf": (1, None),
    "broken/ocrmypdf-multipage-mixed-sizes.pdf": (6, 2),
    "broken/ocrmypdf-poster-huge-page.pdf": (1, None),
    "broken/pdfjs-scan-bad-truncated.pdf": (1, None),
    "broken/pdfjs-xref_command_missing.pdf": (1, None),
    "broken/pikepdf-fuzz-378014596.pdf": (1, 1),
    "broken/pikepdf-jbig2global.pdf": (1, None),
    "broken/pypdf-habibi-rotated.pdf": (4, None),
    "broken/qpdf-bad-xref.pdf": (1, None),
    "broken/qpdf-damaged-stream.pdf": (1, None),
    "broken/qpdf-enc-aes256-owner-only.pdf": (30, 4),
    "broken/qpdf-enc-rc4-128-owner-only.pdf": (30, 4),
    "broken/qpdf-outlines-with-loop.pdf": (30, None),
    "broken/qpdf-pages-loop.pdf": (1, None),
    "broken/qpdf-recover-xref-stream.pdf": (1, None),
    "broken/qpdf-rotated-mixed-orientation.pdf": (20, None),
}
EXPECTED_ERROR = {
    "broken/ocrmypdf-invalid-header-eof-only.pdf": "unreadable",
    "broken/pikepdf-cyclic-toc.pdf": "no_pages",
    "broken/pikepdf-graph-encrypted-userpw-user.pdf": "encrypted",
    "broken/pypdf-libreoffice-writer-password.pdf": "encrypted",
    "broken/qpdf-append-xref-loop.pdf": "no_pages",
    "broken/qpdf-bad-direct-root.pdf": "not_pdf",
    "broken/qpdf-bad1-not-a-pdf.pdf": "not_pdf",
    "broken/qpdf-empty-zero-pages.pdf": "no_pages",
    "broken/qpdf-enc-aes256-userpw-view.pdf": "encrypted",
}
ALL = [f"{d}/{n}" for d in ("magazines", "outlines", "broken") for n in corpus_files(d)]


@pytest.mark.parametrize("rel", ALL)
def test_corpus_file(rel, tmp_path, no_leftover_children):
    pdf = corpus_file(rel)
    out = tmp_path / "out"
    started = time.monotonic()
    if rel in EXPECTED_ERROR:
        with pytest.raises(IngestError) as info:
            run_ingest(pdf, out, sizes=FAST_SIZES, page_timeout=30, total_timeout=120)
        assert info.value.code == EXPECTED_ERROR[rel]
        assert info.value.message and info.value.message[0].isupper()
        assert not (out / "manifest.json").exists()
        return
    assert rel in EXPECTED_OK, f"new corpus file {rel}: add its expectation"
    pages, depth = EXPECTED_OK[rel]
    manifest = run_ingest(pdf, out, sizes=FAST_SIZES, page_timeout=30, total_timeout=120)
    assert time.monotonic() - started < 120
    assert manifest.page_count == pages == len(manifest.pages)
    assert [p.number for p in manifest.pages] == list(range(1, pages + 1))
    assert manifest.toc, "the TOC is never empty"
    assert all(1 <= t.page <= pages and t.title.strip() for t in manifest.toc)
    levels = [t.level for t in manifest.toc]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in pairwise(levels))
    if depth is None:
        assert manifest.toc_source == "built"
    else:
        assert manifest.toc_source == "outline"
        assert max(levels) == depth
    for page in manifest.pages:
        for name, r in page.renditions.items():
            path = out / r.file
            assert path.stat().st_size == r.bytes
            assert r.width <= FAST_SIZES[name] and r.height <= 2 * FAST_SIZES[name] + 1
    # the JSON on disk is the contract shape
    raw = json.loads((out / "manifest.json").read_text())
    assert list(raw) == [
        "version",
        "source",
        "page_count",
        "metadata",
        "toc_source",
        "toc",
        "pages",
    ]
    assert load_manifest(out) == manifest
    assert not (out / ".pages").exists()


def test_owner_only_protection_is_reported_in_metadata(tmp_path):
    pdf = corpus_file("broken/qpdf-enc-rc4-128-owner-only.pdf")
    manifest = run_ingest(pdf, tmp_path / "o", sizes=FAST_SIZES)
    assert manifest.metadata["encrypted"] is True


def test_repaired_flag(tmp_path):
    pdf = corpus_file("broken/qpdf-bad-xref.pdf")
    assert run_ingest(pdf, tmp_path / "o", sizes=FAST_SIZES).metadata["repaired"] is True


def test_poster_is_capped_at_default_sizes(tmp_path):
    """18000 x 36000 pt page: every rendition stays within its pixel caps."""
    pdf = corpus_file("broken/ocrmypdf-poster-huge-page.pdf")
    manifest = run_ingest(pdf, tmp_path / "o")
    r = manifest.pages[0].renditions
    assert r["zoom"].width * r["zoom"].height <= 3200 * 4800
    assert max(r["zoom"].width, r["zoom"].height) <= 6400
    assert r["screen"].width * r["screen"].height <= 1600 * 2400
    assert manifest.pages[0].width == pytest.approx(18000, rel=0.01)
