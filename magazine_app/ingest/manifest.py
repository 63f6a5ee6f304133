"""The manifest: what ingestion produced, as dataclasses and as `manifest.json`.

The JSON shape is a contract with the database code (the lead records it into Page/TocEntry
rows), so keys are fixed here and nowhere else: the children build their pages, renditions
and TOC entries with these dataclasses' `to_dict`, and assemble.py writes the file with
`write_streamed`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
PAGES_DIR = ".pages"  # per-page JSON written by the children, removed after assembly
TOC_FROM_OUTLINE = "outline"  # `toc_source`: the PDF's own outline, cleaned
TOC_BUILT = "built"  # `toc_source`: built from the pages (contents page, headlines)


def page_file(out_dir: Path, number: int) -> Path:
    """Where a child writes page `number` (1-based) for assemble.py to read back."""
    return out_dir / PAGES_DIR / f"{number:04d}.json"


@dataclass
class Rendition:
    file: str  # relative to the output folder, e.g. "screen/0001-ab12cd34ef56.webp"
    width: int
    height: int
    bytes: int
    mime: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "mime": self.mime,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rendition:
        return cls(d["file"], int(d["width"]), int(d["height"]), int(d["bytes"]), d["mime"])


@dataclass
class TocItem:
    level: int
    title: str
    page: int  # 1-based

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "title": self.title, "page": self.page}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TocItem:
        return cls(int(d["level"]), str(d["title"]), int(d["page"]))


@dataclass
class PageManifest:
    number: int  # 1-based
    label: str
    width: float  # points, as displayed (rotation applied)
    height: float
    text: str
    # [x0, y0, x1, y1, word], coordinates normalised to the displayed page (0..1)
    words: list[list[Any]] = field(default_factory=list)
    # {"rect": [x0, y0, x1, y1] normalised, "page": n} or {"rect": [...], "uri": "..."}
    links: list[dict[str, Any]] = field(default_factory=list)
    renditions: dict[str, Rendition] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "label": self.label,
            "width": self.width,
            "height": self.height,
            "text": self.text,
            "words": self.words,
            "links": self.links,
            "renditions": {k: r.to_dict() for k, r in self.renditions.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageManifest:
        return cls(
            number=int(d["number"]),
            label=str(d["label"]),
            width=float(d["width"]),
            height=float(d["height"]),
            text=d.get("text", ""),
            words=d.get("words", []),
            links=d.get("links", []),
            renditions={k: Rendition.from_dict(r) for k, r in d.get("renditions", {}).items()},
        )


# A page file holds these keys plus the TOC builder's raw features ("_fonts", "_lines").
PAGE_KEYS = tuple(f.name for f in fields(PageManifest))


@dataclass
class Manifest:
    version: int
    source_sha256: str
    source_bytes: int
    page_count: int
    metadata: dict[str, Any]
    toc_source: str  # TOC_FROM_OUTLINE or TOC_BUILT
    toc: list[TocItem]
    pages: list[PageManifest]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "source": {"sha256": self.source_sha256, "bytes": self.source_bytes},
            "page_count": self.page_count,
            "metadata": self.metadata,
            "toc_source": self.toc_source,
            "toc": [t.to_dict() for t in self.toc],
            "pages": [p.to_dict() for p in self.pages],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(
            version=int(d["version"]),
            source_sha256=d["source"]["sha256"],
            source_bytes=int(d["source"]["bytes"]),
            page_count=int(d["page_count"]),
            metadata=dict(d.get("metadata", {})),
            toc_source=d["toc_source"],
            toc=[TocItem.from_dict(t) for t in d.get("toc", [])],
            pages=[PageManifest.from_dict(p) for p in d.get("pages", [])],
        )


def write_streamed(fh: IO[str], header: Manifest, pages: Iterable[dict[str, Any]]) -> None:
    """Write `header` (its own `pages` ignored) then `pages`, page dicts cut to PAGE_KEYS, as
    one manifest: a page at a time, so a 400-page issue is never held in memory whole."""
    head = header.to_dict()
    del head["pages"]  # the last key: the pages are streamed in its place
    fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "pages": [')
    for i, page in enumerate(pages):
        public = {k: page[k] for k in PAGE_KEYS}
        fh.write(("," if i else "") + json.dumps(public, ensure_ascii=False))
    fh.write("]}")


def load_manifest(folder: Path | str) -> Manifest:
    """Read `<folder>/manifest.json` written by `run_ingest`."""
    with open(Path(folder) / MANIFEST_NAME, encoding="utf-8") as fh:
        return Manifest.from_dict(json.load(fh))
