"""Ingestion of PDFs generated with PyMuPDF: TOC building, links, word boxes, rotation, limits."""

from __future__ import annotations

import pymupdf
import pytest
from PIL import Image

from magazine_app.ingest import IngestError, run_ingest
from tests.ingest.conftest import FAST_SIZES

LOREM = "Le texte courant de l'article occupe la colonne sur plusieurs lignes. " * 3


def _body(page: pymupdf.Page, y: float = 300) -> None:
    page.insert_textbox(pymupdf.Rect(50, y, 545, y + 300), LOREM * 2, fontsize=10)


def test_built_toc_from_sommaire_page(make_pdf, tmp_path):
    def build(doc):
        cover = doc.new_page()
        cover.insert_text((50, 100), "Challenge", fontsize=40)
        som = doc.new_page()
        som.insert_text((50, 80), "Sommaire", fontsize=24)
        for i, (title, n) in enumerate([("Économie du Maroc", 4), ("Finance", 5), ("Auto", 6)]):
            som.insert_text((50, 140 + 30 * i), str(n), fontsize=12)
            som.insert_text((90, 140 + 30 * i), title, fontsize=12)
        for _ in range(4):
            _body(doc.new_page())

    out = tmp_path / "o"
    m = run_ingest(make_pdf(build), out, sizes=FAST_SIZES)
    assert m.toc_source == "built"
    assert [(t.level, t.title, t.page) for t in m.toc] == [
        (1, "Économie du Maroc", 4),
        (1, "Finance", 5),
        (1, "Auto", 6),
    ]


def test_built_toc_from_dotted_leaders_with_labels(make_pdf, tmp_path):
    def build(doc):
        doc.new_page()
        som = doc.new_page()
        som.insert_text((50, 80), "Table des matières", fontsize=20)
        for i, (title, n) in enumerate([("Édito", 11), ("Enquête", 12), ("Portrait", 13)]):
            som.insert_text((50, 140 + 20 * i), f"{title} ........ {n}", fontsize=11)
        for _ in range(3):
            _body(doc.new_page())
        doc.set_page_labels([{"startpage": 0, "prefix": "", "style": "D", "firstpagenum": 9}])

    m = run_ingest(make_pdf(build), tmp_path / "o", sizes=FAST_SIZES)
    # printed numbers are page labels (the issue starts at 9): label "11" is physical page 3
    assert [(t.title, t.page) for t in m.toc] == [("Édito", 3), ("Enquête", 4), ("Portrait", 5)]
    assert [p.label for p in m.pages] == ["9", "10", "11", "12", "13"]


def test_built_toc_from_headlines(make_pdf, tmp_path):
    def build(doc):
        for title in ("La Bourse de Casablanca", "Les constructeurs automobiles", ""):
            page = doc.new_page()
            if title:
                page.insert_text((50, 100), title, fontsize=28)
            page.insert_text((50, 800), "Challenge N°228", fontsize=8)
            _body(page, 150)

    m = run_ingest(make_pdf(build), tmp_path / "o", sizes=FAST_SIZES)
    assert m.toc_source == "built"
    assert [(t.title, t.page) for t in m.toc] == [
        ("La Bourse de Casablanca", 1),
        ("Les constructeurs automobiles", 2),
    ]


def test_toc_never_empty(make_pdf, tmp_path):
    m = run_ingest(make_pdf(lambda d: d.new_page()), tmp_path / "o", sizes=FAST_SIZES)
    assert [(t.level, t.title, t.page) for t in m.toc] == [(1, "Couverture", 1)]
    assert m.pages[0].text == "" and m.pages[0].words == []


def test_outline_is_range_checked_and_levelled(make_pdf, tmp_path):
    def build(doc):
        for _ in range(3):
            doc.new_page()
        doc.set_toc([[1, "Un", 1], [2, "Deux", 2], [3, "Trois", 3]])

    pdf = make_pdf(build)
    m = run_ingest(pdf, tmp_path / "o", sizes=FAST_SIZES)
    assert m.toc_source == "outline"
    assert [(t.level, t.title, t.page) for t in m.toc] == [
        (1, "Un", 1),
        (2, "Deux", 2),
        (3, "Trois", 3),
    ]


def test_links_internal_and_external(make_pdf, tmp_path):
    def build(doc):
        doc.new_page()
        doc.new_page()
        p1 = doc[0]
        p1.insert_link(
            {"kind": pymupdf.LINK_GOTO, "from": pymupdf.Rect(10, 10, 110, 30), "page": 1}
        )
        p1.insert_link(
            {
                "kind": pymupdf.LINK_URI,
                "from": pymupdf.Rect(10, 40, 110, 60),
                "uri": "https://challenge.ma/",
            }
        )

    m = run_ingest(make_pdf(build), tmp_path / "o", sizes=FAST_SIZES)
    links = m.pages[0].links
    internal = [link for link in links if "page" in link]
    external = [link for link in links if "uri" in link]
    assert [link["page"] for link in internal] == [2]
    assert [link["uri"] for link in external] == ["https://challenge.ma/"]
    x0, y0, x1, y1 = internal[0]["rect"]
    assert (x0, y0) == pytest.approx((10 / 595, 10 / 842), abs=1e-3)
    assert (x1, y1) == pytest.approx((110 / 595, 30 / 842), abs=1e-3)


def _word_box(m, page_no: int, word: str) -> list[float]:
    [box] = [w[:4] for w in m.pages[page_no - 1].words if w[4] == word]
    assert all(v == round(v, 4) and 0 <= v <= 1 for v in box)
    return box


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_word_boxes_normalised_to_displayed_page(make_pdf, tmp_path, rotation):
    def build(doc):
        page = doc.new_page(width=500, height=700)
        page.insert_text((100, 150), "Maroc", fontsize=30)
        page.set_rotation(rotation)

    pdf = make_pdf(build)
    out = tmp_path / "o"
    m = run_ingest(pdf, out, sizes={"screen": 400})
    page_m = m.pages[0]
    if rotation in (90, 270):
        assert (page_m.width, page_m.height) == (700, 500)
    box = _word_box(m, 1, "Maroc")
    # search_for gives the unrotated box; map it to the displayed page
    with pymupdf.open(pdf) as doc:
        page = doc[0]
        hit = page.search_for("Maroc")[0] * page.rotation_matrix
        expected = [
            hit.x0 / page.rect.width,
            hit.y0 / page.rect.height,
            hit.x1 / page.rect.width,
            hit.y1 / page.rect.height,
        ]
    assert box == pytest.approx(expected, abs=2e-3)
    # and the ink of the word really is inside that box on the rendered screen image
    screen = page_m.renditions["screen"]
    img = Image.open(out / screen.file).convert("L")
    w, h = img.size
    inside = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w) + 1, int(box[3] * h) + 1))
    assert inside.getextrema()[0] < 100  # dark glyph pixels inside
    total_dark = sum(img.histogram()[:128])
    inside_dark = sum(inside.histogram()[:128])
    assert inside_dark >= 0.95 * total_dark


def test_page_limit_refused(make_pdf, tmp_path, no_leftover_children):
    pdf = make_pdf(lambda d: [d.new_page() for _ in range(5)])
    with pytest.raises(IngestError) as info:
        run_ingest(pdf, tmp_path / "o", max_pages=4, sizes=FAST_SIZES)
    assert info.value.code == "too_many_pages"
    assert str(info.value) == "Le PDF compte 5 pages ; la limite est de 4."


def test_user_password_refused(make_pdf, tmp_path):
    pdf = make_pdf(
        lambda d: d.new_page(),
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        user_pw="secret",
        owner_pw="owner",
    )
    with pytest.raises(IngestError) as info:
        run_ingest(pdf, tmp_path / "o", sizes=FAST_SIZES)
    assert info.value.code == "encrypted"
    assert "mot de passe" in info.value.message


def test_not_a_pdf(tmp_path):
    fake = tmp_path / "x.pdf"
    fake.write_bytes(b"<html>pas un pdf</html>")
    with pytest.raises(IngestError) as info:
        run_ingest(fake, tmp_path / "o")
    assert (info.value.code, info.value.message) == ("not_pdf", "Ce fichier n'est pas un PDF.")


def test_giant_page_capped(make_pdf, tmp_path):
    pdf = make_pdf(lambda d: d.new_page(width=14400, height=14400))  # 200 x 200 inches
    m = run_ingest(pdf, tmp_path / "o")
    zoom = m.pages[0].renditions["zoom"]
    assert zoom.width * zoom.height <= 3200 * 4800
    screen = m.pages[0].renditions["screen"]
    assert screen.width * screen.height <= 1600 * 2400


def test_renditions_default_formats_and_immutable_names(make_pdf, tmp_path):
    pdf = make_pdf(lambda d: _body(d.new_page()))
    m1 = run_ingest(pdf, tmp_path / "a")
    m2 = run_ingest(pdf, tmp_path / "b")
    r = m1.pages[0].renditions
    assert (r["thumb"].width, r["screen"].width, r["zoom"].width) == (240, 1600, 3200)
    assert r["screen"].mime == "image/webp" and r["screen"].file.startswith("screen/0001-")
    assert r["zoom"].mime == "image/jpeg"
    # content-addressed: same input, same names
    assert {k: v.file for k, v in r.items()} == {
        k: v.file for k, v in m2.pages[0].renditions.items()
    }
