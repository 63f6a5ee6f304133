"""Assemble one demo issue from its page plan (cover, Sommaire, articles, ads, outline)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from magazine_app.demo.pdf.articles import article, briefs, edito, gallery, guide
from magazine_app.demo.pdf.assets import content
from magazine_app.demo.pdf.canvas import Magazine, photo_jpeg
from magazine_app.demo.pdf.pages import ad_page, cover, sommaire


def build_issue(path: Path, meta: dict) -> Path:
    """Lay out every page of ``meta``'s plan and save the PDF; checks page numbering."""
    auto = meta["publication"] == "challenge-auto"
    mag = Magazine(
        meta["publication"] + str(meta["number"]),
        meta["page_size"],
        meta["footer"],
        meta["accent"],
        f"{meta['publication_title']} N°{meta['number']}",
        2 if auto else 1,
    )
    plan = content()[meta["plan"]]
    if auto:  # upscaling is the slow part: do it on both cores before layout needs it
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda n: photo_jpeg(f"kodim{n:02d}", 2), range(1, 25)))
    pages, entries, page = [], [], 1
    for item in plan:
        pages.append(page)
        if item["type"] not in ("cover", "sommaire", "ad", "back"):
            entries.append({**item, "page": page})
        page += item.get("pages", 1)
    # Each kind of page of the plan, laid out; the result is the page number it started on.
    layouts: dict[str, Callable[[dict], int]] = {
        "cover": lambda item: cover(mag, meta, meta["cover_photo"]),
        "ad": lambda item: ad_page(mag, item, back=False),
        "back": lambda item: ad_page(mag, item, back=True),
        "sommaire": lambda item: sommaire(mag, meta, entries, auto),
        "edito": lambda item: edito(mag, item, auto),
        "briefs": lambda item: briefs(mag, item, auto),
        "gallery": lambda item: gallery(mag, item),
        "guide": lambda item: guide(mag, item),
    }
    for item, expected in zip(plan, pages, strict=True):
        kind = item["type"]
        layout = layouts.get(kind, lambda item: article(mag, item, auto))
        got = layout(item)
        if got != expected:
            raise RuntimeError(
                f"demo plan out of step: {item.get('title', kind)} on {got}, planned {expected}"
            )
    toc: list[list] | None = None
    if auto:  # level 1 = rubriques, level 2 = articles
        toc, rub = [[1, "Couverture", 1], [1, "Sommaire", 3]], None
        for e in entries:
            if e["rubrique"] != rub:
                rub = e["rubrique"]
                toc.append([1, rub, e["page"]])
            toc.append([2, e["title"], e["page"]])
    return mag.save(path, toc, meta["release_date"])
