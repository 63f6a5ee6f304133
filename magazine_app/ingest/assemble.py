"""Assemble `manifest.json` from the per-page JSON files the children wrote.

Streams page by page (one page's text and words in memory at a time), so assembling a
400-page issue costs as little memory as assembling a 10-page one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from magazine_app.ingest.manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    PAGES_DIR,
    TOC_BUILT,
    TOC_FROM_OUTLINE,
    Manifest,
    TocItem,
    page_file,
    write_streamed,
)
from magazine_app.ingest.toc import build_toc


def _read_page(out_dir: Path, number: int) -> dict[str, Any]:
    with open(page_file(out_dir, number), encoding="utf-8") as fh:
        return json.load(fh)


def _pages(out_dir: Path, page_count: int, referenced: set[str]) -> Iterator[dict[str, Any]]:
    """The page files in order, adding the rendition files each names to `referenced`."""
    for n in range(1, page_count + 1):
        page = _read_page(out_dir, n)
        referenced.update(r["file"] for r in page["renditions"].values())
        yield page


def _toc_features(out_dir: Path, page_count: int) -> tuple[list[dict[str, Any]], list[str]]:
    feats, labels = [], []
    for n in range(1, page_count + 1):
        page = _read_page(out_dir, n)
        labels.append(page["label"])
        feats.append({k: v for k, v in page.items() if k in ("number", "_fonts", "_lines")})
    return feats, labels


def write_manifest(
    out_dir: Path,
    *,
    source_sha256: str,
    source_bytes: int,
    page_count: int,
    metadata: dict[str, Any],
    outline: list[dict[str, Any]],
    rendition_names: Sequence[str],
) -> None:
    """Write manifest.json atomically, then drop `.pages/` and unreferenced image files
    (left by a killed attempt whose retry produced different bytes)."""
    if outline:
        toc, toc_source = outline, TOC_FROM_OUTLINE
    else:
        feats, labels = _toc_features(out_dir, page_count)
        toc, toc_source = build_toc(feats, labels), TOC_BUILT
        del feats
    header = Manifest(
        version=MANIFEST_VERSION,
        source_sha256=source_sha256,
        source_bytes=source_bytes,
        page_count=page_count,
        metadata=metadata,
        toc_source=toc_source,
        toc=[TocItem.from_dict(t) for t in toc],
        pages=[],
    )
    referenced: set[str] = set()
    tmp = out_dir / (MANIFEST_NAME + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        write_streamed(fh, header, _pages(out_dir, page_count, referenced))
    os.replace(tmp, out_dir / MANIFEST_NAME)
    shutil.rmtree(out_dir / PAGES_DIR, ignore_errors=True)
    for name in rendition_names:
        folder = out_dir / name
        if folder.is_dir():
            for f in folder.iterdir():
                if f"{name}/{f.name}" not in referenced:
                    f.unlink()
