"""gunicorn settings for `make run` and production (override with GUNICORN_CMD_ARGS)."""

import os

bind = os.environ.get("MAGAZINE_BIND", "127.0.0.1:8000")
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
