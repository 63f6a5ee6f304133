"""Base-14 font metrics and French line breaking (greedy wrap with rough hyphenation)."""

from __future__ import annotations

import functools

import pymupdf

# key -> (PDF BaseFont, PyMuPDF Base-14 alias used only to read glyph widths)
FONTS = {
    "R": ("Times-Roman", "tiro"),
    "I": ("Times-Italic", "tiit"),
    "B": ("Times-Bold", "tibo"),
    "BI": ("Times-BoldItalic", "tibi"),
    "S": ("Helvetica", "helv"),
    "SB": ("Helvetica-Bold", "hebo"),
    "SI": ("Helvetica-Oblique", "heit"),
    "SBI": ("Helvetica-BoldOblique", "hebi"),
}


GLUE_AFTER = {"»", ":", "?", "!", ";", "%", "DH"}


@functools.cache
def _widths(font: str) -> tuple[float, ...]:
    """Glyph advances (1/1000 em) per WinAnsi code, the same table we write into /Widths."""
    face, out = pymupdf.Font(FONTS[font][1]), []
    for code in range(256):
        try:
            ch = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            ch = " "
        out.append(round(face.glyph_advance(ord(ch)) * 1000) if code >= 32 else 0)
    return tuple(out)


def text_width(text: str, font: str, size: float) -> float:
    table = _widths(font)
    return sum(table[b] for b in text.encode("cp1252")) * size / 1000


def _tokens(text: str) -> list[str]:
    """Split on spaces but keep French typography glued (« mot », mot :, Euro 6)."""
    out: list[str] = []
    for tok in text.split():
        glue = tok in GLUE_AFTER or (tok[0].isdigit() and len(tok) <= 4)
        if out and (glue or out[-1] == "«"):
            out[-1] += " " + tok
        else:
            out.append(tok)
    return out


VOWELS = set("aeiouyàâäéèêëîïôöùûü")
KEEP_PAIRS = {
    "bl",
    "br",
    "ch",
    "cl",
    "cr",
    "dr",
    "fl",
    "fr",
    "gl",
    "gn",
    "gr",
    "ph",
    "pl",
    "pr",
    "th",
    "tr",
    "vr",
}


def _hyphen_points(word: str) -> list[int]:
    """Rough French syllable breaks (V-CV, VC-CV), lowercase words only so names and the
    search-sensitive proper nouns stay whole; the search side must de-hyphenate anyway."""
    if len(word) < 7 or not word.isalpha() or not word.islower():
        return []
    points = []
    for i in range(3, len(word) - 2):
        a, b, c = word[i - 1], word[i], word[i + 1]
        if a in VOWELS and b not in VOWELS and c in VOWELS:
            points.append(i)
        elif a not in VOWELS and b not in VOWELS and word[i - 2] in VOWELS and c in VOWELS:
            points.append(i if a + b not in KEEP_PAIRS and b != "h" else i - 1)
    return [p for p in points if 3 <= p <= len(word) - 3]


def wrap(
    text: str,
    font: str,
    size: float,
    width: float,
    first_indent: float = 0.0,
    narrow: tuple[int, float] = (0, 0.0),
    hyphenate: bool = False,
) -> list[str]:
    """Greedy line breaking; ``narrow`` = (n lines, reduction) leaves room for a drop cap.

    With ``hyphenate``, a word that would leave a loose justified line is split, as a
    magazine's layout program would do.
    """
    lines: list[str] = []
    cur, space = "", text_width(" ", font, size)
    for tok in _tokens(text):
        avail = (
            width
            - (first_indent if not lines else 0)
            - (narrow[1] if len(lines) < narrow[0] else 0)
        )
        used = text_width(cur, font, size)
        if cur and used + space + text_width(tok, font, size) > avail:
            slack = avail - used - space
            word = tok.rstrip(".,;:!?»)")
            if hyphenate and slack > 3 * space:
                for p in reversed(_hyphen_points(word)):
                    if text_width(tok[:p] + "-", font, size) <= slack:
                        cur, tok = f"{cur} {tok[:p]}-", tok[p:]
                        break
            lines.append(cur)
            cur = tok
        else:
            cur = f"{cur} {tok}" if cur else tok
    return [*lines, cur] if cur else lines
