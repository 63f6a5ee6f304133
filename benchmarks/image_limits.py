"""What the two page-image rate limits cost on the embedded default's image path.

usage: python benchmarks/image_limits.py [--requests 1500] [--size 300000]

Serves one signed rendition (random bytes of SIZE, a screen page's weight) through the
app's /img endpoint REQUESTS times with Flask's test client (no network, so the figure is
the endpoint's own cost), three ways, in one run:
  * shared   rate limits on, counters in the SQLite store shared by all workers (the
             embedded default: two increments per image, per token and per address)
  * memory   rate limits on, per-process counters (memory://: what a lone worker pays)
  * off      rate limits off (the peer: the same endpoint with nothing counted)
and prints requests per second and milliseconds per request for each. In production nginx
checks the signature and applies both limits itself (deploy/nginx); this is the cost when
Python serves images.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from magazine_app import create_app, storage

RENDITION = "issues/1/v1-bench/screen/0001-0123456789ab.webp"


def run(mode: str, root: Path, requests: int, size: int) -> float:
    cfg = {
        "INSTANCE_PATH": str(root / mode / "instance"),
        "SECRET_KEY": "b" * 40,
        "STORAGE_ROOT": str(root / "uploads"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / mode / 'db.sqlite'}",
        "RATELIMIT_ENABLED": mode != "off",
        # Limits that never trip: we measure the counting, not the refusals.
        "IMAGE_RATE_LIMIT": "1000000 per minute",
        "IMAGE_IP_RATE_LIMIT": "1000000 per minute",
    }
    if mode == "memory":
        cfg["RATELIMIT_STORAGE_URI"] = "memory://"
    app = create_app(cfg)
    path = root / "uploads" / RENDITION
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    token = storage.new_reader_token()
    with app.test_request_context():
        url = storage.sign_image_url(RENDITION, token, time.time())
    client = app.test_client()
    client.set_cookie(storage.READER_COOKIE, token)
    assert client.get(url).status_code == 200
    started = time.perf_counter()
    for _ in range(requests):
        client.get(url).close()
    return (time.perf_counter() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--size", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = {
            mode: run(mode, root, args.requests, args.size) for mode in ("shared", "memory", "off")
        }
    for mode, seconds in results.items():
        print(f"{mode:<7} {1 / seconds:7.0f} req/s  {seconds * 1000:6.2f} ms/request")
    extra = (results["shared"] - results["off"]) * 1000
    print(f"both limits in the shared store cost {extra:.2f} ms per image against none")


if __name__ == "__main__":
    main()
