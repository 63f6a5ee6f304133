"""The manifest contract: the streamed file says what Manifest.to_dict says, nothing more."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from magazine_app.ingest.manifest import (
    Manifest,
    PageManifest,
    Rendition,
    TocItem,
    write_streamed,
)


def _manifest(pages: list[PageManifest]) -> Manifest:
    return Manifest(
        version=1,
        source_sha256="ab" * 32,
        source_bytes=1234,
        page_count=len(pages),
        metadata={"title": "Numéro 1", "author": "", "encrypted": False, "repaired": False},
        toc_source="built",
        toc=[TocItem(1, "Édito", 1), TocItem(2, "Brèves", 2)],
        pages=pages,
    )


def test_streamed_manifest_is_the_dataclass_json_without_builder_features():
    pages = [
        PageManifest(
            number=n,
            label=str(n),
            width=595.28,
            height=841.89,
            text=f"Page {n} « texte »",
            words=[[0.1, 0.1, 0.2, 0.12, "Page"]],
            links=[{"rect": [0, 0, 1, 1], "page": 1}],
            renditions={"thumb": Rendition(f"thumb/{n:04d}-x.webp", 60, 85, 900, "image/webp")},
        )
        for n in (1, 2)
    ]
    # what a child writes: the page dict plus the TOC builder's raw features
    page_files = [{**p.to_dict(), "_fonts": {"body": 9.0}, "_lines": ["Sommaire"]} for p in pages]
    expected = _manifest(pages)
    out = io.StringIO()
    write_streamed(out, replace(expected, pages=[]), iter(page_files))
    written = json.loads(out.getvalue())
    assert written == expected.to_dict()
    assert list(written) == list(expected.to_dict())  # same key order as to_dict
    assert Manifest.from_dict(written) == expected


def test_streamed_manifest_without_pages_is_valid_json():
    out = io.StringIO()
    write_streamed(out, _manifest([]), iter(()))
    assert json.loads(out.getvalue()) == _manifest([]).to_dict()
