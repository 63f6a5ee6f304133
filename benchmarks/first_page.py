"""Time and bytes to the first page: our viewer against PDF.js, on a throttled network.

usage: python benchmarks/first_page.py [--base http://127.0.0.1:8101] [--slug challenge-auto]
           [--number 2] [--pdf PATH] [--runs 3] [--mbps 10] [--latency 40]

Runs headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) with the
network emulated through the Chrome DevTools Protocol (`Network.emulateNetworkConditions`,
cache disabled, a fresh browser context per run) and measures, from navigation start:

* ours: the viewer page `/lire/<slug>/<number>/1` of a running instance (`flask serve`), until
  the first page image is decoded and painted (Element Timing: the image carries
  `elementtiming="first-page"`, whose renderTime is the paint of the decoded image);
* PDF.js: `pdfjs-dist` (npm) rendering page 1 of the same issue's original PDF into a canvas
  fitted to the same viewport, served here with HTTP range support and `disableAutoFetch` +
  `disableStream` (its best case: only the byte ranges page 1 needs), until the render
  promise resolved and a frame was painted;

and, for both, the bytes transferred until then (HTML, CSS, scripts, worker, images or PDF
ranges: the encoded sizes CDP reports, headers included). It prints the medians and the
ratios. The PDF defaults to the issue's stored original, found through the app's database
(set MAGAZINE_INSTANCE_PATH / MAGAZINE_STORAGE_ROOT as for the instance).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PDFJS = ROOT / "node_modules" / "pdfjs-dist" / "build"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
CHROME_PX = 124  # the viewer's toolbars; PDF.js gets the same room for its page

HARNESS_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>PDF.js</title>
<style>body{margin:0;background:#26262b;display:flex;justify-content:center}</style>
<script type="module" src="/harness.mjs"></script></head>
<body><canvas id="page"></canvas></body></html>"""

HARNESS_JS = """import * as pdfjsLib from "/pdfjs/pdf.min.mjs";
pdfjsLib.GlobalWorkerOptions.workerSrc = "/pdfjs/pdf.worker.min.mjs";
const doc = await pdfjsLib.getDocument({
  url: "/doc.pdf", disableAutoFetch: true, disableStream: true, rangeChunkSize: 65536,
}).promise;
const page = await doc.getPage(1);
const base = page.getViewport({ scale: 1 });
const scale = (window.innerHeight - CHROME_PX) / base.height;
const viewport = page.getViewport({ scale: scale * window.devicePixelRatio });
const canvas = document.getElementById("page");
canvas.width = Math.round(viewport.width);
canvas.height = Math.round(viewport.height);
canvas.style.width = `${viewport.width / window.devicePixelRatio}px`;
await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
requestAnimationFrame(() => requestAnimationFrame(() => {
  window.firstPageShown = performance.now();
}));
""".replace("CHROME_PX", str(CHROME_PX))

ELEMENT_TIMING_JS = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.identifier === "first-page" && entry.renderTime) resolve(entry.renderTime);
    }
  }).observe({ type: "element", buffered: true });
})"""

PDFJS_DONE_JS = """() => new Promise((resolve) => {
  const timer = setInterval(() => {
    if (window.firstPageShown) { clearInterval(timer); resolve(window.firstPageShown); }
  }, 10);
})"""


@dataclass
class Result:
    ms: float
    bytes: int
    requests: int


# --------------------------------------------------------------------------- PDF.js server


def pdfjs_server(pdf: Path) -> tuple[Any, int]:
    """A small server for the PDF.js page: its scripts, and the PDF with Range support."""
    from flask import Flask, Response, send_file, send_from_directory
    from werkzeug.serving import make_server

    app = Flask("pdfjs-bench")

    @app.get("/")
    def index() -> Response:
        return Response(HARNESS_HTML, mimetype="text/html")

    @app.get("/harness.mjs")
    def harness() -> Response:
        return Response(HARNESS_JS, mimetype="text/javascript")

    @app.get("/pdfjs/<path:name>")
    def pdfjs(name: str) -> Response:
        return send_from_directory(PDFJS, name, mimetype="text/javascript")

    @app.get("/doc.pdf")
    def document() -> Response:
        return send_file(pdf, mimetype="application/pdf", conditional=True)  # 206 on Range

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


# --------------------------------------------------------------------------- measuring


def measure(browser: Any, url: str, done_js: str, mbps: float, latency: float) -> Result:
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    throughput = mbps * 1_000_000 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": throughput,
            "uploadThroughput": throughput,
        },
    )
    sent: dict[str, float] = {}
    finished: dict[str, tuple[float, int]] = {}
    chunks: dict[str, list[tuple[float, int]]] = {}
    cdp.on("Network.requestWillBeSent", lambda e: sent.setdefault(e["requestId"], e["timestamp"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: finished.__setitem__(
            e["requestId"], (e["timestamp"], int(e["encodedDataLength"]))
        ),
    )
    cdp.on(
        "Network.dataReceived",
        lambda e: chunks.setdefault(e["requestId"], []).append(
            (e["timestamp"], int(e.get("encodedDataLength") or e.get("dataLength") or 0))
        ),
    )
    page.goto(url, wait_until="commit")
    shown_ms = float(page.evaluate(done_js))
    time_origin_offset = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0]?.requestStart ?? 0"
    )
    page.wait_for_timeout(200)  # let the CDP events of requests before `shown` arrive
    # CDP timestamps are monotonic seconds; the document request was sent `requestStart` ms
    # after the page's time origin.
    nav_sent = min(sent.values())
    deadline = nav_sent + (shown_ms - time_origin_offset) / 1000
    total = 0
    counted = 0
    for request_id, started in sent.items():
        if started > deadline:
            continue
        counted += 1
        end = finished.get(request_id)
        if end and end[0] <= deadline:
            total += end[1]
        else:
            total += sum(n for ts, n in chunks.get(request_id, []) if ts <= deadline)
    context.close()
    return Result(shown_ms, total, counted)


def default_pdf(slug: str, number: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from magazine_app import create_app, storage
    from magazine_app.catalog import queries

    app = create_app()
    with app.app_context():
        issue = queries.find_issue(slug, number)
        if issue is None or not issue.source_path:
            raise SystemExit(f"no issue {slug} N°{number} with an original PDF in this instance")
        return storage.resolve(issue.source_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8101")
    parser.add_argument("--slug", default="challenge-auto")
    parser.add_argument("--number", type=int, default=2)
    parser.add_argument("--pdf", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mbps", type=float, default=10.0)
    parser.add_argument("--latency", type=float, default=40.0)
    args = parser.parse_args()
    if not (PDFJS / "pdf.min.mjs").exists():
        raise SystemExit("pdfjs-dist is missing: run `npm ci` in the repository")
    pdf = args.pdf or default_pdf(args.slug, args.number)
    server, port = pdfjs_server(pdf)

    from playwright.sync_api import sync_playwright

    ours: list[Result] = []
    theirs: list[Result] = []
    viewer = f"{args.base.rstrip('/')}/lire/{args.slug}/{args.number}/1"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            for _ in range(args.runs):
                ours.append(measure(browser, viewer, ELEMENT_TIMING_JS, args.mbps, args.latency))
                theirs.append(
                    measure(
                        browser,
                        f"http://127.0.0.1:{port}/",
                        PDFJS_DONE_JS,
                        args.mbps,
                        args.latency,
                    )
                )
        finally:
            browser.close()
            server.shutdown()

    def median(results: list[Result]) -> Result:
        return Result(
            statistics.median(r.ms for r in results),
            int(statistics.median(r.bytes for r in results)),
            int(statistics.median(r.requests for r in results)),
        )

    a, b = median(ours), median(theirs)
    size = pdf.stat().st_size / 1e6
    print(
        f"network: {args.mbps:g} Mbit/s, {args.latency:g} ms latency, cache disabled, "
        f"viewport {VIEWPORT['width']}x{VIEWPORT['height']}, median of {args.runs} runs"
    )
    print(f"PDF: {pdf.name} ({size:.1f} MB)")
    print(f"ours   : {a.ms:7.0f} ms  {a.bytes / 1e3:8.0f} KB  ({a.requests} requests)")
    print(f"PDF.js : {b.ms:7.0f} ms  {b.bytes / 1e3:8.0f} KB  ({b.requests} requests)")
    print(f"ratio  : time {a.ms / b.ms:.3f} (1/{b.ms / a.ms:.1f}), bytes {a.bytes / b.bytes:.3f}")
    print(
        f"runs (ours, ms): {[round(r.ms) for r in ours]}; PDF.js: {[round(r.ms) for r in theirs]}"
    )


if __name__ == "__main__":
    main()
