"""Test double for the ingest child: the real child, sabotaged on one page.

Usage (as `child_command`): [sys.executable, __file__, ACTION, PAGE, (MARKER)] where ACTION is
`hang` (sleep forever), `kill` (SIGKILL itself) or `kill-once` (SIGKILL only if MARKER does not
exist yet, creating it: the retry then succeeds). The supervisor appends the child arguments.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from magazine_app.ingest import child


def main() -> int:
    action, page = sys.argv[1], int(sys.argv[2])
    marker = Path(sys.argv[3]) if action == "kill-once" else None
    rest = sys.argv[4:] if marker else sys.argv[3:]

    def sabotage(number: int) -> None:
        if number != page:
            return
        if action == "hang":
            time.sleep(3600)
        elif action == "kill" or (marker is not None and not marker.exists()):
            if marker is not None:
                marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)

    return child.main(rest, before_page=sabotage)


if __name__ == "__main__":
    sys.exit(main())
