"""Test double for the ingest child: the real child, sabotaged on one page.

Usage (as `child_command`): [sys.executable, __file__, ACTION, PAGE, (MARKER)] where ACTION is
`hang` (sleep forever), `kill` (SIGKILL itself), `kill-once` (SIGKILL only if MARKER does not
exist yet, creating it: the retry then succeeds), `fail` or `fail-memory` (answer the error
line the real child writes when MuPDF fails on a page, then exit 3), `garbage` (write lines
that are no answer for the page in flight, then render it normally) or `garbage-exit` (the
same lines, then exit 3 without an answer). The supervisor appends the child arguments.

With PAGE_LOG in the environment, every child appends "PID PAGE" to that file for each page
it is given, before any sabotage: the test sees which child got which page.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from magazine_app.ingest import child

PAGE_LOG = "PAGE_LOG"
# Not one of these is an answer about the page in flight: not JSON, JSON but not an object,
# answers about another page or about no page, truncated JSON.
GARBAGE = (
    "this is not JSON",
    "[1, 2, 3]",
    '"done"',
    '{"page": 999, "done": true}',
    '{"done": true}',
    '{"page": 999, "error": "boom", "code": "page_failed"}',
    '{"error": "no page", "code": "memory"}',
    '{"page": "x", "done": tr',
)


def _write_garbage() -> None:
    child._claim_stdout()  # the protocol stream, where the supervisor reads answers
    for line in GARBAGE:
        child._protocol.write(line + "\n")
    child._protocol.flush()


def main() -> int:
    action, page = sys.argv[1], int(sys.argv[2])
    marker = Path(sys.argv[3]) if action == "kill-once" else None
    rest = sys.argv[4:] if marker else sys.argv[3:]
    log = os.environ.get(PAGE_LOG)

    def sabotage(number: int) -> None:
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()} {number}\n")
        if number != page:
            return
        if action == "hang":
            time.sleep(3600)
        elif action in ("fail", "fail-memory"):
            code = "memory" if action == "fail-memory" else "page_failed"
            child._emit({"page": number, "error": "MuPDF error: boom", "code": code})
            os._exit(3)
        elif action.startswith("garbage"):
            _write_garbage()
            if action == "garbage-exit":
                os._exit(3)
        elif action == "kill" or (marker is not None and not marker.exists()):
            if marker is not None:
                marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)

    return child.main(rest, before_page=sabotage)


if __name__ == "__main__":
    sys.exit(main())
