"""Table of contents: clean the PDF outline, or build one from the pages themselves.

Pure Python (no PyMuPDF): the outline arrives as `get_toc()` rows from the validation child,
the page features as JSON from the page workers, so this logic is tested without PDFs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from magazine_app.ingest.manifest import TocItem

MAX_ENTRIES = 2000
COVER_TITLE = "Couverture"
SOMMAIRE_RE = re.compile(
    r"^\W*(sommaire|au sommaire|contents|table of contents|table des mati[eè]res|indice|"
    r"index|inhalt|inhaltsverzeichnis|sumario|in this issue|dans ce num[eé]ro)\W*$",
    re.IGNORECASE,
)
LEADER_RE = re.compile(r"[\s.·…_\-–|]+")
HEADLINE_RATIO = 1.5  # headline size / body size
MAX_HEADLINE_CHARS = 120  # longer "headlines" are notices or pull quotes, not titles
MIN_SOMMAIRE_ENTRIES = 3
# A title has at least this many letters: "12", "p." or "—" left by a layout is no title.
MIN_TITLE_LETTERS = 3
TITLE_MAX_CHARS = 300  # what TocEntry.title holds (models/catalog.py)
# Up to this many headlines per page become entries (a page may open two short articles), the
# second one only when set nearly as large as the first: smaller, it is a deck or subtitle.
HEADLINES_KEPT_PER_PAGE = 2
SECOND_HEADLINE_RATIO = 0.9
# A headline found on more pages than this is a running head or the masthead, not an article.
MAX_HEADLINE_REPEATS = 3


def _clean_title(title: Any) -> str:
    return re.sub(r"\s+", " ", str(title or "")).strip()


def _letters(text: str) -> int:
    return len(re.findall(r"[^\W\d_]", text))


def normalise_levels(items: Iterable[tuple[int, str, int]]) -> list[dict[str, Any]]:
    """First level 1, never a jump of more than +1, never below 1."""
    out: list[dict[str, Any]] = []
    prev = 0
    for level, title, page in items:
        level = max(1, min(int(level), prev + 1))
        out.append(TocItem(level, title, page).to_dict())
        prev = level
    return out


def clean_outline(raw: Sequence[Sequence[Any]], page_count: int) -> list[dict[str, Any]]:
    """Range-check, de-loop and normalise `get_toc()` rows `[level, title, page, ...]`.

    Entries pointing outside 1..page_count or with a blank title are dropped (their children
    are re-levelled by `normalise_levels`). A looping outline repeats entries, so any exact
    repeat of (level, title, page) is cut, and the total is capped.
    """
    seen: set[tuple[int, str, int]] = set()
    kept: list[tuple[int, str, int]] = []
    for row in raw:
        if len(kept) >= MAX_ENTRIES:
            break
        try:
            level, title, page = int(row[0]), _clean_title(row[1]), int(row[2])
        except (TypeError, ValueError, IndexError):
            continue
        if not title or not 1 <= page <= page_count:
            continue
        key = (level, title, page)
        if key in seen:
            continue
        seen.add(key)
        kept.append((level, title[:TITLE_MAX_CHARS], page))
    return normalise_levels(kept)


def _page_from_number(num: int, labels: Sequence[str]) -> int | None:
    """A printed page number refers to a page label when the PDF has labels."""
    s = str(num)
    if s in labels:
        return labels.index(s) + 1
    if 1 <= num <= len(labels):
        return num
    return None


def _entries_from_lines(lines: Sequence[str], labels: Sequence[str]) -> list[tuple[str, int]]:
    """Parse "Titre ..... 12" / "12 Titre" lines; keep the orientation that finds more."""
    best: list[tuple[str, int]] = []
    for number_first in (True, False):
        found: list[tuple[str, int]] = []
        for line in lines:
            segs = [s.strip() for s in line.split(" | ") if s.strip()]
            flat = " ".join(segs)
            m = (
                re.match(r"^(\d{1,3})\b[\s.·…_\-–]*(.*\D.*)$", flat)
                if number_first
                else re.match(r"^(.*\D.*?)[\s.·…_\-–]+(\d{1,3})$", flat)
            )
            if not m:
                continue
            num_s, title = (m.group(1), m.group(2)) if number_first else (m.group(2), m.group(1))
            title = LEADER_RE.sub(" ", title).strip(" |")
            if _letters(title) < MIN_TITLE_LETTERS:
                continue
            page = _page_from_number(int(num_s), labels)
            if page is not None:
                found.append((title[:200], page))
        if len(found) > len(best):
            best = found
    return best


def toc_from_sommaire(pages: Sequence[dict[str, Any]], labels: Sequence[str]) -> list[dict]:
    """Find a contents page ("Sommaire", "Contents", ...) and parse its entries."""
    for page in pages:
        lines = page.get("_lines") or []
        for i, line in enumerate(lines):
            if not SOMMAIRE_RE.match(line.replace(" | ", " ")):
                continue
            entries = _entries_from_lines(lines[i + 1 :], labels)
            entries = [e for e in entries if e[1] != page["number"]]
            if len(entries) >= MIN_SOMMAIRE_ENTRIES:
                entries.sort(key=lambda e: e[1])
                return normalise_levels((1, t, p) for t, p in entries)
    return []


def _weighted_median(pairs: Sequence[tuple[float, int]]) -> float:
    total = sum(c for _, c in pairs)
    acc = 0
    for value, count in sorted(pairs):
        acc += count
        if acc * 2 >= total:
            return value
    return pairs[-1][0]


def toc_from_headlines(pages: Sequence[dict[str, Any]]) -> list[dict]:
    """One or two largest-type headlines per page, relative to the document's body size."""
    sized = [(p["_fonts"]["body"], p["_fonts"]["chars"]) for p in pages if p.get("_fonts")]
    weights = [(b, c) for b, c in sized if b > 0 and c > 0]
    if not weights:
        return []
    body = _weighted_median(weights)
    candidates: list[tuple[int, float, str]] = []
    for p in pages:
        heads = [
            (size, _clean_title(text))
            for size, text in (p.get("_fonts") or {}).get("headlines", [])
            if size >= HEADLINE_RATIO * body
            and _letters(str(text)) >= MIN_TITLE_LETTERS
            and len(_clean_title(text)) <= MAX_HEADLINE_CHARS
        ]
        if not heads:
            continue
        top = heads[0][0]
        for size, text in heads[:HEADLINES_KEPT_PER_PAGE]:
            if size >= SECOND_HEADLINE_RATIO * top:
                candidates.append((p["number"], size, text[:200]))
    counts = Counter(t.casefold() for _, _, t in candidates)
    repeats = {t for t, n in counts.items() if n > MAX_HEADLINE_REPEATS}
    return normalise_levels((1, t, n) for n, _, t in candidates if t.casefold() not in repeats)


def build_toc(pages: Sequence[dict[str, Any]], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Built TOC, never empty: contents page, else headlines, else the cover."""
    toc = toc_from_sommaire(pages, labels) or toc_from_headlines(pages)
    return toc or [TocItem(1, COVER_TITLE, 1).to_dict()]
