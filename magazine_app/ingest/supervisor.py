"""Run the PyMuPDF work in child processes and turn every outcome into a manifest or an error.

Why child processes started with Popen (not threads, not multiprocessing): MuPDF may crash or
hang on hostile input and PyMuPDF is not thread-safe; the caller may be a daemonic Huey worker
(which may not fork multiprocessing children). Each child runs in its own process group under
`RLIMIT_AS`, so a hang or crash is contained and killed with SIGKILL. A child also dies with
its parent (lifeline.py: the child asks the kernel for SIGKILL when the thread that started it
exits), so a `kill -9` of the worker never leaves a child rendering for nobody. That thread
is the one calling run_ingest: call it from a thread that outlives the job.

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
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from magazine_app.core.lifeline import PARENT_ENV
from magazine_app.ingest import errors
from magazine_app.ingest.assemble import write_manifest
from magazine_app.ingest.errors import IngestError
from magazine_app.ingest.header import HEADER_SCAN, check_header
from magazine_app.ingest.manifest import MANIFEST_NAME, PAGES_DIR, Manifest, load_manifest
from magazine_app.ingest.renditions import DEFAULT_RENDITIONS, RenditionSpec, renditions_with_widths
from magazine_app.ingest.toc import clean_outline

STDERR_TAIL = 4000
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class _Child:
    """One child process: line-buffered stdout, stderr spooled to a temp file."""

    def __init__(self, command: Sequence[str], memory_limit_mb: int) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stderr_tail)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env[PARENT_ENV] = str(os.getpid())  # the child checks it after asking for PDEATHSIG
        limit = memory_limit_mb * 1024 * 1024

        def _limits() -> None:  # runs in the child between fork and exec
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        self.proc = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            preexec_fn=_limits,
            start_new_session=True,
            env=env,
            bufsize=0,
        )
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buffer = b""
        self.page: int | None = None
        self.since = time.monotonic()
        self.killed = False

    def send(self, page: int) -> None:
        self.page = page
        self.since = time.monotonic()
        self.proc.stdin.write(f"{page}\n".encode())

    def finish_input(self) -> None:
        self.page = None
        if not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()

    def read_lines(self) -> tuple[list[dict[str, Any]], bool]:
        """Available JSON lines and whether stdout reached EOF."""
        eof = False
        while True:
            try:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
            except BlockingIOError:
                break
            if not chunk:
                eof = True
                break
            self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        out = []
        for raw in lines:
            try:
                out.append(json.loads(raw))
            except ValueError:
                print(f"ingest child wrote a non-JSON line: {raw[:200]!r}", file=sys.stderr)
        return out, eof

    def kill(self) -> None:
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.reap()

    def reap(self) -> int:
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(BrokenPipeError):
                stream.close()
        return self.proc.wait()

    def stderr_tail(self) -> str:
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - STDERR_TAIL))
        tail = self.stderr.read().decode("utf-8", "replace")
        self.stderr.close()
        return tail


def _failure(child: _Child, page: int | None, memory_limit_mb: int) -> IngestError:
    """Classify a child that died without reporting: memory exhaustion or crash."""
    code = child.reap()
    tail = child.stderr_tail()
    detail = f"exit status {code}; stderr: {tail[-1000:]}"
    if "MemoryError" in tail or "out of memory" in tail or "malloc" in tail:
        return errors.memory(page, memory_limit_mb, detail)
    return errors.crashed(page, detail)


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
    child = _Child([*cmd, "validate", str(pdf), opts], memory_limit_mb)
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
                child.kill()
                raise errors.open_timeout(timeout)
            sel.select(min(remaining, 0.5))
            lines, eof = child.read_lines()
            if lines:
                result = lines[0]
                child.reap()
                child.stderr_tail()
                if result.get("ok"):
                    return result
                if result.get("code") == "memory":
                    raise errors.memory(None, memory_limit_mb, result.get("detail", ""))
                raise IngestError(
                    result["code"], result["message"], detail=result.get("detail", "")
                )
            if eof:
                raise _failure(child, None, memory_limit_mb)
    finally:
        sel.close()
        if child.proc.poll() is None:
            child.kill()


def _render_all(
    cmd: Sequence[str],
    pdf: Path,
    out_dir: Path,
    page_count: int,
    options: dict[str, Any],
    *,
    workers: int,
    page_timeout: float,
    deadline: float,
    total_timeout: float,
    memory_limit_mb: int,
    retries: int,
    on_progress: Callable[[int, int], None] | None,
    started: Sequence[_Child] = (),
    on_tick: Callable[[], None] | None = None,
) -> None:
    """Feed pages to `workers` children until all are done; retry pages whose child died.

    `started` are children launched earlier with the same arguments (see run_ingest)."""
    args = render_args(cmd, pdf, out_dir, options)
    pending = deque(range(1, page_count + 1))
    attempts: dict[int, int] = {}
    done = 0
    sel = selectors.DefaultSelector()
    children: list[_Child] = []

    def start(child: _Child | None = None) -> None:
        child = child or _Child(args, memory_limit_mb)
        children.append(child)
        sel.register(child.proc.stdout, selectors.EVENT_READ, child)
        feed(child)

    def feed(child: _Child) -> None:
        if pending:
            with contextlib.suppress(
                BrokenPipeError
            ):  # the child died; its EOF is handled by the main loop
                child.send(pending.popleft())
        else:
            child.finish_input()

    def drop(child: _Child) -> None:
        sel.unregister(child.proc.stdout)
        children.remove(child)

    def retry_or_raise(child: _Child, exc: IngestError) -> None:
        page = child.page
        drop(child)
        if page is None:
            raise exc
        attempts[page] = attempts.get(page, 0) + 1
        if attempts[page] > retries:
            raise exc
        pending.appendleft(page)
        start()

    try:
        early = list(started)
        for _ in range(max(1, min(workers, page_count))):
            start(early.pop(0) if early else None)
        _stop(early)  # more children than pages
        while done < page_count:
            if on_tick is not None:
                on_tick()
            now = time.monotonic()
            if now > deadline:
                raise errors.total_timeout(total_timeout)
            for child in list(children):
                if child.page is not None and now - child.since > page_timeout:
                    page = child.page
                    child.kill()
                    child.stderr_tail()
                    retry_or_raise(child, errors.page_timeout(page, page_timeout))
            for key, _ in sel.select(timeout=0.2):
                child = key.data
                lines, eof = child.read_lines()
                for msg in lines:
                    if msg.get("done"):
                        done += 1
                        if on_progress is not None:
                            on_progress(done, page_count)
                        feed(child)
                    elif "error" in msg:
                        page = int(msg["page"])
                        child.page = page
                        detail = str(msg.get("error", ""))
                        if msg.get("code") == "memory":
                            exc = errors.memory(page, memory_limit_mb, detail)
                        else:
                            exc = errors.page_failed(page, detail)
                        child.kill()
                        child.stderr_tail()
                        retry_or_raise(child, exc)
                        eof = False
                        break
                else:
                    if eof:
                        if child.page is None and not pending:
                            child.reap()
                            child.stderr_tail()
                            drop(child)
                        else:
                            retry_or_raise(child, _failure(child, child.page, memory_limit_mb))
            if not children and done < page_count:
                start()  # children exited cleanly while pages remain (should not happen)
    finally:
        for child in list(children):
            if child.proc.poll() is None:
                child.kill()
            else:
                child.reap()
            if not child.stderr.closed:
                child.stderr.close()
        sel.close()


def _stop(children: Sequence[_Child]) -> None:
    """Kill children that are still running and release their stderr files."""
    for child in children:
        if child.proc.poll() is None:
            child.kill()
        else:
            child.reap()
        if not child.stderr.closed:
            child.stderr.close()


def render_args(
    cmd: Sequence[str], pdf: Path, out_dir: Path, options: Mapping[str, Any]
) -> list[str]:
    return [*cmd, "render", str(pdf), str(out_dir), json.dumps(options)]


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
    args = render_args(cmd, pdf_path, out_dir, options)
    early = [_Child(args, memory_limit_mb) for _ in range(max(1, workers))]
    try:
        info = _validate(
            cmd, pdf_path, max_pages, min(page_timeout, total_timeout), memory_limit_mb, on_tick
        )
        page_count = int(info["page_count"])
        outline = clean_outline(info.get("toc", []), page_count)
        if on_progress is not None:
            on_progress(0, page_count)
        _render_all(
            cmd,
            pdf_path,
            out_dir,
            page_count,
            options,
            workers=workers,
            page_timeout=page_timeout,
            deadline=deadline,
            total_timeout=total_timeout,
            memory_limit_mb=memory_limit_mb,
            retries=retries,
            on_progress=on_progress,
            started=early,
            on_tick=on_tick,
        )
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
        _stop(early)  # before the cleanup: a live child could recreate `.pages/`
        _cleanup(out_dir, specs)
        raise
    finally:
        _stop(early)
