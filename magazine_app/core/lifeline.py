"""Processes that die with their parent, so that a `kill -9` of the job consumer never
leaves orphans running a job (Huey process workers, PDF children).

Linux only: `prctl(PR_SET_PDEATHSIG, SIGKILL)` asks the kernel to kill this process when
the thread that forked it exits. Elsewhere only the parent check below applies."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
PARENT_ENV = "MAGAZINE_PARENT_PID"


def die_with_parent(parent_pid: int | None) -> None:
    """Call first thing in the child. `parent_pid` is the pid of the process that started
    it: if that parent died before prctl ran, the kernel will never send the signal (the
    child was already re-parented), so the child exits at once instead."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc symbol: the parent check still applies
            pass
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def parent_from_env() -> int | None:
    """The parent pid a supervisor passed in the environment (see PARENT_ENV)."""
    value = os.environ.get(PARENT_ENV, "")
    return int(value) if value.isdigit() else None
