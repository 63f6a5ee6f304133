"""The only process that runs PyMuPDF: `python -m magazine_app.ingest.child MODE ...`.

Started by the supervisor (`spawn.py`) with a memory limit, in its own process group, so a
MuPDF crash or hang costs one child, never the web or queue worker. It dies with the
supervisor (lifeline.py): an orphan would keep writing into a staging folder nobody will
read. Modes:

* `validate PDF OPTIONS_JSON`: prints one JSON line `{"ok": true, "page_count", "metadata",
  "toc"}` or `{"ok": false, "code", "message"}`.
* `render PDF OUT_DIR OPTIONS_JSON`: reads 1-based page numbers from stdin, one per line; for each
  writes renditions and `OUT_DIR/.pages/NNNN.json`, then prints `{"page": n, "done": true}`
  (or `{"page": n, "error": ..., "code": ...}` and exits 3). EOF on stdin ends the child.
  The supervisor starts it while `validate` still runs (importing PyMuPDF overlaps the
  validation), so without `toc_features` in the options it applies the supervisor's rule
  itself (TOC features only when the outline is unusable).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from magazine_app.core.lifeline import die_with_parent, parent_from_env
from magazine_app.ingest.header import HEADER_SCAN, check_header
from magazine_app.ingest.manifest import PAGES_DIR, page_file

_protocol: Any = None  # private copy of the original stdout, for JSON lines only


def _claim_stdout() -> None:
    """Keep fd 1 for the JSON protocol only: MuPDF (C code) may print to stdout, so the
    protocol moves to a duplicate of it and fd 1 is pointed at stderr."""
    global _protocol
    if _protocol is None:
        sys.stdout.flush()
        _protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)


def _emit(obj: dict[str, Any]) -> None:
    _claim_stdout()
    _protocol.write(json.dumps(obj, ensure_ascii=False) + "\n")
    _protocol.flush()


def _quiet_mupdf() -> None:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)  # messages stay in MuPDF's buffer
    pymupdf.TOOLS.mupdf_display_warnings(False)


def _outline(doc: Any) -> list[list[Any]]:
    """The raw outline as [[level, title, page], ...]; empty when unreadable."""
    try:
        return [[int(r[0]), str(r[1]), int(r[2])] for r in doc.get_toc(simple=True)]
    except (RuntimeError, ValueError) as exc:
        print(f"outline unreadable: {exc}", file=sys.stderr)
        return []


def validate(pdf: Path, max_pages: int) -> dict[str, Any]:
    """Open, repair, check protection and page count; read metadata and the outline."""
    import pymupdf

    from magazine_app.ingest import errors

    _quiet_mupdf()
    with open(pdf, "rb") as fh:
        check_header(fh.read(HEADER_SCAN))
    try:
        doc = pymupdf.open(pdf, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        raise errors.unreadable(str(exc)) from exc
    # needs_pass must be checked before page_count (see corpus SOURCES.md gotcha)
    if doc.needs_pass:
        raise errors.encrypted()
    count = doc.page_count
    if count < 1:
        raise errors.no_pages()
    if count > max_pages:
        raise errors.too_many_pages(count, max_pages)
    meta = doc.metadata or {}
    raw_toc = _outline(doc)
    return {
        "ok": True,
        "page_count": count,
        "metadata": {
            "title": (meta.get("title") or "").strip(),
            "author": (meta.get("author") or "").strip(),
            "encrypted": bool(meta.get("encryption")) or bool(doc.is_encrypted),
            "repaired": bool(doc.is_repaired),
        },
        "toc": raw_toc,
    }


def render(
    pdf: Path,
    out_dir: Path,
    options: dict[str, Any],
    before_page: Callable[[int], None] | None = None,
) -> int:
    """Serve page numbers from stdin until EOF. Returns the process exit code."""
    import pymupdf

    from magazine_app.ingest.extract import page_data
    from magazine_app.ingest.renditions import RenditionSpec, render_page

    _quiet_mupdf()
    specs = tuple(RenditionSpec.from_dict(d) for d in options["renditions"])
    doc = pymupdf.open(pdf, filetype="pdf")
    count = doc.page_count
    toc_features = options.get("toc_features")
    if toc_features is None:  # started before validation: same rule as the supervisor's
        from magazine_app.ingest.toc import clean_outline

        toc_features = not clean_outline(_outline(doc), count)
    (out_dir / PAGES_DIR).mkdir(parents=True, exist_ok=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        number = int(line)
        if before_page is not None:
            before_page(number)
        try:
            page = doc[number - 1]
            data = page_data(page, count, toc_features)
            data["renditions"] = render_page(page, specs, out_dir, number)
        except MemoryError:
            _emit({"page": number, "error": "MemoryError", "code": "memory"})
            return 3
        except (RuntimeError, ValueError) as exc:
            code = "memory" if "malloc" in str(exc) or "memory" in str(exc) else "page_failed"
            _emit({"page": number, "error": str(exc)[:500], "code": code})
            return 3
        target = page_file(out_dir, number)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
        del page, data
        # Empty MuPDF's resource store (decoded images, fonts) after each page: it otherwise
        # grows to its 256 MB default per child on photo-heavy issues (measured 355 MB RSS
        # after 70 pages of the demo issue, 79 MB with this), for no measurable CPU cost.
        pymupdf.TOOLS.store_shrink(100)
        _emit({"page": number, "done": True})
    return 0


def main(
    argv: Sequence[str] | None = None, before_page: Callable[[int], None] | None = None
) -> int:
    """Entry point; `before_page` is a test seam (hang or die on a given page)."""
    from magazine_app.ingest.errors import IngestError

    parent = parent_from_env()
    if parent is not None:  # started by the supervisor (not called in-process by a test)
        die_with_parent(parent)
    _claim_stdout()
    args = list(sys.argv[1:] if argv is None else argv)
    mode = args[0]
    if mode == "validate":
        options = json.loads(args[2])
        try:
            _emit(validate(Path(args[1]), int(options.get("max_pages", 400))))
        except IngestError as exc:
            _emit({"ok": False, "code": exc.code, "message": exc.message, "detail": exc.detail})
        except MemoryError:
            _emit({"ok": False, "code": "memory", "message": "", "detail": "MemoryError"})
        return 0
    if mode == "render":
        return render(Path(args[1]), Path(args[2]), json.loads(args[3]), before_page)
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
