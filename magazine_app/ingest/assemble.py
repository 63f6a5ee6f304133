"""Assemble `manifest.json` from the per-page JSON files the children wrote.

Streams page by page (one page's text and words in memory at a time), so assembling a
400-page issue costs as little memory as assembling a 10-page one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from magazine_app.ingest.manifest import MANIFEST_NAME, MANIFEST_VERSION, PAGES_DIR
from magazine_app.ingest.toc import build_toc

PUBLIC_PAGE_KEYS = ("number", "label", "width", "height", "text", "words", "links", "renditions")


def _page_file(out_dir: Path, number: int) -> Path:
    return out_dir / PAGES_DIR / f"{number:04d}.json"


def _read_page(out_dir: Path, number: int) -> dict[str, Any]:
    with open(_page_file(out_dir, number), encoding="utf-8") as fh:
        return json.load(fh)


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
        toc, toc_source = outline, "outline"
    else:
        feats, labels = _toc_features(out_dir, page_count)
        toc, toc_source = build_toc(feats, labels), "built"
        del feats
    header = {
        "version": MANIFEST_VERSION,
        "source": {"sha256": source_sha256, "bytes": source_bytes},
        "page_count": page_count,
        "metadata": metadata,
        "toc_source": toc_source,
        "toc": toc,
    }
    referenced: set[str] = set()
    tmp = out_dir / (MANIFEST_NAME + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "pages": [')
        for n in range(1, page_count + 1):
            page = _read_page(out_dir, n)
            public = {k: page[k] for k in PUBLIC_PAGE_KEYS}
            referenced.update(r["file"] for r in public["renditions"].values())
            fh.write(("," if n > 1 else "") + json.dumps(public, ensure_ascii=False))
        fh.write("]}")
    os.replace(tmp, out_dir / MANIFEST_NAME)
    shutil.rmtree(out_dir / PAGES_DIR, ignore_errors=True)
    for name in rendition_names:
        folder = out_dir / name
        if folder.is_dir():
            for f in folder.iterdir():
                if f"{name}/{f.name}" not in referenced:
                    f.unlink()
