"""Test PDFs generated with PyMuPDF: a small magazine with text, an outline, links."""

from __future__ import annotations

from pathlib import Path

import pymupdf

WORDS = (
    "Le marché marocain des véhicules d'occasion entame sa restructuration. "
    "À Casablanca, les concessionnaires préparent le passage au carburant Euro 6. "
    "Renault et Dacia dominent les ventes ; Hakimi signe un retour remarqué."
)


def magazine_pdf(
    path: Path, pages: int = 12, *, outline: bool = True, title: str = "Challenge test"
) -> Path:
    """A small A4 magazine: page N shows "Page N" in big type, prose, a link to the
    last page on page 2 and an external link on page 3; a two-level outline."""
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_text((50, 90), f"Page {n}", fontsize=36, fontname="hebo")
        page.insert_text((50, 130), f"Article numéro {n} : véhicules et Euro 6", fontsize=16)
        page.insert_textbox(pymupdf.Rect(50, 150, 545, 780), WORDS * 4, fontsize=11)
        page.draw_rect(pymupdf.Rect(400, 20, 560, 60), color=(0.7, 0.1, 0.1), fill=(0.7, 0.1, 0.1))
        page.insert_text((50, 820), str(n), fontsize=9)
    if pages >= 3:
        doc[1].insert_link(
            {"kind": pymupdf.LINK_GOTO, "from": pymupdf.Rect(50, 60, 300, 100), "page": pages - 1}
        )
        doc[2].insert_link(
            {
                "kind": pymupdf.LINK_URI,
                "from": pymupdf.Rect(50, 60, 300, 100),
                "uri": "https://www.challenge.ma/",
            }
        )
    if outline:
        toc = [[1, "Couverture", 1]]
        for n in range(2, pages + 1, 3):
            toc.append([1, f"Rubrique {n}", n])
            if n + 1 <= pages:
                toc.append([2, f"Article {n + 1}", n + 1])
        doc.set_toc(toc)
    doc.set_metadata({"title": title})
    doc.save(path)
    doc.close()
    return path
