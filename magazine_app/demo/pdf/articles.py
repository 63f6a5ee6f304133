"""Editorial page templates: articles, edito, briefs, photo galleries and price guides."""

from __future__ import annotations

from magazine_app.demo.pdf.assets import _rng, content
from magazine_app.demo.pdf.canvas import BLACK, GREY, WHITE, Canvas, Magazine
from magazine_app.demo.pdf.layout import (
    Flow,
    captioned,
    columns,
    columns_width,
    fit,
    headline,
    pull_quote,
)


def article_page(cv: Canvas, item: dict, flow: Flow, i: int, final: bool, auto: bool) -> None:
    """One page of an article: the opener on i == 0, then rotating continuation layouts."""
    photos, rng = item["photos"] or ["kodim01"], _rng(f"{item['title']}/{i}")
    photo, caps = photos[i % len(photos)], content()["captions"]
    m, w, h, bottom = cv.mag.margin, cv.w, cv.h, cv.h - 44
    quotes = content()["auto_quotes" if auto else "business_quotes"]
    if i == 0 and auto and item["pages"] >= 4:  # full-bleed opener, text starts overleaf
        cv.photo(photo, 0, 0, w, h)
        cv.rect(0, h * 0.55, w, h, BLACK, 0.55)
        headline(cv, item, m, h * 0.6, w - 2 * m, WHITE, 36)
        return
    if i == 0:
        cv.footer()
        if rng.random() < 0.5 or auto:
            cv.photo(photo, 0, 0, w, h * 0.42)
            y = headline(cv, item, m, h * 0.42 + 16, w - 2 * m, size=28)
        else:
            y = headline(cv, item, m, 60, w - 2 * m)
            captioned(cv, photo, m, y, w - m, y + h * 0.27, rng.choice(caps))
            y += h * 0.27 + 22
        cols = columns(cv, fit(y), bottom)
    else:
        cv.footer(item["rubrique"])
        variant = (i + len(item["title"])) % (5 if auto else 4)
        cols = columns(cv, 54, bottom)
        if variant == 0:  # photo over columns 2-3
            x0, x1 = cols[1][0], cols[2][2]
            captioned(cv, photo, x0, 54, x1, 54 + h * 0.36, rng.choice(caps))
            for c in cols[1:]:
                c[1] = fit(54 + h * 0.36 + 26)
        elif variant == 1:  # pull quote in the middle column
            y = pull_quote(cv, rng.choice(quotes), cols[1][0], 54 + h * 0.3, cols[1][2])
            cols = [
                cols[0],
                [cols[1][0], 54, cols[1][2], 54 + h * 0.3 - 6],
                [cols[1][0], fit(y), cols[1][2], bottom],
                cols[2],
            ]
        elif variant == 2:  # wide photo at the bottom
            captioned(cv, photo, m, h * 0.52, w - m, bottom - 22, rng.choice(caps))
            for c in cols:
                c[3] = h * 0.52 - 10
        elif variant == 3:  # boxed sidebar in column 3
            x0, x1 = cols[2][0], cols[2][2]
            cv.rect(x0, 54, x1, bottom, (0.95, 0.93, 0.88))
            cv.rect(x0, 54, x1, 58, cv.mag.accent)
            cv.text(x0 + 8, 76, "REPÈRES", "SB", 11, cv.mag.accent, tc=1)
            cv.photo(photos[(i + 1) % len(photos)], x0 + 8, 86, x1 - 8, 186)
            yy = 196
            for fact in rng.sample(content()["captions"], 4):
                cv.text(x0 + 8, yy + 16, f"{rng.randint(12, 97)}%", "SB", 18, cv.mag.accent)
                yy = cv.para(x0 + 8, yy + 20, x1 - x0 - 16, fact, "S", 8.2, 10) + 8
            cols = cols[:2]
        else:  # auto: full-bleed photo page with a caption band
            cv.ops.clear()
            cv.photo(photo, 0, 0, w, h, crop="portrait" if i % 2 else "")
            cv.rect(0, h - 70, w, h, BLACK, 0.6)
            cv.para(m, h - 60, w - 2 * m, rng.choice(caps), "SI", 11, 13, WHITE)
            return
    for k, c in enumerate(cols):
        flow.fill(cv, *c, final=final and k == len(cols) - 1)


def article(mag: Magazine, item: dict, auto: bool) -> int:
    data = content()
    pool = data["auto" if auto else "business"]
    subheads = data["auto_subheads" if auto else "business_subheads"]
    questions = data["interview_questions"] if item["type"] == "interview" else None
    flow = Flow(mag, item, pool, subheads, columns_width(mag), questions)
    first = mag.pages + 1
    for i in range(item["pages"]):
        mag.page(lambda cv, i=i: article_page(cv, item, flow, i, i == item["pages"] - 1, auto))
    return first


def edito(mag: Magazine, item: dict, auto: bool) -> int:
    pool = content()["auto" if auto else "business"]
    flow = Flow(mag, item, pool, [], columns_width(mag, 2, 18))

    def draw(cv: Canvas) -> None:
        cv.footer()
        m = mag.margin
        cv.text(m, 92, "Édito", "BI", 54, mag.accent)
        cv.line(m, 104, cv.w - m, 104, mag.accent, 1.5)
        y = cv.para(m, 116, cv.w - 2 * m, item["title"], "B", 26, 28)
        cols = columns(cv, fit(y + 10), cv.h - 44, 2, 18)
        captioned(
            cv,
            item["photos"][0],
            cols[0][0],
            cols[0][1],
            cols[0][2],
            cols[0][1] + 150,
            item["chapo"],
        )
        flow.fill(cv, cols[0][0], fit(cols[0][1] + 172), cols[0][2], cols[0][3])
        flow.fill(cv, *cols[1][:3], cols[1][3] - 40, final=True)
        cv.text(cv.w - m, cv.h - 58, item["chapo"], "SBI", 8.5, mag.accent, align="right")

    return mag.page(draw)


def briefs(mag: Magazine, item: dict, auto: bool) -> int:
    data = content()
    titles = data["briefs_auto_2" if auto else "briefs_228"]
    pool = data["auto" if auto else "business"]
    first = mag.pages + 1
    for p in range(item["pages"]):

        def draw(cv: Canvas, p: int = p) -> None:
            cv.footer("" if p == 0 else item["rubrique"])
            m, y = mag.margin, 54
            if p == 0:
                y = headline(cv, item, m, 54, cv.w - 2 * m, size=30)
            block = (cv.h - 60 - y) / 3
            for k in range(3):
                idx = p * 3 + k
                yy = y + k * block
                cv.photo(item["photos"][idx % len(item["photos"])], m, yy, m + 190, yy + block - 16)
                x = m + 204
                text = pool[(idx * 5) % len(pool)] + " " + pool[(idx * 5 + 2) % len(pool)]
                yt = cv.para(x, yy - 2, cv.w - m - x, titles[idx % len(titles)], "B", 15, 17)
                cv.para(
                    x,
                    yt + 4,
                    cv.w - m - x,
                    text,
                    "R",
                    9.3,
                    11.8,
                    max_lines=int((block - (yt - yy) - 24) // 11.8),
                )
                cv.line(m, yy + block - 7, cv.w - m, yy + block - 7, GREY, 0.3)

        mag.page(draw)
    return first


def gallery(mag: Magazine, item: dict) -> int:
    """Photo-heavy feature: regular article pages alternating with 2x2 photo grids."""
    data = content()
    flow = Flow(mag, item, data["auto"], data["auto_subheads"], columns_width(mag))
    names = (
        data["road_trip_stages"]
        if "Road-trip" in item["title"]
        else [f"{b} {ms[i % len(ms)]}" for i, (b, ms) in enumerate(content()["guide_models"])]
    )
    first = mag.pages + 1
    for i in range(item["pages"]):
        last = i == item["pages"] - 1
        if i % 2 == 0 or last:
            mag.page(lambda cv, i=i, last=last: article_page(cv, item, flow, i, last, True))
            continue

        def grid(cv: Canvas, i: int = i) -> None:
            cv.footer(item["rubrique"])
            m, gw = mag.margin, (cv.w - 2 * mag.margin - 14) / 2
            gh = (cv.h - 54 - 44 - 14) / 2
            for k in range(4):
                x, y = m + (k % 2) * (gw + 14), 54 + (k // 2) * (gh + 14)
                photo = item["photos"][(i * 4 + k) % len(item["photos"])]
                cv.photo(photo, x, y, x + gw, y + gh * 0.72, crop="" if k % 3 else "portrait")
                yt = cv.para(
                    x,
                    y + gh * 0.72 + 4,
                    gw,
                    names[(i * 4 + k) % len(names)],
                    "SB",
                    12,
                    14,
                    mag.accent,
                )
                cv.para(
                    x,
                    yt + 2,
                    gw,
                    data["auto"][(i * 4 + k) % len(data["auto"])],
                    "R",
                    8.6,
                    10.6,
                    max_lines=int((y + gh - yt - 4) // 10.6),
                )

        mag.page(grid)
    return first


def guide(mag: Magazine, item: dict) -> int:
    """Price tables (brand, model, engine, price): dense searchable text, as in real guides."""
    rng = _rng("guide")
    rows: list[tuple[str, ...]] = []
    for brand, models in content()["guide_models"]:
        rows.append((brand.upper(),))
        for model in models:
            base = rng.randint(9, 45) * 10_000 - 100
            for eng, fuel, hp in rng.sample(content()["engines"], rng.randint(2, 4)):
                price = f"{base + hp * rng.randint(300, 900):,}".replace(",", ".")
                rows.append((f"{brand} {model}", eng, fuel, f"{hp} ch", f"{price} DH"))
    first, xs = mag.pages + 1, [0, 0.38, 0.62, 0.78, 1.0]
    for p in range(item["pages"]):

        def draw(cv: Canvas, p: int = p) -> None:
            cv.footer("" if p == 0 else item["rubrique"])
            m, width = mag.margin, cv.w - 2 * mag.margin
            y = headline(cv, item, m, 54, width, size=24, chapo=False) if p == 0 else 54
            heads = ["Modèle", "Motorisation", "Énergie", "Puissance", "Prix"]
            cv.rect(m, y, cv.w - m, y + 16, BLACK)
            for x, head in zip(xs, heads, strict=True):
                cv.text(
                    m + x * width + (4 if x < 1 else -4),
                    y + 11.5,
                    head,
                    "SB",
                    8,
                    WHITE,
                    align="right" if x == 1 else "left",
                )
            y += 16
            while y < cv.h - 60 and rows:
                row = rows.pop(0)
                if len(row) == 1:
                    cv.rect(m, y, cv.w - m, y + 12.5, mag.accent)
                    cv.text(m + 4, y + 9.5, row[0], "SB", 8.5, WHITE, tc=1)
                else:
                    if len(rows) % 2:
                        cv.rect(m, y, cv.w - m, y + 12.5, (0.94, 0.94, 0.94))
                    for x, val in zip(xs, row, strict=True):
                        cv.text(
                            m + x * width + (4 if x < 1 else -4),
                            y + 9,
                            val,
                            "SB" if x == 1 else "R",
                            8.5,
                            align="right" if x == 1 else "left",
                        )
                y += 12.5

        mag.page(draw)
    return first
