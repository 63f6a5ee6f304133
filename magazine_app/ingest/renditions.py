"""Page images: size caps, rendering with PyMuPDF, encoding with Pillow.

Why these choices (measured on the corpus; see benchmarks/ingest.py, ingest_quality.py):
* MuPDF's own JPEG encoder is ~15x slower than Pillow's libjpeg-turbo, so MuPDF only rasterises.
* The screen rendition is downloaded on every page turn. Against poppler's q75 JPEG at 1600 px
  (bytes ratio / mean luma SSIM vs lossless, ours vs poppler's; text magazine terra-dif, then
  the photo-heavy demo issue): WebP q65 method=2 gives 0.55 / 0.9924 vs 0.9877 and 0.59 / 0.9800
  vs 0.9834; q75 m2 0.60 / 0.9944 and 0.63 / 0.9814. On photo pages no WebP setting reaches
  poppler's SSIM under 0.60x the bytes (q80 m4: 0.69x for 0.9867). method<=1 never gets under
  0.62x even at q50; method>=3 doubles the CPU (~300 ms/page) for ~3% fewer bytes; AVIF
  (aom, speed 10) is as slow and scores a lower SSIM.
* The zoom rendition has 4x the pixels and is fetched rarely: WebP there would dominate the
  ingestion CPU, so it is a plain JPEG q70 (libjpeg-turbo, ~45 ms per page).
* Output size is clamped from the page box BEFORE rendering (longest side and total pixels), so
  a 18000x36000 pt poster never asks MuPDF for a gigapixel bitmap.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from magazine_app.ingest.manifest import Manifest, Rendition

MIME = {"WEBP": "image/webp", "JPEG": "image/jpeg", "AVIF": "image/avif", "PNG": "image/png"}
EXT = {"WEBP": "webp", "JPEG": "jpg", "AVIF": "avif", "PNG": "png"}


@dataclass(frozen=True)
class RenditionSpec:
    """How one rendition is produced: target width, caps and encoder settings."""

    name: str
    width: int
    max_side: int
    max_pixels: int
    fmt: str = "WEBP"
    quality: int = 75
    method: int = 2  # WebP only: 0 (fast) .. 6 (small)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RenditionSpec:
        return cls(**d)


DEFAULT_RENDITIONS: tuple[RenditionSpec, ...] = (
    RenditionSpec("thumb", 240, 480, 240 * 480, "WEBP", 70, 2),
    RenditionSpec("screen", 1600, 3200, 1600 * 2400, "WEBP", 65, 2),
    RenditionSpec("zoom", 3200, 6400, 3200 * 4800, "JPEG", 70),
)


def renditions_with_widths(
    sizes: Mapping[str, int] | None, base: tuple[RenditionSpec, ...] = DEFAULT_RENDITIONS
) -> tuple[RenditionSpec, ...]:
    """Override target widths (e.g. tiny renditions for fast tests); caps scale along."""
    if not sizes:
        return base
    unknown = set(sizes) - {s.name for s in base}
    if unknown:
        raise ValueError(f"unknown rendition names: {sorted(unknown)}")
    out = []
    for spec in base:
        if spec.name in sizes:
            f = sizes[spec.name] / spec.width
            spec = replace(
                spec,
                width=int(sizes[spec.name]),
                max_side=max(1, int(spec.max_side * f)),
                max_pixels=max(1, int(spec.max_pixels * f * f)),
            )
        out.append(spec)
    return tuple(out)


def scale_for(spec: RenditionSpec, width_pt: float, height_pt: float) -> float:
    """Zoom factor for a page of the given displayed size, honouring every cap."""
    w = max(width_pt, 1.0)
    h = max(height_pt, 1.0)
    z = min(spec.width / w, spec.max_side / max(w, h), math.sqrt(spec.max_pixels / (w * h)))
    # MuPDF rounds the pixmap outwards: shrink until the rounded size honours the caps too
    while z > 0 and (
        math.ceil(w * z) * math.ceil(h * z) > spec.max_pixels
        or max(math.ceil(w * z), math.ceil(h * z)) > spec.max_side
    ):
        z *= 0.999
    return z


def encode(image: Any, spec: RenditionSpec) -> bytes:
    """Encode a Pillow image with the spec's format (Pillow, never MuPDF's encoder)."""
    buf = io.BytesIO()
    if spec.fmt == "WEBP":
        image.save(buf, "WEBP", quality=spec.quality, method=spec.method)
    elif spec.fmt == "JPEG":
        image.save(buf, "JPEG", quality=spec.quality)
    elif spec.fmt == "AVIF":
        image.save(buf, "AVIF", quality=spec.quality, speed=10)
    else:
        image.save(buf, spec.fmt)
    return buf.getvalue()


def write_immutable(out_dir: Path, name: str, number: int, ext: str, data: bytes) -> str:
    """Write content-addressed `name/0001-<sha12>.ext` atomically; return the relative path."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    rel = f"{name}/{number:04d}-{digest}.{ext}"
    target = out_dir / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return rel


def _scaled_bbox(dlist: Any, z: float) -> Any:
    """The pixel box MuPDF gives a display list drawn at zoom `z` (same rounding as
    `DisplayList.get_pixmap`), so derived renditions keep the sizes of direct renders."""
    import pymupdf

    mu = pymupdf.mupdf
    ctm = mu.FzMatrix(z, 0, 0, z, 0, 0)
    return ctm, mu.fz_round_rect(mu.fz_transform_rect(mu.fz_bound_display_list(dlist.this), ctm))


@contextmanager
def _rendered(dlist: Any, z: float) -> Iterator[Any]:
    """Rasterise into an opaque RGBX pixmap and lend it as a zero-copy Pillow image.

    MuPDF's RGB pixmaps are 3 bytes per pixel and Pillow keeps RGB as 4, so `frombuffer("RGB")`
    copies (and, at 3200 px, holds two ~50 MB bitmaps at once). An alpha pixmap filled with
    opaque white is exactly RGBX: Pillow maps it without a copy and both encoders take it.
    The image borrows MuPDF's memory, so it is closed before the pixmap goes away.
    """
    import pymupdf
    from PIL import Image

    mu = pymupdf.mupdf
    ctm, box = _scaled_bbox(dlist, z)
    rgb = mu.FzColorspace(mu.FzColorspace.Fixed_RGB)
    pix = mu.fz_new_pixmap_with_bbox(rgb, box, mu.FzSeparations(), 1)
    mu.fz_clear_pixmap_with_value(pix, 0xFF)  # white, alpha 255
    dev = mu.fz_new_draw_device(ctm, pix)
    try:
        infinite = mu.FzRect(mu.FzRect.Fixed_INFINITE)
        mu.fz_run_display_list(dlist.this, dev, mu.FzMatrix(), infinite, mu.FzCookie())
    finally:
        mu.fz_close_device(dev)
    view = mu.fz_pixmap_samples_memoryview(pix)
    size = (mu.fz_pixmap_width(pix), mu.fz_pixmap_height(pix))
    image = Image.frombuffer("RGBX", size, view, "raw", "RGBX", 0, 1)
    try:
        yield image
    finally:
        image.close()  # releases Pillow's export of the buffer
        view.release()
        del pix


def _entry(out_dir: Path, spec: RenditionSpec, number: int, image: Any) -> dict[str, Any]:
    data = encode(image, spec)
    rel = write_immutable(out_dir, spec.name, number, EXT[spec.fmt], data)
    return Rendition(rel, image.width, image.height, len(data), MIME[spec.fmt]).to_dict()


def render_page(page: Any, specs: tuple[RenditionSpec, ...], out_dir: Path, number: int) -> dict:
    """Render one PyMuPDF page into every rendition; return the manifest `renditions` dict.

    The page content is interpreted once into a display list (in displayed, rotated space,
    like `page.rect`); each rendition is rasterised from it at its own scale (keeps text
    crisp; measured cheaper than downscaling the screen image for the thumbnail: 3-7 ms
    against 9-15 ms) and dropped before the next one, so memory stays per-page.
    """
    rect = page.rect
    dlist = page.get_displaylist()
    result: dict[str, dict[str, Any]] = {}
    for spec in specs:
        with _rendered(dlist, scale_for(spec, rect.width, rect.height)) as image:
            result[spec.name] = _entry(out_dir, spec, number, image)
    return result


PLACEHOLDER_WIDTH = 12


def make_placeholders(manifest: Manifest, folder: Path) -> dict[int, str]:
    """A 12-pixel-wide, blurred version of each page, inline as a data URI: what a reader
    without access sees of a locked page. Illegible by construction."""
    from PIL import Image, ImageFilter

    placeholders: dict[int, str] = {}
    for page in manifest.pages:
        thumb = page.renditions.get("thumb")
        if thumb is None:
            continue
        with Image.open(folder / thumb.file) as im:
            im = im.convert("RGB")
            height = max(1, round(im.height * PLACEHOLDER_WIDTH / im.width))
            small = im.resize((PLACEHOLDER_WIDTH, height), Image.Resampling.BOX)
            small = small.filter(ImageFilter.GaussianBlur(1))
            buf = io.BytesIO()
            small.save(buf, "JPEG", quality=40)
        placeholders[page.number] = (
            "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
        )
    return placeholders
