"""The manifest: what ingestion produced, as dataclasses and as `manifest.json`.

The JSON shape is a contract with the database code (the lead records it into Page/TocEntry
rows), so keys are fixed here and nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
PAGES_DIR = ".pages"  # per-page JSON written by the children, removed after assembly


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


@dataclass
class Manifest:
    version: int
    source_sha256: str
    source_bytes: int
    page_count: int
    metadata: dict[str, Any]
    toc_source: str  # "outline" or "built"
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


def load_manifest(folder: Path | str) -> Manifest:
    """Read `<folder>/manifest.json` written by `run_ingest`."""
    with open(Path(folder) / MANIFEST_NAME, encoding="utf-8") as fh:
        return Manifest.from_dict(json.load(fh))
