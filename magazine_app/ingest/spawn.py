"""The supervisor's side of one PyMuPDF child process: start it fenced in, read its answers,
end it.

Why child processes started with Popen (not threads, not multiprocessing): MuPDF may crash or
hang on hostile input and PyMuPDF is not thread-safe; the caller may be a daemonic Huey worker
(which may not fork multiprocessing children). Each child runs in its own process group under
`RLIMIT_AS`, so a hang or crash is contained and killed with SIGKILL. A child also dies with
its parent (lifeline.py: the child asks the kernel for SIGKILL when the thread that started it
exits), so a `kill -9` of the worker never leaves a child rendering for nobody. That thread
is the one calling run_ingest: call it from a thread that outlives the job.

The protocol (see child.py) is one JSON object per line on the child's stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from magazine_app.core.lifeline import PARENT_ENV
from magazine_app.ingest import errors
from magazine_app.ingest.errors import IngestError

STDERR_TAIL = 4000
# Words in a dead child's stderr that mean it ran out of memory (Python's MemoryError,
# MuPDF's allocator) rather than crashed: the journalist is then told about the memory limit.
MEMORY_MARKERS = ("MemoryError", "out of memory", "malloc")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class Child:
    """One child process: stdout read without blocking, stderr spooled to a temp file."""

    def __init__(self, command: Sequence[str], memory_limit_mb: int) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
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
        self.page: int | None = None  # the page in flight, None once input is finished
        self.since = time.monotonic()

    def send(self, page: int) -> None:
        self.page = page
        self.since = time.monotonic()
        self.proc.stdin.write(f"{page}\n".encode())

    def finish_input(self) -> None:
        self.page = None
        if not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()

    def read_messages(self) -> tuple[list[dict[str, Any]], bool]:
        """The JSON objects written since the last call, and whether stdout reached EOF.

        Any other line (not JSON, or JSON but not an object) answers nothing: it is logged
        and skipped, so a child that writes garbage fails by what it does next (it dies or
        stalls) and a child that goes on answering properly is not punished for it."""
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
        messages = []
        for raw in lines:
            try:
                msg = json.loads(raw)
            except ValueError:
                msg = None
            if isinstance(msg, dict):
                messages.append(msg)
            else:
                print(f"ingest child wrote a non-protocol line: {raw[:200]!r}", file=sys.stderr)
        return messages, eof

    def kill(self) -> None:
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

    def stop(self) -> None:
        """Kill the child if it still runs, reap it, release its stderr file (idempotent)."""
        if self.proc.poll() is None:
            self.kill()
        else:
            self.reap()
        self.stderr.close()


def failure(child: Child, page: int | None, memory_limit_mb: int) -> IngestError:
    """Classify a child that died without reporting: memory exhaustion or crash."""
    code = child.reap()
    tail = child.stderr_tail()
    detail = f"exit status {code}; stderr: {tail[-1000:]}"
    if any(marker in tail for marker in MEMORY_MARKERS):
        return errors.memory(page, memory_limit_mb, detail)
    return errors.crashed(page, detail)
