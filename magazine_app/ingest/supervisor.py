"""Run the PyMuPDF work in child processes and turn every outcome into a manifest or an error.

The children (started and ended by spawn.py, running child.py) are where PyMuPDF runs; here
is the policy: one validation child first, then a pool of render children, timeouts,
retries, progress, and the manifest at the end.

Scheduling: pages are handed out one at a time over each child's stdin (a shared queue), which
balances photo-heavy and text-only pages across workers better than fixed chunks and tells us
exactly which page was in flight when a child died or stalled.

Staging folder contract: `out_dir` belongs to the caller. On success it holds `manifest.json`
plus one sub-folder per rendition. On failure run_ingest removes what it created in it (those
sub-folders, `.pages/`, `manifest.json`) but leaves `out_dir` itself for the caller to remove.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import selectors
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from magazine_app.ingest import errors
from magazine_app.ingest.assemble import write_manifest
from magazine_app.ingest.errors import IngestError
from magazine_app.ingest.header import HEADER_SCAN, check_header
from magazine_app.ingest.manifest import MANIFEST_NAME, PAGES_DIR, Manifest, load_manifest
from magazine_app.ingest.renditions import DEFAULT_RENDITIONS, RenditionSpec, renditions_with_widths
from magazine_app.ingest.spawn import Child, failure
from magazine_app.ingest.toc import clean_outline

# How long the loops wait for a child's answer before they check the timeouts and call
# on_tick again (run_ingest promises on_tick at least every half second).
VALIDATE_WAIT_S = 0.5
RENDER_WAIT_S = 0.2


def _source_info(pdf_path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(pdf_path, "rb") as fh:
        head = fh.read(HEADER_SCAN)
        check_header(head)
        digest.update(head)
        size += len(head)
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _validate(
    cmd: Sequence[str],
    pdf: Path,
    max_pages: int,
    timeout: float,
    memory_limit_mb: int,
    on_tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    opts = json.dumps({"max_pages": max_pages})
    child = Child([*cmd, "validate", str(pdf), opts], memory_limit_mb)
    child.finish_input()
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(child.proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            if on_tick is not None:
                on_tick()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise errors.open_timeout(timeout)
            sel.select(min(remaining, VALIDATE_WAIT_S))
            messages, eof = child.read_messages()
            if messages:
                child.reap()  # it exits after its one answer
                return _validation_answer(messages[0], memory_limit_mb)
            if eof:
                raise failure(child, None, memory_limit_mb)
    finally:
        sel.close()
        child.stop()


def _validation_answer(answer: dict[str, Any], memory_limit_mb: int) -> dict[str, Any]:
    """The validation child's findings, or the IngestError it reported."""
    if answer.get("ok"):
        return answer
    if answer.get("code") == "memory":
        raise errors.memory(None, memory_limit_mb, answer.get("detail", ""))
    raise IngestError(answer["code"], answer["message"], detail=answer.get("detail", ""))


class _Pool:
    """The render children of one ingestion and the pages they still owe.

    Every page is pending, in flight with exactly one child, or done. A child that dies,
    stalls past `page_timeout` or reports a failed page is ended, and its page goes back to
    the front of the queue for a new child, at most `retries` times per page; then that
    page's error ends the ingestion. Only an answer about the page in flight counts."""

    def __init__(
        self,
        args: Sequence[str],
        page_count: int,
        *,
        memory_limit_mb: int,
        page_timeout: float,
        retries: int,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        self.args = list(args)
        self.page_count = page_count
        self.memory_limit_mb = memory_limit_mb
        self.page_timeout = page_timeout
        self.retries = retries
        self.on_progress = on_progress
        self.pending = deque(range(1, page_count + 1))
        self.failures: dict[int, int] = {}  # page -> attempts that failed
        self.done = 0
        self.children: list[Child] = []
        self.selector = selectors.DefaultSelector()

    def run(
        self,
        started: Sequence[Child],
        workers: int,
        deadline: float,
        total_timeout: float,
        on_tick: Callable[[], None] | None,
    ) -> None:
        """Keep up to `workers` children busy until every page is done. `started` are
        children already launched with `args` (see run_ingest): they are used first."""
        spare = list(started)
        for _ in range(max(1, min(workers, self.page_count))):
            self.start(spare.pop(0) if spare else None)
        for child in spare:  # more children than pages
            child.stop()
        while self.done < self.page_count:
            if on_tick is not None:
                on_tick()
            now = time.monotonic()
            if now > deadline:
                raise errors.total_timeout(total_timeout)
            self.reap(now)
            for key, _ in self.selector.select(timeout=RENDER_WAIT_S):
                self._read(key.data)

    def start(self, child: Child | None = None) -> None:
        """Put `child`, or a new one, to work on the next pending page."""
        child = child or Child(self.args, self.memory_limit_mb)
        self.children.append(child)
        self.selector.register(child.proc.stdout, selectors.EVENT_READ, child)
        self.feed(child)

    def feed(self, child: Child) -> None:
        """Hand `child` the next pending page, or tell it there is none left (it exits)."""
        if self.pending:
            with contextlib.suppress(BrokenPipeError):  # it died: its EOF is read later
                child.send(self.pending.popleft())
        else:
            child.finish_input()

    def retry(self, child: Child, exc: IngestError) -> None:
        """Take the ended `child` out of the pool and give its page to a new child, or
        raise `exc` when that page has no retry left."""
        self._drop(child)
        page = child.page
        if page is None:
            raise exc
        self.failures[page] = self.failures.get(page, 0) + 1
        if self.failures[page] > self.retries:
            raise exc
        self.pending.appendleft(page)
        self.start()

    def reap(self, now: float) -> None:
        """End the children whose page has run longer than `page_timeout`."""
        for child in list(self.children):
            if child.page is not None and now - child.since > self.page_timeout:
                child.stop()
                self.retry(child, errors.page_timeout(child.page, self.page_timeout))

    def close(self) -> None:
        """Stop every child still in the pool."""
        for child in self.children:
            child.stop()
        self.selector.close()

    def _read(self, child: Child) -> None:
        messages, eof = child.read_messages()
        for msg in messages:
            self._handle(child, msg)
            if child not in self.children:  # it reported a failed page and was ended
                return
        if eof:
            self._ended(child)

    def _handle(self, child: Child, msg: dict[str, Any]) -> None:
        """Act on one answer: `{"page": n, "done": true}` or `{"page": n, "error", "code"}`."""
        if child.page is None or msg.get("page") != child.page:
            print(f"ingest child answered {msg!r:.200} while on page {child.page}", file=sys.stderr)
        elif msg.get("done"):
            self.done += 1
            if self.on_progress is not None:
                self.on_progress(self.done, self.page_count)
            self.feed(child)
        elif "error" in msg:
            detail = str(msg["error"])
            if msg.get("code") == "memory":
                exc = errors.memory(child.page, self.memory_limit_mb, detail)
            else:
                exc = errors.page_failed(child.page, detail)
            child.stop()
            self.retry(child, exc)

    def _ended(self, child: Child) -> None:
        """`child` closed its stdout: a clean exit once its input is finished, else a crash."""
        if child.page is None:
            child.stop()
            self._drop(child)
        else:
            self.retry(child, failure(child, child.page, self.memory_limit_mb))

    def _drop(self, child: Child) -> None:
        self.selector.unregister(child.proc.stdout)
        self.children.remove(child)


def _cleanup(out_dir: Path, specs: Sequence[RenditionSpec]) -> None:
    for name in [*(s.name for s in specs), PAGES_DIR]:
        shutil.rmtree(out_dir / name, ignore_errors=True)
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)


def run_ingest(
    pdf_path: Path,
    out_dir: Path,
    *,
    workers: int = 2,
    max_pages: int = 400,
    page_timeout: float = 60,
    total_timeout: float = 1800,
    memory_limit_mb: int = 1500,
    on_progress: Callable[[int, int], None] | None = None,
    child_command: Sequence[str] | None = None,
    retries: int = 1,
    sizes: Mapping[str, int] | None = None,
    on_tick: Callable[[], None] | None = None,
) -> Manifest:
    """Validate, render and extract `pdf_path` into the staging folder `out_dir`.

    Raises IngestError (French message, machine `code`) on any failure; see the module
    docstring for what is left in `out_dir`. `sizes` overrides rendition widths by name
    (e.g. {"zoom": 400} for fast tests); `child_command` replaces the child interpreter
    command (test seam for hanging or crashing children). `on_tick` is called at least every
    half second while children work (the job's lease heartbeat); whatever it raises stops
    the ingestion like any failure (children killed, staging cleaned).
    """
    pdf_path = Path(pdf_path).resolve()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = list(child_command or [sys.executable, "-m", "magazine_app.ingest.child"])
    specs = renditions_with_widths(sizes, DEFAULT_RENDITIONS)
    deadline = time.monotonic() + total_timeout
    sha, size = _source_info(pdf_path)
    # The render children start now: they import PyMuPDF and open the file while the
    # validation child runs, and get their first page only once validation succeeded.
    # Without "toc_features" they decide it from the outline with clean_outline, as below.
    options = {"renditions": [s.to_dict() for s in specs]}
    args = [*cmd, "render", str(pdf_path), str(out_dir), json.dumps(options)]
    early = [Child(args, memory_limit_mb) for _ in range(max(1, workers))]
    try:
        info = _validate(
            cmd, pdf_path, max_pages, min(page_timeout, total_timeout), memory_limit_mb, on_tick
        )
        page_count = int(info["page_count"])
        outline = clean_outline(info.get("toc", []), page_count)
        if on_progress is not None:
            on_progress(0, page_count)
        pool = _Pool(
            args,
            page_count,
            memory_limit_mb=memory_limit_mb,
            page_timeout=page_timeout,
            retries=retries,
            on_progress=on_progress,
        )
        with contextlib.closing(pool):
            pool.run(early, workers, deadline, total_timeout, on_tick)
        write_manifest(
            out_dir,
            source_sha256=sha,
            source_bytes=size,
            page_count=page_count,
            metadata=info["metadata"],
            outline=outline,
            rendition_names=[s.name for s in specs],
        )
        return load_manifest(out_dir)
    except BaseException:
        for child in early:  # before the cleanup: a live child could recreate `.pages/`
            child.stop()
        _cleanup(out_dir, specs)
        raise
