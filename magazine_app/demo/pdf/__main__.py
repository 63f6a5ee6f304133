"""``python -m magazine_app.demo.pdf OUT_DIR``: write both demo PDFs and time them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from magazine_app.demo.pdf.issues import DEMO_ISSUES


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "demo_pdfs")
    for meta in DEMO_ISSUES:
        t0 = time.perf_counter()
        result = meta["builder"](out / meta["filename"])
        print(f"{result}: {result.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
