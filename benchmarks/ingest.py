"""Whole ingestion vs `pdftoppm -r 150 -jpeg`, on the same PDF, in one run (the issue's benchmark).

usage: python benchmarks/ingest.py PDF [PDF...] [--runs 3] [--pages N] [--also-pages 14]
                                   [--step 1] [--workers 2]

For each PDF, `--runs` times, interleaved (the order alternates so both share the machine's
noise): `pdftoppm -r 150 -jpeg` into a temp folder, and our whole ingestion exactly as
`flask issues ingest` does it (register_issue + commit + run_ingest_job: all renditions, text,
words, links, TOC, placeholders and database rows) in a throwaway app with its own SQLite file.
Our wall time covers those three calls only (not interpreter start-up, app creation and
migrations). Medians are reported, with CPU seconds (user+sys), which are less sensitive to
a loaded machine than wall time. Each ingestion runs in a fresh process (`--_worker`, the
equivalent of the `flask issues ingest` process) so that one run's heap never inflates the
next run's peak. Peak memory = the largest sum of VmRSS over that process and its descendants
(the ingest children), sampled every 20 ms; for pdftoppm, its process (sampled, and its exact
ru_maxrss).

Quality (once per PDF, after the timed runs, every `--step`-th page): our screen rendition
against a lossless MuPDF render at the same size, and `pdftoppm -jpeg -scale-to-x W
-scale-to-y -1` against a lossless poppler render (PPM) at the same size. Each encoder is
compared with its own renderer's lossless output, so SSIM measures encoding loss only, not
the (small) anti-aliasing differences between MuPDF and poppler. SSIM is the mean luma SSIM
with a uniform 7x7 window (scikit-image's default); numpy is a benchmark-only dependency and
is imported after the timed runs, PyMuPDF only in subprocesses.

`--pages N` ingests the first N pages only (a subset PDF written by a PyMuPDF subprocess);
`--also-pages N` also ingests the first N pages and checks that peak memory stays within
20 % of the whole file's (memory must not grow with the page count).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_quality import quality  # noqa: E402

SAMPLE_S = 0.02
WALL_RATIO_MAX = 2.0
BYTES_RATIO_MAX = 0.60
PEAK_MB_MAX = 500
FLAT_TOLERANCE = 0.20


# --------------------------------------------------------------------------- memory sampling


def _tree(root: int) -> list[int]:
    """`root` and its descendants, via /proc/<pid>/task/<tid>/children (no full /proc scan,
    which would cost the machine more CPU than the ingestion we are measuring)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
            except OSError:
                continue
    return out


def tree_rss_kib(root: int) -> int:
    total = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


class PeakSampler:
    """Samples the summed RSS of a process tree from a thread; `peak_mb` after exit."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.root))
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, tree_rss_kib(self.root))

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# --------------------------------------------------------------------------- the two contenders


@dataclass
class Run:
    wall: float
    peak_mb: float
    cpu: float


@dataclass
class OursResult:
    runs: list[Run] = field(default_factory=list)
    folder: Path | None = None  # renditions of the last run (for quality)
    screens: list[dict[str, Any]] = field(default_factory=list)  # page number + rendition
    tmp: Path | None = None


def run_pdftoppm(pdf: Path) -> Run:
    out = Path(tempfile.mkdtemp(prefix="bench-ppm-"))
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(["pdftoppm", "-r", "150", "-jpeg", str(pdf), str(out / "p")])
        with PeakSampler(proc.pid) as sampler:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"pdftoppm failed on {pdf} (status {proc.returncode})")
        # wait4 also gives the exact peak of the single pdftoppm process
        peak = max(sampler.peak_mb, usage.ru_maxrss / 1024)
        return Run(wall, peak, usage.ru_utime + usage.ru_stime)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def ingest_once(pdf: Path, tmp: Path, workers: int | None) -> dict[str, Any]:
    """register_issue + commit + run_ingest_job in a throwaway app (what `flask issues ingest`
    does); app creation and migrations are outside the timed part. Runs in a fresh process
    (`--_worker`) so that one run's heap never inflates the next run's peak."""
    from flask_migrate import upgrade

    from magazine_app import create_app, storage
    from magazine_app.catalog import queries as catalog
    from magazine_app.catalog import register
    from magazine_app.core.extensions import db
    from magazine_app.jobs import ingest

    cfg: dict[str, Any] = {
        "INSTANCE_PATH": str(tmp / "instance"),
        "STORAGE_ROOT": str(tmp / "uploads"),
        "SECRET_KEY": "x" * 32,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
        "HUEY_IMMEDIATE": True,
        "HUEY_SQLITE_PATH": str(tmp / "jobs.db"),
        "INGEST_SIZES": None,
    }
    if workers:
        cfg["INGEST_WORKERS"] = workers
    app = create_app(cfg)
    with app.app_context():
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
        publication = catalog.publication_by_slug("challenge") or catalog.publications()[0]
        cpu0 = _cpu_s()
        start = time.perf_counter()
        issue = register.register_issue(publication, 1, pdf, actor=None)
        db.session.commit()
        outcome = ingest.run_ingest_job(issue.id)
        wall = time.perf_counter() - start
        cpu = _cpu_s() - cpu0
        if not outcome.ok:
            raise SystemExit(f"ingestion of {pdf} failed: {outcome.reason}")
        return {
            "wall": wall,
            "cpu": cpu,
            "folder": str(storage.issue_root(issue.id) / (issue.rendition_dir or "")),
            "screens": [
                {"number": p.number, **p.renditions["screen"]}
                for p in sorted(issue.pages, key=lambda p: p.number)
            ],
        }


def run_ours(pdf: Path, workers: int | None, keep: OursResult | None) -> Run:
    """One ingestion in a fresh `--_worker` process; peak = its whole process tree."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-ours-"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", str(pdf), str(tmp)]
    proc = subprocess.Popen(
        [*cmd, str(workers or 0)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    with PeakSampler(proc.pid) as sampler:
        stdout, stderr = proc.communicate()  # stderr: alembic's INFO lines, shown on failure
    if proc.returncode:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.write(stderr.decode(errors="replace")[-4000:])
        raise SystemExit(f"benchmark worker failed on {pdf} (status {proc.returncode})")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    if keep is not None:
        if keep.tmp is not None:
            shutil.rmtree(keep.tmp, ignore_errors=True)
        keep.tmp, keep.folder, keep.screens = tmp, Path(result["folder"]), result["screens"]
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return Run(result["wall"], sampler.peak_mb, result["cpu"])


# --------------------------------------------------------------------------- subsets

_SUBSET = """
import sys, pymupdf
doc = pymupdf.open(sys.argv[1])
doc.select(list(range(min(int(sys.argv[3]), doc.page_count))))
doc.save(sys.argv[2], garbage=3, deflate=True)
"""


# --------------------------------------------------------------------------- report


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _runs(runs: list[Run], attr: str) -> str:
    return "/".join(f"{getattr(r, attr):.2f}" for r in runs)


def subset(pdf: Path, pages: int, folder: Path) -> Path:
    out = folder / f"{pdf.stem}-first{pages}.pdf"
    subprocess.run([sys.executable, "-c", _SUBSET, str(pdf), str(out), str(pages)], check=True)
    return out


def page_count(pdf: Path) -> int:
    code = "import sys, pymupdf; print(pymupdf.open(sys.argv[1]).page_count)"
    return int(subprocess.check_output([sys.executable, "-c", code, str(pdf)]))


def bench_one(pdf: Path, args: argparse.Namespace) -> dict[str, Any]:
    ours = OursResult()
    theirs: list[Run] = []
    loads = [os.getloadavg()[0]]
    for i in range(args.runs):
        if i % 2 == 0:
            theirs.append(run_pdftoppm(pdf))
            ours.runs.append(run_ours(pdf, args.workers, ours))
        else:
            ours.runs.append(run_ours(pdf, args.workers, ours))
            theirs.append(run_pdftoppm(pdf))
        loads.append(os.getloadavg()[0])
    return {"ours": ours, "theirs": theirs, "loads": loads}


def report(pdf: Path, n_pages: int, res: dict[str, Any], q: dict[str, float] | None) -> bool:
    ours: OursResult = res["ours"]
    theirs: list[Run] = res["theirs"]
    ow = statistics.median(r.wall for r in ours.runs)
    tw = statistics.median(r.wall for r in theirs)
    ocpu = statistics.median(r.cpu for r in ours.runs)
    tcpu = statistics.median(r.cpu for r in theirs)
    opeak = max(r.peak_mb for r in ours.runs)
    tpeak = max(r.peak_mb for r in theirs)
    loads = res["loads"]
    print(
        f"\n== {pdf.name}: {n_pages} pages, {pdf.stat().st_size / 1e6:.1f} MB, "
        f"{len(ours.runs)} interleaved runs, load avg (1 min) {min(loads):.1f}-{max(loads):.1f}"
        f" on {os.cpu_count()} cores"
    )
    rows = [("", "ours", "pdftoppm", "ratio", "target", "")]
    ok = True
    ratio = ow / tw
    rows.append(
        (
            "wall s (median)",
            f"{ow:.2f}",
            f"{tw:.2f}",
            f"{ratio:.2f}",
            f"<= {WALL_RATIO_MAX:.0f}x",
            _verdict(ratio <= WALL_RATIO_MAX),
        )
    )
    ok &= ratio <= WALL_RATIO_MAX
    rows.append(("  wall s per run", _runs(ours.runs, "wall"), _runs(theirs, "wall"), "", "", ""))
    rows.append(("CPU s (user+sys)", f"{ocpu:.2f}", f"{tcpu:.2f}", f"{ocpu / tcpu:.2f}", "", ""))
    rows.append(
        (
            "peak RSS MB (max)",
            f"{opeak:.0f}",
            f"{tpeak:.0f}",
            "",
            f"< {PEAK_MB_MAX}",
            _verdict(opeak < PEAK_MB_MAX),
        )
    )
    ok &= opeak < PEAK_MB_MAX
    rows.append(
        ("  peak MB per run", _runs(ours.runs, "peak_mb"), _runs(theirs, "peak_mb"), "", "", "")
    )
    if q is not None:
        bytes_ok = q["ratio"] <= BYTES_RATIO_MAX
        ssim_ok = q["ours_ssim"] >= q["theirs_ssim"]
        label = f"screen KiB/page ({q['pages']:.0f} pp)"
        rows.append(
            (
                label,
                f"{q['ours_bpp'] / 1024:.1f}",
                f"{q['theirs_bpp'] / 1024:.1f}",
                f"{q['ratio']:.3f}",
                f"<= {BYTES_RATIO_MAX:.2f}",
                _verdict(bytes_ok),
            )
        )
        rows.append(
            (
                "SSIM mean vs lossless",
                f"{q['ours_ssim']:.4f}",
                f"{q['theirs_ssim']:.4f}",
                "",
                "ours >= pdftoppm",
                _verdict(ssim_ok),
            )
        )
        rows.append(
            (
                "SSIM worst page",
                f"{q['ours_ssim_min']:.4f}",
                f"{q['theirs_ssim_min']:.4f}",
                "",
                "(info)",
                "",
            )
        )
        ok &= bytes_ok and ssim_ok
    if "small" in res:
        small: OursResult = res["small"]
        speak = max(r.peak_mb for r in small.runs)
        growth = opeak / speak - 1
        flat = abs(growth) <= FLAT_TOLERANCE
        rows.append(
            (
                f"peak MB first {res['small_pages']} pp",
                f"{speak:.0f}",
                "",
                f"{growth:+.0%}",
                f"{n_pages} pp within 20%",
                _verdict(flat),
            )
        )
        rows.append(
            (
                "  wall s first pages",
                f"{statistics.median(r.wall for r in small.runs):.2f}",
                "",
                "",
                "",
                "",
            )
        )
        ok &= flat
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print(f"  overall: {_verdict(ok)}")
    return ok


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--_worker":
        out = ingest_once(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]) or None)
        print(json.dumps(out))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each (median)")
    ap.add_argument("--pages", type=int, help="ingest only the first N pages")
    ap.add_argument("--also-pages", type=int, help="also ingest the first N pages (memory)")
    ap.add_argument("--step", type=int, default=1, help="quality: every n-th page")
    ap.add_argument("--no-quality", action="store_true", help="skip bytes/SSIM")
    ap.add_argument("--workers", type=int, help="INGEST_WORKERS (default: the app's)")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    args = ap.parse_args()
    if not shutil.which("pdftoppm"):
        raise SystemExit("pdftoppm is not installed (Debian: apt-get install poppler-utils)")
    scratch = Path(tempfile.mkdtemp(prefix="bench-subsets-"))
    all_ok, raw = True, []
    try:
        for pdf in args.pdfs:
            pdf = pdf.resolve()
            if args.pages:
                pdf = subset(pdf, args.pages, scratch)
            res = bench_one(pdf, args)
            if args.also_pages:
                small_pdf = subset(pdf, args.also_pages, scratch)
                small = OursResult(
                    runs=[run_ours(small_pdf, args.workers, None) for _ in range(args.runs)]
                )
                res.update(small=small, small_pages=page_count(small_pdf))
            q = None if args.no_quality else quality(pdf, res["ours"], args.step)
            all_ok &= report(pdf, page_count(pdf), res, q)
            raw.append(
                {
                    "pdf": str(pdf),
                    "quality": q,
                    "loads": res["loads"],
                    "ours": [vars(r) for r in res["ours"].runs],
                    "pdftoppm": [vars(r) for r in res["theirs"]],
                    "small": [vars(r) for r in res["small"].runs] if "small" in res else None,
                }
            )
            if res["ours"].tmp is not None:
                shutil.rmtree(res["ours"].tmp, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
