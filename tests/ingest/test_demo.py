"""The demo issues must look like the publisher's PDFs to the ingest pipeline and to readers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pymupdf
import pytest

from magazine_app.demo.pdf import DEMO_ISSUES, build_challenge_228, build_challenge_auto_2
from magazine_app.demo.pdf.assets import content


def norm(text: str) -> str:
    """Whitespace-insensitive, case-insensitive form (headlines wrap and are set in capitals)."""
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo")
    return {
        "challenge": build_challenge_228(out / "challenge-228.pdf"),
        "challenge-auto": build_challenge_auto_2(out / "challenge-auto-2.pdf"),
    }


@pytest.fixture(scope="module")
def docs(pdfs: dict[str, Path]) -> dict[str, pymupdf.Document]:
    return {slug: pymupdf.open(path) for slug, path in pdfs.items()}


def meta(slug: str) -> dict:
    return next(m for m in DEMO_ISSUES if m["publication"] == slug)


def test_metadata() -> None:
    assert [(m["publication"], m["number"]) for m in DEMO_ISSUES] == [
        ("challenge", 228),
        ("challenge-auto", 2),
    ]
    assert meta("challenge")["release_date"] == dt.date(2022, 2, 11)
    assert meta("challenge-auto")["release_date"] == dt.date(2021, 11, 1)
    assert meta("challenge")["period_label"] == "Du 11 au 17 février 2022"
    assert meta("challenge-auto")["period_label"] == "Novembre 2021 - Janvier 2022"
    for m in DEMO_ISSUES:
        assert callable(m["builder"]) and m["title"]
        assert all(set(line) == {"kicker", "title"} for line in m["cover_lines"])


def test_page_counts(docs: dict[str, pymupdf.Document]) -> None:
    assert 36 <= docs["challenge"].page_count <= 44
    assert docs["challenge-auto"].page_count == 140
    for slug, doc in docs.items():
        assert doc.page_count == meta(slug)["page_count"]


def test_outline_only_in_auto(docs: dict[str, pymupdf.Document]) -> None:
    assert docs["challenge"].get_toc() == []
    toc = docs["challenge-auto"].get_toc()
    assert {level for level, _, _ in toc} == {1, 2}
    assert [1, "Patrimoine", 93] in toc
    assert [2, "Renault 4 : un best-seller qui fête ses 60 ans", 93] in toc
    assert all(1 <= page <= 140 for _, _, page in toc)


def test_cover_shows_masthead_and_cover_lines(docs: dict[str, pymupdf.Document]) -> None:
    for slug, doc in docs.items():
        cover = norm(doc[0].get_text())
        m = meta(slug)
        assert "challenge" in cover and f"n°{m['number']}" in cover
        assert norm(m["period_label"]) in cover
        for line in m["cover_lines"]:
            assert norm(line["title"]) in cover, line
            assert norm(line["kicker"]) in cover, line
        assert doc[0].get_images(), "cover photo missing"
    assert "l'hebdo marocain des décideurs" in norm(docs["challenge"][0].get_text())
    assert "auto" in norm(docs["challenge-auto"][0].get_text())


@pytest.mark.parametrize("slug", ["challenge", "challenge-auto"])
def test_sommaire_links_point_to_the_articles(docs: dict[str, pymupdf.Document], slug: str) -> None:
    doc = docs[slug]
    page = doc[2]
    assert "Sommaire" in page.get_text()
    gotos = [lnk for lnk in page.get_links() if lnk["kind"] == pymupdf.LINK_GOTO]
    plan = content()[meta(slug)["plan"]]
    articles = [i for i in plan if i["type"] not in ("cover", "sommaire", "ad", "back")]
    assert len(gotos) >= len(articles)
    targets = {lnk["page"] for lnk in gotos}
    for link in gotos:
        number = page.get_textbox(link["from"]).split()[0]
        assert int(number) == link["page"] + 1  # the printed number is the target page
    for item in articles:
        hits = [p for p in targets if norm(item["title"]) in norm(doc[p].get_text())]
        assert hits, f"no Sommaire link leads to {item['title']!r}"
    uris = [lnk["uri"] for lnk in page.get_links() if lnk["kind"] == pymupdf.LINK_URI]
    assert uris == ["https://www.challenge.ma"]


def test_running_footer_and_french_text(docs: dict[str, pymupdf.Document]) -> None:
    text = docs["challenge"][11].get_text()
    assert "Challenge N°228 — Du 11 au 17 février 2022 — 12" in text
    auto = docs["challenge-auto"]
    assert "Challenge Auto N°2 — Novembre 2021 - Janvier 2022 — 7" in auto[6].get_text()
    whole = "".join(p.get_text() for p in auto)
    for word in (
        "véhicule",
        "véhicules",
        "Renault",
        "Bekkari",
        "Casablanca",
        "VÉHICULES",
        "’",
        "«",
    ):
        assert word in whole, word
    business = "".join(p.get_text() for p in docs["challenge"])
    for word in ("agriculture", "Office des Changes", "Hakimi", "Bekkari", "é", "ç", "ô", "°"):
        assert word in business, word


def test_search_finds_euro_6(docs: dict[str, pymupdf.Document]) -> None:
    hits = sum(len(page.search_for("Euro 6")) for page in docs["challenge-auto"])
    assert hits >= 5
    assert any(page.search_for("Euro 6") for page in docs["challenge"])


def test_photos_are_embedded(docs: dict[str, pymupdf.Document]) -> None:
    auto = docs["challenge-auto"]
    with_photos = [p for p in auto if p.get_images()]
    assert len(with_photos) >= 90
    xrefs = {img[0] for p in auto for img in p.get_images()}
    assert len(xrefs) >= 24
    widths = {img[2] for p in auto for img in p.get_images()}
    assert max(widths) >= 1500  # photo-heavy issue: upscaled images like a real print PDF
    assert docs["challenge"][0].get_images()


def test_back_cover_links_out(docs: dict[str, pymupdf.Document]) -> None:
    for doc in docs.values():
        links = doc[-1].get_links()
        assert [lnk["uri"] for lnk in links] == ["https://www.challenge.ma"]


def test_output_is_reproducible(pdfs: dict[str, Path], tmp_path: Path) -> None:
    again = build_challenge_228(tmp_path / "again.pdf")
    assert again.read_bytes() == pdfs["challenge"].read_bytes()
