"""Search on real corpus text (really ingested PDFs from ../shared/corpus), and highlight
rectangles checked against PyMuPDF's own `search_for` on the same pages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pymupdf
import pytest

from magazine_app import search
from magazine_app.access import Access, Level, Reason, access_for
from magazine_app.models import utcnow
from magazine_app.search.query import parse
from tests.search.conftest import FSM, TERRA, corpus_pdf

HABIBI = ("broken", "pypdf-habibi-rotated.pdf")


def _plain(s: str) -> str:
    """An independent accent and case folding (not the app's), to compute expectations."""
    nfd = unicodedata.normalize("NFD", s.replace("’", "'"))
    return "".join(c for c in nfd if unicodedata.category(c) != "Mn").lower()


def pages_with(pdf: Path, pattern: str) -> set[int]:
    """Pages whose PyMuPDF text, folded, matches `pattern` (a regex on folded text)."""
    with pymupdf.open(pdf) as doc:
        return {
            page.number + 1
            for page in doc
            if re.search(pattern, _plain(" ".join(page.get_text().split())))
        }


def staff_pages(issue, q: str) -> set[int]:
    """All hit pages of one issue, as a reader with full access gets them."""
    return {h.page for h in search.search_issue(parse(q), issue, FULL)}


FULL = Access(Level.FULL, Reason.SUBSCRIBER)


# --------------------------------------------------------------------------- matching


def test_accent_and_case_insensitive_on_real_text(ingest_corpus) -> None:
    issue = ingest_corpus(TERRA, 2)
    expected = pages_with(corpus_pdf(TERRA), r"\bcitta\b")
    assert expected == {21, 64, 65, 68, 69}  # "città", "Città", "CITTÀ" in the magazine
    for q in ("città", "CITTÀ", "Citta", "citta"):
        assert staff_pages(issue, q) == expected, q
    comunita = pages_with(corpus_pdf(TERRA), r"\bcomunita\b")
    assert staff_pages(issue, "COMUNITA") == comunita and len(comunita) >= 8


def test_phrase_and_prefix_on_real_text(ingest_corpus) -> None:
    issue = ingest_corpus(TERRA, 2)
    phrase = staff_pages(issue, '"interactive fiction"')
    expected = pages_with(corpus_pdf(TERRA), r"\binteractive fiction\b")
    assert phrase == expected and len(expected) >= 10
    # The two words apart do not make the phrase: the plain search finds more pages.
    assert staff_pages(issue, "fiction interactive") >= phrase
    assert staff_pages(issue, '"fiction interactive"') < phrase
    prefix = staff_pages(issue, "programm*")
    assert prefix == pages_with(corpus_pdf(TERRA), r"\bprogramm") and len(prefix) >= 20


def test_stemming_on_real_text(ingest_corpus) -> None:
    """French stemming on an English article: the plural finds the singular."""
    issue = ingest_corpus(FSM, 13)
    for singular_word in ("icon", "window"):
        singular = pages_with(corpus_pdf(FSM), rf"\b{singular_word}\b")
        plural = pages_with(corpus_pdf(FSM), rf"\b{singular_word}s\b")
        assert singular and plural and singular != plural
        assert staff_pages(issue, singular_word + "s") == singular | plural
        assert staff_pages(issue, singular_word.upper()) == singular | plural


def test_gate_on_real_text(ingest_corpus) -> None:
    """Anonymous readers search the preview pages only: the locked ones that have the
    word (6, 25, 29, 32, 55, 56, 61) add nothing, and a subscriber gets them all."""
    issue = ingest_corpus(TERRA, 2, preview_pages=3)
    hits = search.search_issue(parse("comunità"), issue, access_for(None, issue, utcnow()))
    assert [h.page for h in hits] == [2]
    assert "<mark>comunità</mark>" in hits[0].snippet.lower()
    assert staff_pages(issue, "comunità") >= {2, 6, 25, 29, 32, 55, 56, 61}


# --------------------------------------------------------------------------- highlights


def _norm(rect: pymupdf.Rect, page: pymupdf.Page) -> list[float]:
    r = rect * page.rotation_matrix  # search_for answers in unrotated space
    w, h = page.rect.width, page.rect.height
    return [r.x0 / w, r.y0 / h, r.x1 / w, r.y1 / h]


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def assert_same_rects(ours: list[list[float]], theirs: Iterable[list[float]]) -> None:
    """Every PyMuPDF hit has one of our rectangles on it and the other way round."""
    theirs = list(theirs)
    assert theirs, "PyMuPDF found nothing: the test chose a bad word"
    assert len(ours) == len(theirs), (ours, theirs)
    for t in theirs:
        assert max(_iou(o, t) for o in ours) > 0.6, (t, ours)
    for o in ours:
        assert max(_iou(o, t) for t in theirs) > 0.6, (o, theirs)


def _rects_by_page(issue, q: str) -> dict[int, list[list[float]]]:
    hits = search.search_issue(parse(q), issue, FULL)
    return {h.page: h.rects for h in hits}


@pytest.mark.parametrize(("q", "needles"), [("CITTA", ["città"]), ("comunita", ["comunità"])])
def test_highlights_match_pymupdf_search_for(ingest_corpus, q: str, needles: list[str]) -> None:
    issue = ingest_corpus(TERRA, 2)
    rects = _rects_by_page(issue, q)
    # Every page with the word has rectangles (no hit at all would check nothing below).
    expected = pages_with(corpus_pdf(TERRA), rf"\b{_plain(needles[0])}\b")
    assert len(expected) >= 5 and set(rects) == expected
    with pymupdf.open(corpus_pdf(TERRA)) as doc:
        for number, ours in rects.items():
            page = doc[number - 1]
            theirs = [_norm(r, page) for n in needles for r in page.search_for(n)]
            assert_same_rects(ours, theirs)


def test_highlights_of_a_phrase_match_pymupdf(ingest_corpus) -> None:
    issue = ingest_corpus(TERRA, 2)
    rects = _rects_by_page(issue, '"interactive fiction"')
    with pymupdf.open(corpus_pdf(TERRA)) as doc:
        page = doc[1]
        theirs = [_norm(r, page) for w in ("interactive", "fiction") for r in page.search_for(w)]
        # search_for also finds the words alone; each of ours lies on one of PyMuPDF's
        assert rects[2]
        for o in rects[2]:
            assert max(_iou(o, t) for t in theirs) > 0.6, o


def test_highlights_on_rotated_pages(ingest_corpus) -> None:
    """Pages rotated 90/180/270: the rectangles are in the displayed page's space, as the
    image the reader sees; "حبيبي" without its vowel marks finds "حَبيبي" too."""
    issue = ingest_corpus(HABIBI, 7)
    rects = _rects_by_page(issue, "HABIBI")
    assert set(rects) == {1, 2, 3, 4}
    with pymupdf.open(corpus_pdf(HABIBI)) as doc:
        for number, ours in rects.items():
            page = doc[number - 1]
            assert_same_rects(ours, [_norm(r, page) for r in page.search_for("habibi")])
    assert set(_rects_by_page(issue, "حبيبي")) == {1, 2, 3, 4}


def test_highlights_on_generated_french_pages(make_issue) -> None:
    """Stems and prefixes: "véhicule" marks "véhicules" (and not its comma); "renau*"
    marks "Renault"; checked against PyMuPDF on the same generated PDF."""
    from magazine_app import storage

    issue = make_issue(pages=3)
    pdf = storage.resolve(issue.source_path)
    for q, needle in (("véhicule", "véhicules"), ("renau*", "Renault"), ("hakimi", "Hakimi")):
        rects = _rects_by_page(issue, q)
        assert set(rects) == {1, 2, 3}, q
        with pymupdf.open(pdf) as doc:
            for number, ours in rects.items():
                page = doc[number - 1]
                assert_same_rects(ours, [_norm(r, page) for r in page.search_for(needle)])
