"""Text normalisation shared by indexing, querying, snippets and highlights.

One pipeline turns any text into search tokens, so that the index, the query and the words
marked on a page always agree: split into letter/digit runs, fold accents and case
("VÉHICULES" -> "vehicules"), then stem with Snowball's French stemmer ("vehicul").

PostgreSQL's `french` configuration uses the same Snowball stemmer and the same stop words;
on PostgreSQL the engine stems (see backends.py), here Python does it for SQLite FTS5 and
for marking hits. The order (fold, then stop words, then stem) mirrors PostgreSQL's
`unaccent, french_stem` mapping, where the stop list is checked after accents are removed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import snowballstemmer


def _marks_class() -> str:
    """A regex class of the combining marks of the alphabetic scripts (accents, Arabic vowel
    signs, Indic vowel signs...): they belong to the word they sit on, even stored
    decomposed. (CJK has none worth the start-up time of scanning its blocks.)"""
    ranges: list[list[int]] = []
    for cp in [*range(0x300, 0x2E00), *range(0xFE00, 0xFE30)]:
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# Letter/digit runs (with their combining marks): what SQLite's unicode61 tokenizer and
# PostgreSQL's parser call words; apostrophes, hyphens, punctuation, underscores separate.
WORD_RE = re.compile(rf"(?:[^\W_]|[{_marks_class()}])+")

# Characters NFKD does not decompose but PostgreSQL's unaccent rules do.
_EXTRA_FOLDS = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)

# PostgreSQL's tsearch_data/french.stop (Snowball's list), checked after folding, exactly as
# PostgreSQL does: accented entries such as "été" therefore never match and stay searchable.
FRENCH_STOP_WORDS = frozenset(
    """au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même
    mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi
    ton tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants
    étantes suis es est sommes êtes sont serai seras sera serons serez seront serais serait
    serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois
    soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes
    ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais
    aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie
    aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent""".split()  # noqa: SIM905
)

_stemmer = snowballstemmer.stemmer("french")


@dataclass(frozen=True)
class Token:
    """A word of a text: where it is (character offsets) and its search forms."""

    start: int
    end: int
    folded: str  # accents and case removed: what PostgreSQL receives
    stem: str  # folded, then stemmed: what SQLite indexes and what hits are matched on


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Remove accents and case: "VÉHICULES" -> "vehicules", "Œuvre" -> "oeuvre"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_EXTRA_FOLDS))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_EXTRA_FOLDS)


@functools.lru_cache(maxsize=65536)
def stem(folded: str) -> str:
    """Snowball French stem of an already folded word ("vehicules" -> "vehicul")."""
    if folded.isdigit():
        return folded
    return _stemmer.stemWord(folded)


def is_stop_word(folded: str) -> bool:
    return folded in FRENCH_STOP_WORDS


@functools.lru_cache(maxsize=131072)
def _forms(raw: str) -> tuple[tuple[str, str], ...]:
    """(folded, stem) of each token a raw word gives: one, or several when folding splits it
    (a ligature, a stray mark). Cached: a magazine reuses the same words all the time."""
    return tuple((part, stem(part)) for part in WORD_RE.findall(fold(raw)))


def tokens(text: str) -> Iterator[Token]:
    """The words of `text` with their offsets in `text` and their search forms."""
    for match in WORD_RE.finditer(text):
        for folded, stemmed in _forms(match.group()):
            yield Token(match.start(), match.end(), folded, stemmed)


def words(text: str) -> list[str]:
    """Folded words of a text, e.g. of a query."""
    return [folded for raw in WORD_RE.findall(text) for folded, _ in _forms(raw)]


def index_text(text: str) -> str:
    """The stemmed token stream SQLite FTS5 indexes (stop words kept for exact phrases)."""
    return " ".join(stemmed for raw in WORD_RE.findall(text) for _, stemmed in _forms(raw))


def folded_text(text: str) -> str:
    """Folded words separated by spaces: what PostgreSQL's to_tsvector receives, so that both
    engines split text into the same words (no e-mail, URL or hyphenated-compound tokens)."""
    return " ".join(folded for raw in WORD_RE.findall(text) for folded, _ in _forms(raw))
