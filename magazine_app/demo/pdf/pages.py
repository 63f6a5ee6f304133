"""Fixed page templates: cover, Sommaire (with internal links) and full-page ads."""

from __future__ import annotations

from magazine_app.demo.pdf.assets import _rng
from magazine_app.demo.pdf.canvas import BLACK, GREY, WHITE, Canvas, Magazine
from magazine_app.demo.pdf.text import text_width, wrap


def ad_page(mag: Magazine, item: dict, back: bool = False) -> int:
    """Full-page advertisement (no folio, like the real ones); the back cover is one too."""

    def draw(cv: Canvas) -> None:
        w, h, m = cv.w, cv.h, mag.margin
        rng = _rng(item["brand"] + item["slogan"])
        band = rng.choice(
            [(0.05, 0.22, 0.45), (0.55, 0.05, 0.12), (0.1, 0.1, 0.1), (0.0, 0.4, 0.35)]
        )
        if back or rng.random() < 0.5:
            cv.photo(item["photo"], 0, 0, w, h)
            cv.rect(0, h * 0.72, w, h, band, 0.85)
            y, color = h * 0.72, WHITE
        else:
            cv.photo(item["photo"], 0, 0, w, h * 0.68)
            cv.rect(0, h * 0.68, w, h * 0.68 + 8, band)
            y, color = h * 0.68 + 8, band
        cv.text(
            m, y + 56, item["brand"], "SB", 36 if len(item["brand"]) < 16 else 28, color, tc=1.5
        )
        cv.para(m, y + 68, w - 2 * m, item["slogan"], "I", 18, 21, color)
        label = item["web"].removeprefix("https://")
        lw = cv.text(w - m, h - 30, label, "SB", 11, color, align="right")
        if back:
            cv.link((w - m - lw, h - 42, w - m, h - 26), item["web"])

    return mag.page(draw)


def cover(mag: Magazine, meta: dict, photo: str) -> int:
    """Masthead, number and period, cover photo and the cover lines of the seed page."""

    def draw(cv: Canvas) -> None:
        w, h, m, acc = cv.w, cv.h, mag.margin, mag.accent
        auto = meta["publication"] == "challenge-auto"
        lines = meta["cover_lines"]
        cv.photo(photo, 0, 0 if auto else 128, w, h, focus=(0.5, 0.35))
        if auto:
            cv.rect(0, 0, w, 132, BLACK, 0.55)
            cv.text(m - 4, 96, "Challenge", "BI", 84, WHITE)
            cv.rect(w - m - 150, 34, w - m, 78, acc)
            cv.text(w - m - 75, 68, "AUTO", "SB", 34, WHITE, tc=3, align="center")
            cv.text(
                w - m,
                102,
                f"N°{meta['number']} • {meta['period_label']}",
                "SB",
                10,
                WHITE,
                align="right",
            )
            cv.text(
                w - m, 118, "Trimestriel • 140 pages • Prix : 30 DH", "S", 8.5, WHITE, align="right"
            )
        else:
            cv.text(m - 4, 92, "Challenge", "BI", 96, acc)
            cv.text(m, 116, "L'HEBDO MAROCAIN DES DÉCIDEURS", "SB", 10.5, BLACK, tc=1.0)
            cv.text(w - m, 54, f"N°{meta['number']}", "SB", 26, BLACK, align="right")
            cv.text(w - m, 72, meta["period_label"], "S", 10, BLACK, align="right")
            cv.text(w - m, 86, "Prix : 15 DH • www.challenge.ma", "S", 8, GREY, align="right")
            cv.rect(0, 124, w, 128, acc)
        lead, side = lines[0], lines[1:-1]
        panels = (
            [side[: (len(side) + 1) // 2], side[(len(side) + 1) // 2 :]]
            if len(side) > 3
            else [side]
        )
        for k, group in enumerate(panels):
            x = m if k == 0 else w - m - 180
            sizes = [13.0 if len(ln["title"]) < 60 else 11.0 for ln in group]
            blocks = [
                (16 if ln["kicker"] else 2) + len(wrap(ln["title"], "B", sz, 170)) * sz * 1.12 + 16
                for ln, sz in zip(group, sizes, strict=True)
            ]
            y = 150
            cv.rect(x - 12, y - 8, x + 182, y + sum(blocks), BLACK, 0.55)
            for ln, sz in zip(group, sizes, strict=True):
                if ln["kicker"]:
                    cv.text(x, y + 12, ln["kicker"], "SB", 8.5, (1.0, 0.82, 0.1), tc=0.6)
                y = (
                    cv.para(
                        x,
                        y + (16 if ln["kicker"] else 2),
                        170,
                        ln["title"],
                        "B",
                        sz,
                        sz * 1.12,
                        WHITE,
                    )
                    + 16
                )
        cv.rect(0, h * 0.66, w, h, BLACK, 0.5)
        kw = text_width(lead["kicker"], "SB", 12) + 1.2 * len(lead["kicker"])
        cv.rect(m, h * 0.66 + 20, m + kw + 16, h * 0.66 + 42, acc)
        cv.text(m + 8, h * 0.66 + 36, lead["kicker"], "SB", 12, WHITE, tc=1.2)
        y = cv.para(
            m,
            h * 0.66 + 50,
            w - 2 * m,
            lead["title"].upper(),
            "SB",
            34 if not auto else 30,
            36,
            WHITE,
            max_lines=3,
        )
        last = lines[-1]
        cv.rect(m, h - 84, w - m, h - 82, (1.0, 0.82, 0.1))
        if last["kicker"]:
            cv.text(m, h - 68, last["kicker"], "SB", 8.5, (1.0, 0.82, 0.1), tc=0.6)
        cv.para(
            m,
            h - 66 + (8 if last["kicker"] else 0),
            w - 2 * m,
            last["title"],
            "BI",
            14,
            16,
            WHITE,
            max_lines=2,
        )

    return mag.page(draw)


def sommaire(mag: Magazine, meta: dict, entries: list[dict], auto: bool) -> int:
    """Page 3: entries grouped by rubrique with page numbers, each an internal link."""

    def draw(cv: Canvas) -> None:
        w, h, m, acc = cv.w, cv.h, mag.margin, mag.accent
        cv.footer()
        cv.text(m, 84, "Sommaire", "BI", 50, acc)
        cv.text(
            w - m, 84, f"N°{meta['number']} — {meta['period_label']}", "SB", 10, GREY, align="right"
        )
        cv.line(m, 96, w - m, 96, acc, 1.5)
        ncols, tsize, strip = (3, 9.5, 80) if auto else (2, 11.0, 100)
        colw = (w - 2 * m - 16 * (ncols - 1)) / ncols
        pw = (w - 2 * m - 30) / 4
        for k, e in enumerate([e for e in entries if e["photos"]][1:5]):
            x0 = m + k * (pw + 10)
            cv.photo(e["photos"][0], x0, 106, x0 + pw, 106 + strip)
            cv.rect(x0, 106 + strip - 22, x0 + 30, 106 + strip, acc)
            cv.text(x0 + 15, 106 + strip - 6, str(e["page"]), "SB", 13, WHITE, align="center")
            cv.link((x0, 106, x0 + pw, 106 + strip), e["page"])
        top = 106 + strip + 8
        x, y, rub, col = m, top, None, 0
        for e in entries:
            tlines = wrap(e["title"], "B", tsize, colw - 34)
            need = (
                (tsize + 2.5) * len(tlines)
                + (0 if auto else 22)
                + (20 if e["rubrique"] != rub else 0)
            )
            if y + need > h - 70 and col + 1 < ncols:
                col, x, y = col + 1, m + (col + 1) * (colw + 16), top
            if e["rubrique"] != rub:
                rub = e["rubrique"]
                cv.text(x, y + 13, rub.upper(), "SB", 8, acc, tc=1)
                cv.line(x, y + 16, x + colw, y + 16, acc, 0.5)
                y += 19
            y0 = y
            cv.text(x, y + tsize + 2, str(e["page"]), "SB", tsize + 3, acc)
            for ln in tlines:
                y += tsize + 2.5
                cv.text(x + 34, y, ln, "B", tsize)
            if not auto:
                y = cv.para(
                    x + 34,
                    y,
                    colw - 34,
                    e["chapo"].split(". ")[0].rstrip(".") + ".",
                    "I",
                    8,
                    9.5,
                    GREY,
                    max_lines=2,
                )
            cv.link((x, y0, x + colw, y + 3), e["page"])
            y += 6
        web = "Retrouvez toute l'actualité économique sur www.challenge.ma"
        lw = cv.text(m, h - 50, web, "SBI", 9, acc)
        cv.link((m, h - 60, m + lw, h - 46), "https://www.challenge.ma")

    return mag.page(draw)
