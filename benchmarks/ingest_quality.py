"""Quality half of benchmarks/ingest.py: screen bytes and luma SSIM, ours vs pdftoppm.

Each encoder is compared with its own renderer's lossless output at the same size (MuPDF in a
subprocess for ours, poppler's PPM for pdftoppm's JPEG), so SSIM measures encoding loss only.
numpy is a benchmark-only dependency, imported lazily (after the timed runs).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUALITY_CHUNK = 8  # pages rendered losslessly at a time (a 1600 px PPM is ~11 MB)


_LOSSLESS = """
import sys, pymupdf
sys.path.insert(0, sys.argv[1])
from magazine_app.ingest.renditions import DEFAULT_RENDITIONS, scale_for
spec = next(s for s in DEFAULT_RENDITIONS if s.name == "screen")
doc = pymupdf.open(sys.argv[2])
for n in map(int, sys.argv[4:]):
    page = doc[n - 1]
    z = scale_for(spec, page.rect.width, page.rect.height)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(z, z), alpha=False, colorspace=pymupdf.csRGB)
    pix.save(f"{sys.argv[3]}/m{n:04d}.ppm")
"""


def ssim(a: Any, b: Any, win: int = 7) -> float:
    """Mean SSIM with a uniform 7x7 window (scikit-image's default), on luma arrays."""
    import numpy as np

    a = a.astype(np.float64)
    b = b.astype(np.float64)

    def box(x: Any) -> Any:
        c = np.cumsum(np.cumsum(np.pad(x, ((1, 0), (1, 0))), 0), 1)
        return (c[win:, win:] - c[:-win, win:] - c[win:, :-win] + c[:-win, :-win]) / win**2

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = box(a), box(b)
    k = win * win / (win * win - 1)
    sxx, syy, sxy = (box(a * a) - mx**2) * k, (box(b * b) - my**2) * k, (box(a * b) - mx * my) * k
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx**2 + my**2 + c1) * (sxx + syy + c2))
    return float(s.mean())


def _luma(path: Path) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def _poppler(pdf: Path, first: int, last: int, width: int, out: Path, jpeg: bool) -> None:
    cmd = ["pdftoppm", "-f", str(first), "-l", str(last), "-scale-to-x", str(width)]
    cmd += ["-scale-to-y", "-1", *(["-jpeg"] if jpeg else []), str(pdf), str(out)]
    subprocess.run(cmd, check=True)


def _poppler_file(folder: Path, prefix: str, n: int, ext: str) -> Path:
    """pdftoppm pads page numbers to the width of the last page number it was asked for."""
    for digits in range(1, 6):
        p = folder / f"{prefix}-{n:0{digits}d}.{ext}"
        if p.exists():
            return p
    raise FileNotFoundError(f"{prefix}-{n}.{ext} in {folder}")


def quality(pdf: Path, ours: Any, step: int) -> dict[str, float]:
    assert ours.folder is not None
    pages = ours.screens[::step]
    ob, tb, os_, ts = [], [], [], []
    work = Path(tempfile.mkdtemp(prefix="bench-q-"))
    try:
        for i in range(0, len(pages), QUALITY_CHUNK):
            chunk = pages[i : i + QUALITY_CHUNK]
            numbers = [str(p["number"]) for p in chunk]
            subprocess.run(
                [sys.executable, "-c", _LOSSLESS, str(ROOT), str(pdf), str(work), *numbers],
                check=True,
            )
            for p in chunk:
                n = p["number"]
                # one poppler call per page: widths may differ between pages
                _poppler(pdf, n, n, p["width"], work / "j", jpeg=True)
                _poppler(pdf, n, n, p["width"], work / "r", jpeg=False)
                jpg, ppm = _poppler_file(work, "j", n, "jpg"), _poppler_file(work, "r", n, "ppm")
                ob.append(p["bytes"])
                tb.append(jpg.stat().st_size)
                os_.append(ssim(_luma(work / f"m{n:04d}.ppm"), _luma(ours.folder / p["file"])))
                ts.append(ssim(_luma(ppm), _luma(jpg)))
                for f in (jpg, ppm, work / f"m{n:04d}.ppm"):
                    f.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "pages": len(pages),
        "ours_bpp": statistics.mean(ob),
        "theirs_bpp": statistics.mean(tb),
        "ratio": sum(ob) / sum(tb),
        "ours_ssim": statistics.mean(os_),
        "ours_ssim_min": min(os_),
        "theirs_ssim": statistics.mean(ts),
        "theirs_ssim_min": min(ts),
    }
