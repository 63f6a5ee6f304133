"""Demo assets: the French prose/page plans and the photos, plus seeded randomness.

Kept free of MuPDF and Pillow so that reading the demo metadata stays cheap.
"""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
PHOTOS_DIR = ASSETS_DIR / "photos"


def _rng(seed: str) -> random.Random:
    """Seeded layout randomness (not security-relevant), so demo files are reproducible."""
    return random.Random(seed)  # noqa: S311


@functools.cache
def content() -> dict:
    """Demo prose and page plans (French, invented), kept out of the code."""
    return json.loads((ASSETS_DIR / "content_fr.json").read_text(encoding="utf-8"))
