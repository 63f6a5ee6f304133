"""Page images: size caps, rendering with PyMuPDF, encoding with Pillow.

Why these choices (measured on the corpus, see the ingest report / benchmarks/ingest_pipeline.py):
* MuPDF's own JPEG encoder is ~15x slower than Pillow's libjpeg-turbo, so MuPDF only rasterises.
* The screen rendition is downloaded on every page turn: WebP q75 method=2 gives ~0.46-0.59x the
  bytes of poppler's q75 JPEG at a higher SSIM. method<=1 stays at ~0.73x; method>=3 doubles the
  CPU for ~3% fewer bytes; AVIF (aom, speed 10) is as slow and scores a lower SSIM.
* The zoom rendition has 4x the pixels and is fetched rarely: WebP there would dominate the
  ingestion CPU, so it is a plain JPEG q70 (libjpeg-turbo, ~45 ms per page).
* Output size is clamped from the page box BEFORE rendering (longest side and total pixels), so
  a 18000x36000 pt poster never asks MuPDF for a gigapixel bitmap.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

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
    RenditionSpec("screen", 1600, 3200, 1600 * 2400, "WEBP", 75, 2),
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


def render_page(page: Any, specs: tuple[RenditionSpec, ...], out_dir: Path, number: int) -> dict:
    """Render one PyMuPDF page into every rendition; return the manifest `renditions` dict.

    The page content is interpreted once into a display list, then each rendition is
    rasterised from it at its own scale (cheaper than resampling, keeps text crisp) and
    dropped before the next one, so memory stays per-page. The display list is in displayed
    (rotated) space, like `page.rect`.
    """
    import pymupdf
    from PIL import Image

    rect = page.rect
    dlist = page.get_displaylist()
    result: dict[str, dict[str, Any]] = {}
    for spec in specs:
        z = scale_for(spec, rect.width, rect.height)
        pix = dlist.get_pixmap(matrix=pymupdf.Matrix(z, z), alpha=False, colorspace=pymupdf.csRGB)
        size = (pix.width, pix.height)
        image = Image.frombuffer("RGB", size, pix.samples_mv, "raw", "RGB", 0, 1)
        del pix  # Pillow copied the samples (RGB -> RGBX): drop MuPDF's copy before encoding
        data = encode(image, spec)
        del image
        rel = write_immutable(out_dir, spec.name, number, EXT[spec.fmt], data)
        result[spec.name] = {
            "file": rel,
            "width": size[0],
            "height": size[1],
            "bytes": len(data),
            "mime": MIME[spec.fmt],
        }
    return result
