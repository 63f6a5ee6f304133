"""Layout helpers: article text flowing through columns, headlines, captions, quotes."""

from __future__ import annotations

from collections import deque

from magazine_app.demo.pdf.assets import _rng, content
from magazine_app.demo.pdf.canvas import BLACK, GREY, WHITE, Canvas, Color, Magazine
from magazine_app.demo.pdf.text import text_width, wrap


class Flow:
    """An article body flowing through column frames on a fixed baseline grid.

    Paragraphs come from the article's own lead, then from a shuffled generic pool (cycled),
    so any number of pages can be filled; the last frame ends on a whole paragraph.
    """

    SIZE, LEADING = 9.3, 11.8

    def __init__(
        self,
        mag: Magazine,
        item: dict,
        pool: list[str],
        subheads: list[str],
        width: float,
        questions: list[str] | None = None,
    ) -> None:
        self.mag, self.width, self.rows = mag, width, deque()
        rng = _rng(item["title"])
        generic = pool[:]
        rng.shuffle(generic)
        self.queue = deque(item["lead"] + generic * 4)
        self.subheads = deque(rng.sample(subheads, len(subheads)))
        self.questions = deque(rng.sample(questions, len(questions))) if questions else None
        self.count, self.dropcap = 0, not questions

    def _more(self) -> None:
        text, kind = self.queue.popleft(), "R"
        if self.questions is not None and self.count % 2 == 0 and self.count >= 2:
            self.queue.appendleft(text)
            text, kind = self.questions[0], "SB"
            self.questions.rotate(-1)
        elif self.questions is None and self.subheads and self.count and self.count % 4 == 0:
            self.rows += [("", "gap", True, 0.0), (self.subheads[0], "SB", True, 0.0)]
            self.subheads.rotate(-1)
        if text.startswith("Challenge Auto :") or text.startswith("Tachemi Bekkari :"):
            kind = "SB" if text.startswith("Challenge") else "R"
        size, first = self.SIZE, self.count == 0
        cap = text_width(text[0], "B", 3 * self.LEADING + 3) + 3 if first and self.dropcap else 0.0
        body = text[1:] if cap else text
        lines = wrap(
            body, kind, size, self.width, 0.0 if first or kind == "SB" else 10.0, (3, cap), True
        )
        for i, ln in enumerate(lines):
            indent = (
                cap if i < 3 and cap else (10.0 if i == 0 and not first and kind == "R" else 0.0)
            )
            self.rows.append((ln, kind, i == len(lines) - 1, indent))
        if cap:
            self.rows[-len(lines)] = (lines[0], kind, len(lines) == 1, -cap)  # marks the drop cap
            self.capletter = text[0]
        self.count += 1

    def fill(
        self, cv: Canvas, x0: float, y0: float, x1: float, y1: float, final: bool = False
    ) -> None:
        n = int((y1 - y0 + self.LEADING - self.SIZE) // self.LEADING)
        while len(self.rows) < n + 2:
            self._more()
        while self.rows and self.rows[0][1] == "gap":
            self.rows.popleft()
        take = n
        if final:
            ends = [i + 1 for i in range(min(n, len(self.rows))) if self.rows[i][2]]
            take = ends[-1] if ends else n
        for i in range(take):
            text, kind, end, indent = self.rows.popleft()
            if kind == "gap":
                continue
            y = y0 + self.SIZE + i * self.LEADING
            color = self.mag.accent if kind == "SB" else BLACK
            if indent < 0:  # first line of the article: drop cap over three lines
                cv.text(
                    x0,
                    y + 2 * self.LEADING + 1,
                    self.capletter,
                    "B",
                    3 * self.LEADING + 3,
                    self.mag.accent,
                )
                indent = -indent
            natural = text_width(text, kind, self.SIZE)
            spaces = text.count(" ")
            tw = (x1 - x0 - indent - natural) / spaces if spaces and not end else 0.0
            cv.text(
                x0 + indent, y, text, kind, self.SIZE, color, tw=tw if tw < 0.6 * self.SIZE else 0.0
            )
            if final and i == take - 1:
                last = x0 + indent + natural + (tw * spaces if tw < 0.6 * self.SIZE else 0) + 4
                cv.rect(last, y - 6, last + 6, y, self.mag.accent)


def columns(
    cv: Canvas, y0: float, y1: float, n: int = 3, gutter: float = 13.0
) -> list[list[float]]:
    m = cv.mag.margin
    w = (cv.w - 2 * m - (n - 1) * gutter) / n
    return [[m + i * (w + gutter), y0, m + i * (w + gutter) + w, y1] for i in range(n)]


def captioned(
    cv: Canvas, name: str, x0: float, y0: float, x1: float, y1: float, caption: str
) -> None:
    cv.photo(name, x0, y0, x1, y1)
    cv.para(x0, y1 + 2, x1 - x0, caption, "SI", 7.2, 8.6, GREY, max_lines=2)


def headline(
    cv: Canvas,
    item: dict,
    x: float,
    y: float,
    width: float,
    color: Color = BLACK,
    size: float = 30.0,
    chapo: bool = True,
) -> float:
    """Kicker + large headline + standfirst + byline; returns the y below them."""
    kicker = item["rubrique"].upper()
    kw = text_width(kicker, "SB", 9) + 0.9 * len(kicker)
    cv.rect(x, y, x + kw + 12, y + 15, cv.mag.accent)
    cv.text(x + 6, y + 11, kicker, "SB", 9, WHITE, tc=0.9)
    y = cv.para(x, y + 22, width, item["title"], "B", size, size * 1.06, color)
    if chapo:
        y = cv.para(x, y + 8, width * 0.92, item["chapo"], "I", 12.5, 15.0, color)
        byline = _rng(item["title"]).choice(content()["bylines"])
        y = cv.para(
            x, y + 4, width, byline, "SB", 7.5, 9, cv.mag.accent if color == BLACK else color
        )
    return y + 10


def pull_quote(cv: Canvas, quote: str, x0: float, y0: float, x1: float) -> float:
    cv.line(x0, y0, x1, y0, cv.mag.accent, 2)
    y = cv.para(x0, y0 + 6, x1 - x0, quote, "BI", 15, 17.5, cv.mag.accent)
    cv.line(x0, y + 4, x1, y + 4, cv.mag.accent, 2)
    return y + 10


def fit(y: float) -> float:
    """Snap a frame top down to the baseline grid so that columns line up."""
    return 54 + -(-(y - 54) // Flow.LEADING) * Flow.LEADING


def columns_width(mag: Magazine, n: int = 3, gutter: float = 13.0) -> float:
    return (mag.w - 2 * mag.margin - (n - 1) * gutter) / n
