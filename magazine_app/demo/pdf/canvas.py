"""PDF primitives: a page Canvas writing raw content-stream operators and the Magazine
document that shares fonts and images between pages and saves with fixed metadata/ID."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pymupdf
from PIL import Image

from magazine_app.demo.pdf.assets import PHOTOS_DIR
from magazine_app.demo.pdf.text import FONTS, _widths, text_width, wrap

Color = tuple[float, float, float]
BLACK: Color = (0.08, 0.08, 0.08)
WHITE: Color = (1.0, 1.0, 1.0)
GREY: Color = (0.42, 0.42, 0.42)


@functools.cache
def photo_jpeg(name: str, scale: int = 1, crop: str = "") -> tuple[bytes, int, int]:
    """JPEG bytes and size of a Kodak photo, optionally upscaled (LANCZOS, q85) or cropped.

    The Auto issue is photo-heavy like the real one (~1500 px images), so it upscales 2x.
    """
    path = PHOTOS_DIR / f"{name}.jpg"
    if scale == 1 and not crop:
        with Image.open(path) as im:
            return path.read_bytes(), im.width, im.height
    with Image.open(path) as src:
        im = src.convert("RGB")
    if crop == "portrait" and im.width > im.height:
        cw = im.height * 2 // 3
        im = im.crop(((im.width - cw) // 2, 0, (im.width + cw) // 2, im.height))
    im = im.resize((im.width * scale, im.height * scale), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue(), im.width, im.height


def _pdfstr(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


class Canvas:
    """One page: collects PDF operators in top-left coordinates, written out by Magazine."""

    def __init__(self, mag: Magazine, number: int) -> None:
        self.mag, self.number, self.ops = mag, number, []
        self.fonts: set[str] = set()
        self.images: dict[str, int] = {}
        self.alphas: set[int] = set()
        self.folio = False
        self.w, self.h = mag.w, mag.h

    def _col(self, color: Color, op: str) -> str:
        return " ".join(_n(c) for c in color) + " " + op

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, color: Color, alpha: float = 1.0
    ) -> None:
        gs = ""
        if alpha < 1.0:
            self.alphas.add(round(alpha * 100))
            gs = f"/A{round(alpha * 100)} gs "
        self.ops.append(
            f"q {gs}{self._col(color, 'rg')} {_n(x0)} {_n(self.h - y1)} "
            f"{_n(x1 - x0)} {_n(y1 - y0)} re f Q"
        )

    def line(
        self, x0: float, y0: float, x1: float, y1: float, color: Color, width: float = 0.5
    ) -> None:
        self.ops.append(
            f"q {self._col(color, 'RG')} {_n(width)} w {_n(x0)} {_n(self.h - y0)} m "
            f"{_n(x1)} {_n(self.h - y1)} l S Q"
        )

    def text(
        self,
        x: float,
        y: float,
        s: str,
        font: str,
        size: float,
        color: Color = BLACK,
        tw: float = 0.0,
        tc: float = 0.0,
        align: str = "left",
    ) -> float:
        """Draw one line with its baseline at y; returns its width."""
        width = text_width(s, font, size) + tc * len(s)
        x = x - width if align == "right" else x - width / 2 if align == "center" else x
        self.fonts.add(font)
        spacing = f"{_n(tw)} Tw {_n(tc)} Tc "  # text state outlives BT/ET: always set both
        self.ops.append(
            (
                f"BT {self._col(color, 'rg')} /{font} {_n(size)} Tf {spacing}"
                f"1 0 0 1 {_n(x)} {_n(self.h - y)} Tm "
            ).encode()
            + _pdfstr(s)
            + b" Tj ET"
        )
        return width

    def para(
        self,
        x: float,
        y: float,
        width: float,
        text: str,
        font: str,
        size: float,
        leading: float,
        color: Color = BLACK,
        align: str = "left",
        max_lines: int = 99,
    ) -> float:
        """Wrapped text whose first baseline is y + size; returns the y below the last line."""
        for i, ln in enumerate(wrap(text, font, size, width)[:max_lines]):
            xx = x + width if align == "right" else x + width / 2 if align == "center" else x
            self.text(xx, y + size + i * leading, ln, font, size, color, align=align)
            y_end = y + size + i * leading
        return y_end + leading - size if text else y

    def photo(
        self,
        name: str,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        focus: tuple[float, float] = (0.5, 0.5),
        crop: str = "",
    ) -> None:
        """Fill the frame with the photo (scaled to cover, clipped), like a layout program."""
        xref, iw, ih = self.mag.image(name, crop)
        key = f"Im{xref}"
        self.images[key] = xref
        fw, fh = x1 - x0, y1 - y0
        s = max(fw / iw, fh / ih)
        dw, dh = iw * s, ih * s
        ox, oy = x0 - (dw - fw) * focus[0], y0 - (dh - fh) * focus[1]
        self.ops.append(
            f"q {_n(x0)} {_n(self.h - y1)} {_n(fw)} {_n(fh)} re W n {_n(dw)} 0 0 "
            f"{_n(dh)} {_n(ox)} {_n(self.h - oy - dh)} cm /{key} Do Q"
        )

    def link(self, rect: tuple[float, float, float, float], target: int | str) -> None:
        self.mag.links.append((self.number, pymupdf.Rect(rect), target))

    def footer(self, rubrique: str = "") -> None:
        """Running header (rubrique) and footer ("Challenge N°228 — ... — 12") on outer side."""
        self.folio = True  # drawn last by Magazine.page, so it is last in reading order too
        m = self.mag.margin
        if rubrique:
            self.rect(m, 26, m + 3, 38, self.mag.accent)
            self.text(m + 7, 36, rubrique.upper(), "SB", 8.5, self.mag.accent, tc=0.8)
            self.line(m, 42, self.w - m, 42, self.mag.accent, 0.6)


class Magazine:
    """A PDF under construction: shared fonts/images, pages, links, outline, fixed metadata."""

    def __init__(
        self,
        slug: str,
        size: tuple[float, float],
        footer: str,
        accent: Color,
        title: str,
        photo_scale: int = 1,
    ) -> None:
        self.slug, (self.w, self.h), self.footer, self.accent = slug, size, footer, accent
        self.title, self.photo_scale, self.margin = title, photo_scale, 38.0
        self.doc = pymupdf.open()
        self.doc.new_page()  # page 0 holds the images until save, then is deleted
        self.font_xrefs: dict[str, int] = {}
        self.image_xrefs: dict[tuple[str, str], tuple[int, int, int]] = {}
        self.links: list[tuple[int, pymupdf.Rect, int | str]] = []
        self.pages = 0

    def image(self, name: str, crop: str = "") -> tuple[int, int, int]:
        if (name, crop) not in self.image_xrefs:
            data, iw, ih = photo_jpeg(name, self.photo_scale, crop)
            xref = self.doc[0].insert_image(pymupdf.Rect(0, 0, 1, 1), stream=data)
            self.image_xrefs[(name, crop)] = (xref, iw, ih)
        return self.image_xrefs[(name, crop)]

    def _font(self, key: str) -> int:
        if key not in self.font_xrefs:
            xref = self.doc.get_new_xref()
            widths = " ".join(str(w) for w in _widths(key)[32:])
            self.doc.update_object(
                xref,
                f"<</Type/Font/Subtype/Type1/BaseFont/{FONTS[key][0]}"
                f"/Encoding/WinAnsiEncoding/FirstChar 32/LastChar 255/Widths[{widths}]>>",
            )
            self.font_xrefs[key] = xref
        return self.font_xrefs[key]

    def page(self, draw: Callable[[Canvas], None]) -> int:
        """Add a page drawn by ``draw``; returns its 1-based number."""
        self.pages += 1
        cv = Canvas(self, self.pages)
        draw(cv)
        if cv.folio:
            odd, m = cv.number % 2 == 1, self.margin
            cv.line(m, self.h - 34, self.w - m, self.h - 34, GREY, 0.4)
            cv.text(
                self.w - m if odd else m,
                self.h - 22,
                f"{self.footer} — {cv.number}",
                "S",
                7.5,
                GREY,
                align="right" if odd else "left",
            )
        pxref = self.doc.new_page(width=self.w, height=self.h).xref
        fonts = "".join(f"/{k} {self._font(k)} 0 R" for k in sorted(cv.fonts))
        imgs = "".join(f"/{k} {x} 0 R" for k, x in sorted(cv.images.items()))
        gs = "".join(f"/A{a}<</ca {a / 100}>>" for a in sorted(cv.alphas))
        self.doc.xref_set_key(
            pxref, "Resources", f"<</Font<<{fonts}>>/XObject<<{imgs}>>/ExtGState<<{gs}>>>>"
        )
        cxref = self.doc.get_new_xref()
        self.doc.update_object(cxref, "<<>>")
        ops = [o if isinstance(o, bytes) else o.encode() for o in cv.ops]
        self.doc.update_stream(cxref, b"\n".join(ops))
        self.doc.xref_set_key(pxref, "Contents", f"{cxref} 0 R")
        return self.pages

    def save(self, path: Path, toc: list[list] | None, release: dt.date) -> Path:
        self.doc.delete_page(0)  # the scratch page; its images stay referenced by real pages
        for number, rect, target in self.links:
            page = self.doc[number - 1]
            if isinstance(target, int):
                page.insert_link(
                    {
                        "kind": pymupdf.LINK_GOTO,
                        "from": rect,
                        "page": target - 1,
                        "to": pymupdf.Point(0, 0),
                    }
                )
            else:
                page.insert_link({"kind": pymupdf.LINK_URI, "from": rect, "uri": target})
        if toc:
            self.doc.set_toc(toc)
        stamp = release.strftime("D:%Y%m%d080000Z")
        self.doc.set_metadata(
            {
                "title": self.title,
                "author": "Challenge",
                "subject": self.footer,
                "creator": "magazine_app demo generator",
                "producer": "PyMuPDF",
                "creationDate": stamp,
                "modDate": stamp,
            }
        )
        digest = hashlib.sha256(self.slug.encode()).hexdigest()[:32].upper()
        self.doc.xref_set_key(-1, "ID", f"[<{digest}><{digest}>]")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.doc.save(path, garbage=3, deflate=True, no_new_id=True)
        self.doc.close()
        return path
