"""PDF ingestion: PDF file -> page renditions + manifest.json (text, words, links, TOC).

The one package that imports PyMuPDF, and only inside child processes started by
`run_ingest` (see supervisor.py). Importing this package does not import PyMuPDF.
"""

from magazine_app.ingest.errors import IngestError
from magazine_app.ingest.manifest import Manifest, PageManifest, Rendition, TocItem, load_manifest
from magazine_app.ingest.renditions import DEFAULT_RENDITIONS, RenditionSpec
from magazine_app.ingest.supervisor import run_ingest

__all__ = [
    "DEFAULT_RENDITIONS",
    "IngestError",
    "Manifest",
    "PageManifest",
    "Rendition",
    "RenditionSpec",
    "TocItem",
    "load_manifest",
    "run_ingest",
]
