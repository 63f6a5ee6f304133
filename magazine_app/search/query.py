"""What a reader typed, parsed once into terms every engine and the highlighter understand.

The grammar is deliberately small and forgiving, like a web search box: words (all must
match), "phrases in quotes", prefixes ("renau*"), and -exclusions. Nothing typed can produce
an engine syntax error: the parser only ever emits folded letter/digit words, and each
backend renders them into its own syntax (FTS5 strings, PostgreSQL tsquery functions).
Unbalanced quotes, stray operators and FTS keywords ("NEAR", "AND", "body:") are just words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from magazine_app.search import text

MAX_QUERY_CHARS = 200  # longer input is cut (a pasted paragraph is not a query)
MAX_TERMS = 12

_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "„": '"', "’": "'", "‘": "'"})
_CHUNK_RE = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Term:
    """Folded words that must appear in this order (one word, or a phrase); the last word
    may be a prefix. Negated terms exclude pages and are never highlighted."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(text.stem(w) for w in self.words)

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Query:
    raw: str
    terms: tuple[Term, ...] = field(default_factory=tuple)

    @property
    def positive(self) -> list[Term]:
        return [t for t in self.terms if not t.negated]

    @property
    def negative(self) -> list[Term]:
        return [t for t in self.terms if t.negated]

    @property
    def is_single_word(self) -> bool:
        """One whole word and nothing else: no phrase, prefix, second word or exclusion.
        The only query whose matches on pages the reader may not read may be acknowledged
        (without a count or a page): anything finer lets a reader test locked text for a
        sentence, letter by letter or word by word (see results.search_archive)."""
        if len(self.terms) != 1:
            return False
        term = self.terms[0]
        return not (term.prefix or term.negated or term.is_phrase)

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: no query at all, or only stop words / exclusions."""
        return not self.positive


def _significant(words: Sequence[str], prefix: bool) -> bool:
    """Would PostgreSQL keep anything of these words? (A lone stop word is dropped there,
    so it is dropped here too, and the engines agree on what "le" finds: nothing.)"""
    return any(not text.is_stop_word(w) for w in words) or (prefix and bool(words))


def parse(raw: str | None) -> Query:
    """Parse a typed query. Never raises; the worst input gives an empty query."""
    raw = (raw or "").strip()[:MAX_QUERY_CHARS]
    cleaned = raw.translate(_QUOTES)
    if cleaned.count('"') % 2:  # an unclosed quote: read the rest as plain words
        cleaned = cleaned.replace('"', " ")
    terms: list[Term] = []
    seen: set[Term] = set()
    for match in _CHUNK_RE.finditer(cleaned):
        minus, quoted, chunk = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            words, prefix, negated = text.words(quoted), quoted.rstrip().endswith("*"), minus == "-"
        else:
            negated = chunk.startswith("-") and len(chunk) > 1
            prefix = chunk.rstrip("\"'.,;:!?)").endswith("*")
            words = text.words(chunk)
            if prefix and words and text.is_stop_word(words[-1]) and len(words) == 1:
                prefix = False  # "de*" is the stop word "de", as on PostgreSQL
        if not words or not _significant(words, prefix):
            continue
        if prefix and len(words[-1]) < 2:
            prefix = False  # "r*" would match half the archive; read it as the word "r"
        term = Term(tuple(words), prefix=prefix, negated=negated)
        if term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return Query(raw=raw, terms=tuple(terms))


# --------------------------------------------------------------------------- matching


class Matcher:
    """Finds the tokens of a text that a query's positive terms match, with the same rules
    as the index: same stems, prefixes on stems, phrases as consecutive tokens."""

    def __init__(self, query: Query) -> None:
        self.singles: set[str] = set()
        self.prefixes: list[str] = []
        self.phrases: list[tuple[tuple[str, ...], bool]] = []
        for term in query.positive:
            stems = term.stems
            if term.is_phrase:
                self.phrases.append((stems, term.prefix))
            elif term.prefix:
                self.prefixes.append(stems[0])
            elif not text.is_stop_word(term.words[0]):
                self.singles.add(stems[0])

    @staticmethod
    def _word_matches(token: text.Token, stem: str, prefix: bool) -> bool:
        return token.stem.startswith(stem) if prefix else token.stem == stem

    def matches(self, tokens: Sequence[text.Token]) -> list[tuple[int, int]]:
        """Index ranges [i, j) of `tokens` that match a term (phrases span several)."""
        found: list[tuple[int, int]] = []
        for i, token in enumerate(tokens):
            if token.stem in self.singles or any(token.stem.startswith(p) for p in self.prefixes):
                found.append((i, i + 1))
        for stems, prefix in self.phrases:
            n = len(stems)
            for i in range(len(tokens) - n + 1):
                if all(
                    self._word_matches(tokens[i + k], stems[k], prefix and k == n - 1)
                    for k in range(n)
                ):
                    found.append((i, i + n))
        return sorted(set(found))

    def matched_indices(self, tokens: Sequence[text.Token]) -> set[int]:
        return {k for i, j in self.matches(tokens) for k in range(i, j)}


def describe(terms: Iterable[Term]) -> str:
    """A readable form of the terms, for logs and the CLI."""
    parts = []
    for t in terms:
        body = " ".join(t.words) + ("*" if t.prefix else "")
        parts.append(("-" if t.negated else "") + (f'"{body}"' if t.is_phrase else body))
    return " ".join(parts)
