"""gunicorn settings for `make run` and production (override with GUNICORN_CMD_ARGS)."""

import os
from pathlib import Path

bind = os.environ.get("MAGAZINE_BIND", "127.0.0.1:8000")
# gunicorn >= 25.1 opens a control socket (gunicornc: worker counts, reload, shutdown) at
# one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl) unless told otherwise:
# two instances would take over each other's socket. Each instance keeps its own in its
# instance folder (the app's MAGAZINE_INSTANCE_PATH, by default ./instance), or none when
# that path is too long for a Unix socket (108 bytes on Linux).
_instance = Path(
    os.environ.get("MAGAZINE_INSTANCE_PATH") or Path(__file__).resolve().parent / "instance"
).resolve()
control_socket = str(_instance / "gunicorn.ctl")
control_socket_disable = len(os.fsencode(control_socket)) >= 104
# Threads serve page images while a request waits on the database; 2 cores here.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("MAGAZINE_THREADS", "4"))
# Uploads of up to MAX_UPLOAD_BYTES stream through a worker thread: allow slow links.
timeout = 300
graceful_timeout = 10
# Uploads of tens of MB: stream to disk, do not buffer in memory (see staff upload).
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
