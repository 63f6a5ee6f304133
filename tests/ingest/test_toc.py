"""TOC cleaning and building, on plain data (no PDF)."""

from __future__ import annotations

from magazine_app.ingest.toc import build_toc, clean_outline, normalise_levels


def test_clean_outline_drops_out_of_range_blank_and_loops():
    raw = [
        [1, "Édito", 1],
        [3, "Saut de niveau", 2],
        [1, "  ", 2],
        [1, "Hors limites", 99],
        [1, "Sans destination", -1],
        [2, "Boucle", 2],
        [2, "Boucle", 2],
    ]
    assert clean_outline(raw, page_count=10) == [
        {"level": 1, "title": "Édito", "page": 1},
        {"level": 2, "title": "Saut de niveau", "page": 2},
        {"level": 2, "title": "Boucle", "page": 2},
    ]


def test_clean_outline_zero_pages_is_empty():
    assert clean_outline([[1, "a", 1], [2, "b", 1]], page_count=0) == []


def test_levels_start_at_one():
    assert [t["level"] for t in normalise_levels([(3, "a", 1), (5, "b", 1), (1, "c", 2)])] == [
        1,
        2,
        1,
    ]


def _fonts(body, heads):
    return {"body": body, "chars": 1000, "headlines": heads}


def test_sommaire_number_last_and_first():
    lines = ["Challenge N°228", "SOMMAIRE", "Édito | 3", "Dossier : la Bourse | 4", "Auto | 5"]
    pages = [{"number": 1, "_lines": []}, {"number": 2, "_lines": lines}]
    toc = build_toc(pages, [str(i) for i in range(1, 6)])
    assert [(t["title"], t["page"]) for t in toc] == [
        ("Édito", 3),
        ("Dossier : la Bourse", 4),
        ("Auto", 5),
    ]


def test_headlines_skip_running_heads_and_small_type():
    pages = [
        {"number": n, "_fonts": _fonts(10, [[30, f"Titre {n}"], [20, "CHALLENGE"], [11, "x"]])}
        for n in range(1, 6)
    ]
    pages.append({"number": 6, "_fonts": _fonts(10, [[12, "Petit intertitre"]])})
    toc = build_toc(pages, [])
    assert [(t["title"], t["page"]) for t in toc] == [(f"Titre {n}", n) for n in range(1, 6)]


def test_fallback_cover():
    assert build_toc([{"number": 1, "_fonts": _fonts(0, [])}], ["1"]) == [
        {"level": 1, "title": "Couverture", "page": 1}
    ]
