"""PDF ingestion: PDF file -> page renditions + manifest.json (text, words, links, TOC).

The one package that imports PyMuPDF, and only inside child processes started by
`run_ingest` (see supervisor.py). Importing this package does not import PyMuPDF.
"""

from .errors import IngestError
from .manifest import Manifest, PageManifest, Rendition, TocItem, load_manifest
from .renditions import DEFAULT_RENDITIONS, RenditionSpec
from .supervisor import run_ingest

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
