"""The job queue (Huey): SqliteHuey in the instance folder by default, RedisHuey when
REDIS_URL is set. The same task code runs both ways.

The Huey instance is built from the app's configuration in `init_app` (never at import
time), and each task runs inside that app's context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey

from .extensions import db


def make_huey(config: dict[str, Any]) -> Huey:
    immediate = bool(config.get("HUEY_IMMEDIATE"))
    if config.get("REDIS_URL"):
        return RedisHuey("magazine", url=config["REDIS_URL"], immediate=immediate)
    return SqliteHuey("magazine", filename=config["HUEY_SQLITE_PATH"], immediate=immediate)


def init_app(app: Flask) -> None:
    huey = make_huey(app.config)
    tasks: dict[str, Callable[..., Any]] = {}

    def in_app(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return fn(*args, **kwargs)
                finally:
                    db.session.remove()

        run.__name__ = fn.__name__
        return run

    for name, fn in _task_functions().items():
        tasks[name] = huey.task(name=name, retries=0)(in_app(fn))

    @huey.on_startup()
    def _fresh_connections() -> None:
        # Process workers are forked from the consumer: never share its DB connections.
        with app.app_context():
            db.engine.dispose(close=False)

    app.extensions["huey"] = huey
    app.extensions["magazine_tasks"] = tasks


def _task_functions() -> dict[str, Callable[..., Any]]:
    """Task name -> plain function run in an app context."""
    from .processing import run_ingest_job

    def ingest_issue(issue_id: int) -> bool:
        return run_ingest_job(issue_id).ok

    return {"ingest_issue": ingest_issue}


def huey() -> Huey:
    return current_app.extensions["huey"]


def enqueue(name: str, *args: Any) -> Any:
    return current_app.extensions["magazine_tasks"][name](*args)


def run_consumer(app: Flask, workers: int) -> None:
    """Run the consumer in the foreground with process workers (Ctrl-C stops it).

    First, jobs that a killed consumer left "processing" are queued again or failed."""
    from huey.consumer import Consumer

    from .processing import recover_stale_jobs

    with app.app_context():
        requeued, failed = recover_stale_jobs()
        for issue_id in requeued:
            app.extensions["magazine_tasks"]["ingest_issue"](issue_id)
        if requeued or failed:
            app.logger.warning(
                "Recovered interrupted jobs: requeued %s, failed %s", requeued, failed
            )
        db.session.remove()
        db.engine.dispose()
    consumer = Consumer(app.extensions["huey"], workers=workers, worker_type="process")
    consumer.run()
