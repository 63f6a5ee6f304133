"""Showing a hit: a short snippet with the matched words marked, and the rectangles of the
matched words on the page image.

Both are computed here, in Python, from the page's stored text and word boxes, with the
query's Matcher: so they look the same on SQLite and PostgreSQL, and they mark exactly the
words the index matched (same folding, same stems), not what an engine's own headline
function thinks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from magazine_app.search import text
from magazine_app.search.query import Matcher

_SPACES = re.compile(r"\s+")
SNIPPET_TOKENS = 28  # words of context in a snippet (about two lines of a results page)


def snippet(page_text: str, matcher: Matcher, size: int = SNIPPET_TOKENS) -> Markup:
    """The window of `size` words with the most distinct matched words, escaped, with each
    match in <mark>; "…" where the page text goes on."""
    source = unicodedata.normalize("NFC", page_text or "")
    tokens = list(text.tokens(source))
    if not tokens:
        return Markup("")
    ranges = matcher.matches(tokens)
    marked = {k for i, j in ranges for k in range(i, j)}
    start = _best_window(tokens, ranges, size)
    end = min(len(tokens), start + size)
    # Merge the marked tokens into runs (a phrase becomes one <mark>).
    out: list[str] = []
    cursor = tokens[start].start
    k = start
    while k < end:
        if k in marked:
            j = k
            while j + 1 < end and j + 1 in marked:
                j += 1
            out.append(str(escape(_flat(source[cursor : tokens[k].start]))))
            out.append(f"<mark>{escape(_flat(source[tokens[k].start : tokens[j].end]))}</mark>")
            cursor = tokens[j].end
            k = j + 1
        else:
            k += 1
    out.append(str(escape(_flat(source[cursor : tokens[end - 1].end]))))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(tokens) else ""
    # Every piece of page text above went through escape(); only <mark> tags are ours.
    return Markup(prefix + "".join(out).strip() + suffix)  # noqa: S704


def _flat(s: str) -> str:
    """Page text keeps its line breaks; a snippet is one line (a break becomes a space)."""
    return _SPACES.sub(" ", s)


def _best_window(tokens: Sequence[text.Token], ranges: list[tuple[int, int]], size: int) -> int:
    """Start index of the window covering the most distinct matched stems (earliest wins),
    starting a few words before the first match so it reads as a sentence."""
    if not ranges:
        return 0
    best_start, best_score = 0, -1
    for i, _ in ranges:
        start = max(0, i - size // 4)
        covered = {
            " ".join(t.stem for t in tokens[a:b]) for a, b in ranges if start <= a < start + size
        }
        if len(covered) > best_score:
            best_start, best_score = start, len(covered)
    return best_start


def rects(words: Sequence[Sequence[Any]], matcher: Matcher) -> list[list[float]]:
    """Normalised [x0, y0, x1, y1] of the matched words of a page, from its stored word
    boxes ([x0, y0, x1, y1, word], 0..1). A box is narrowed to the matched part of the word
    when the word carries more ("véhicules," -> "véhicules", "d’occasion" -> "occasion"),
    in proportion to the characters and along the way the text runs, so that the mark sits
    on the word the reader looks for, on rotated pages too."""
    flat: list[text.Token] = []
    owner: list[int] = []  # index of the word box each token comes from
    for index, word in enumerate(words):
        for token in text.tokens(str(word[4])):
            flat.append(token)
            owner.append(index)
    spans: dict[int, list[int]] = {}  # word index -> [first char, last char) matched in it
    for k in matcher.matched_indices(flat):
        span = spans.setdefault(owner[k], [flat[k].start, flat[k].end])
        span[0], span[1] = min(span[0], flat[k].start), max(span[1], flat[k].end)
    out = []
    for index in sorted(spans):
        box = [float(v) for v in words[index][:4]]
        start, end = spans[index]
        length = len(str(words[index][4]))
        if length and (start, end) != (0, length):
            box = _narrow(box, start / length, end / length, _flow(words, index))
        out.append([round(v, 4) for v in box])
    return out


def _narrow(box: list[float], a: float, b: float, flow: tuple[int, int] | None) -> list[float]:
    """The part [a, b) (fractions of the characters) of a word box, along its flow."""
    if flow is None:
        return box
    axis, sign = flow
    lo, hi = box[axis], box[axis + 2]
    if sign > 0:
        box[axis], box[axis + 2] = lo + (hi - lo) * a, lo + (hi - lo) * b
    else:
        box[axis], box[axis + 2] = hi - (hi - lo) * b, hi - (hi - lo) * a
    return box


def _flow(words: Sequence[Sequence[Any]], index: int) -> tuple[int, int] | None:
    """Which way the text of word `index` runs, (axis 0 = x / 1 = y, sign), read from a
    neighbour on the same line: left to right on an upright page, downwards on a page
    turned 90°, right to left upside down. Unknown (None) for a vertical word alone."""
    x0, y0, x1, y1 = (float(v) for v in words[index][:4])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for other, step in ((index + 1, 1), (index - 1, -1)):
        if not 0 <= other < len(words):
            continue
        ox0, oy0, ox1, oy1 = (float(v) for v in words[other][:4])
        dx, dy = ((ox0 + ox1) / 2 - cx) * step, ((oy0 + oy1) / 2 - cy) * step
        if abs(dx) > abs(dy) and abs(dy) < 0.6 * (y1 - y0):  # same horizontal line
            return (0, 1 if dx > 0 else -1)
        if abs(dy) > abs(dx) and abs(dx) < 0.6 * (x1 - x0):  # same vertical line
            return (1, 1 if dy > 0 else -1)
    return (0, 1) if x1 - x0 >= y1 - y0 else None
