"""Per-page text, word boxes, links and label, plus the raw features the TOC builder needs.

Coordinates: PyMuPDF gives words in the *unrotated* page space but links in the displayed
(rotated) space; everything here is mapped to the displayed page and normalised to 0..1 so
the viewer can overlay it on any rendition without knowing the rotation.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any

import pymupdf

from magazine_app.ingest.manifest import PageManifest

SOMMAIRE_SCAN_PAGES = 12  # the TOC builder looks for a contents page among the first pages
# raw candidates kept per page: one more than toc.HEADLINES_KEPT_PER_PAGE, as the builder
# drops those too long or without letters
HEADLINES_PER_PAGE = 3
# A text block wider than this share of the page spans the columns (a headline, a standfirst):
# it cuts the page into bands, each read column by column, one band after the other.
FULL_WIDTH_SHARE = 0.6
# A block belongs to a column when they overlap horizontally over more than this share of the
# narrower one: blocks of one column are offset by indents and drop caps, while blocks of
# neighbouring columns do not overlap, or by a few points.
COLUMN_OVERLAP_SHARE = 0.5
# Two words sit on one visual line when their vertical centres are closer than this share
# of the taller line height: words of one line are offset by a fraction of it (mixed sizes,
# superscripts), consecutive lines by a whole line height or more.
SAME_LINE_SHARE = 0.5
# A horizontal gap wider than this share of the page width (~36 pt on A4, a dozen word
# spaces) separates a contents title from its page number, in different blocks or columns.
ENTRY_GAP_SHARE = 0.06
# Consecutive lines of one block whose sizes (rounded to 0.1 pt) differ by less than this are
# one headline set on several lines.
SAME_SIZE_PT = 0.5


def _norm(rect: pymupdf.Rect, w: float, h: float) -> list[float]:
    return [
        round(min(max(rect.x0 / w, 0.0), 1.0), 4),
        round(min(max(rect.y0 / h, 0.0), 1.0), 4),
        round(min(max(rect.x1 / w, 0.0), 1.0), 4),
        round(min(max(rect.y1 / h, 0.0), 1.0), 4),
    ]


def reading_order_text(page: pymupdf.Page, textpage: Any = None) -> str:
    """Text in column order: full-width blocks cut the page into bands; in each band the
    blocks are grouped into columns (horizontal overlap) read left to right, top to bottom.

    `get_text(sort=True)` sorts blocks by y only, which interleaves paragraphs of 2-3 column
    magazine layouts; this keeps each column's paragraphs together.
    """
    width = max(page.rect.width, 1.0)
    rm = page.rotation_matrix
    blocks = []
    for b in page.get_text("blocks", textpage=textpage):
        if b[6] != 0 or not b[4].strip():
            continue
        r = pymupdf.Rect(b[:4]) * rm
        blocks.append((r, b[4].strip()))
    blocks.sort(key=lambda rb: (rb[0].y0, rb[0].x0))
    bands: list[list[tuple[pymupdf.Rect, str]]] = [[]]
    for r, t in blocks:
        if r.width > FULL_WIDTH_SHARE * width:
            bands.append([(r, t)])
            bands.append([])
        else:
            bands[-1].append((r, t))
    parts: list[str] = []
    for band in bands:
        columns: list[list[Any]] = []  # [x0, x1, items]
        for r, t in sorted(band, key=lambda rb: rb[0].x0):
            for col in columns:
                overlap = min(col[1], r.x1) - max(col[0], r.x0)
                if overlap > COLUMN_OVERLAP_SHARE * min(col[1] - col[0], r.width or 1.0):
                    col[0], col[1] = min(col[0], r.x0), max(col[1], r.x1)
                    col[2].append((r, t))
                    break
            else:
                columns.append([r.x0, r.x1, [(r, t)]])
        for col in sorted(columns, key=lambda c: c[0]):
            parts.extend(t for _, t in sorted(col[2], key=lambda rt: rt[0].y0))
    return "\n\n".join(parts)


def _lines_from_words(words: list[list[Any]]) -> list[str]:
    """Group normalised words into visual lines across the page (for contents pages, where a
    title and its page number often sit in different blocks), splitting at wide gaps with ' | '."""
    items = sorted(words, key=lambda w: ((w[1] + w[3]) / 2, w[0]))
    lines: list[list[list[Any]]] = []
    for w in items:
        cy = (w[1] + w[3]) / 2
        if lines:
            last = lines[-1]
            ly = sum((x[1] + x[3]) / 2 for x in last) / len(last)
            lh = max(x[3] - x[1] for x in last)
            if abs(cy - ly) < SAME_LINE_SHARE * max(lh, w[3] - w[1]):
                last.append(w)
                continue
        lines.append([w])
    out = []
    for line in lines:
        line.sort(key=lambda x: x[0])
        text = line[0][4]
        for prev, cur in pairwise(line):
            text += (" | " if cur[0] - prev[2] > ENTRY_GAP_SHARE else " ") + cur[4]
        out.append(text)
    return out


def _headlines(page: pymupdf.Page) -> dict[str, Any]:
    """Body font size of the page (most characters) and its largest-type lines."""
    sizes: Counter[float] = Counter()
    lines: list[tuple[float, str, int]] = []
    for bno, block in enumerate(page.get_text("dict", flags=0)["blocks"]):
        for line in block.get("lines", []):
            text = "".join(s["text"] for s in line["spans"]).strip()
            if not text:
                continue
            top = 0.0
            for s in line["spans"]:
                n = len(s["text"].strip())
                if n:
                    size = round(s["size"], 1)
                    sizes[size] += n
                    top = max(top, size)
            lines.append((top, text, bno))
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    # merge consecutive lines of one block set in the same size (multi-line headlines)
    merged: list[list[Any]] = []
    for size, text, bno in lines:
        if merged and merged[-1][2] == bno and abs(merged[-1][0] - size) < SAME_SIZE_PT:
            merged[-1][1] += " " + text
        else:
            merged.append([size, text, bno])
    merged.sort(key=lambda m: -m[0])
    heads = [[m[0], m[1][:200]] for m in merged[:HEADLINES_PER_PAGE]]
    return {"body": body, "chars": sum(sizes.values()), "headlines": heads}


def page_data(page: pymupdf.Page, page_count: int, toc_features: bool) -> dict[str, Any]:
    """Everything the manifest needs for one page except renditions (left empty).

    With `toc_features`, also the raw material for a built TOC (keys starting with "_",
    dropped from the manifest): headline candidates and, on the first pages, visual lines.
    """
    number = page.number + 1
    rect = page.rect
    w, h = max(rect.width, 1e-6), max(rect.height, 1e-6)
    rm = page.rotation_matrix
    textpage = page.get_textpage()
    words = []
    for x0, y0, x1, y1, word, *_ in page.get_text("words", textpage=textpage):
        words.append([*_norm(pymupdf.Rect(x0, y0, x1, y1) * rm, w, h), word])
    links = []
    for link in page.get_links():
        r = _norm(pymupdf.Rect(link["from"]), w, h)
        kind = link.get("kind")
        if kind in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED) and isinstance(link.get("page"), int):
            target = link["page"] + 1
            if 1 <= target <= page_count:
                links.append({"rect": r, "page": target})
        elif kind == pymupdf.LINK_URI and link.get("uri"):
            links.append({"rect": r, "uri": str(link["uri"])})
    label = page.get_label() or str(number)
    data = PageManifest(
        number=number,
        label=label,
        width=round(rect.width, 2),
        height=round(rect.height, 2),
        text=reading_order_text(page, textpage),
        words=words,
        links=links,
    ).to_dict()  # its renditions are added by the child once rendered
    if toc_features:
        data["_fonts"] = _headlines(page)
        if number <= SOMMAIRE_SCAN_PAGES:
            data["_lines"] = _lines_from_words(words)
    return data
