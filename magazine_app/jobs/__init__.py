"""Background jobs: the queue binds the job bodies, supervises them and runs the consumer.

    queue.py    the Huey instance (SqliteHuey by default, RedisHuey with REDIS_URL), enqueue
    ingest.py   the ingestion job's body (PDF work in child processes, then the result)
    leases.py   leases on issues being ingested, recovery of dead jobs, the leftover sweep
    mail.py     mail through the queue (queued after commit, sent with retries)

The Huey instance is built from the app's configuration in `init_app` (never at import
time), and each task runs inside that app's context. The job bodies are the edge that
commits, as views and CLI commands are."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from huey import crontab
from huey.consumer import Consumer, ProcessEnvironment

from magazine_app.core.extensions import db
from magazine_app.core.lifeline import die_with_parent
from magazine_app.jobs.ingest import run_ingest_job
from magazine_app.jobs.leases import next_lease_expiry, recover_stale_jobs
from magazine_app.jobs.leases import sweep_leftovers as sweep
from magazine_app.jobs.mail import send_mail_task
from magazine_app.jobs.queue import enqueue, make_huey
from magazine_app.models import utcnow


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
        # A task function may ask for retries: `fn.task_options = {"retries": ...}`.
        options = {"retries": 0, **getattr(fn, "task_options", {})}
        tasks[name] = huey.task(name=name, **options)(in_app(fn))
    # Job recovery and the leftover sweep: callable tasks, and periodic ones (by crontab).
    for name, (schedule, fn) in _maintenance_functions().items():
        tasks[name] = huey.task(name=name, retries=0)(in_app(fn))
        if schedule is not None:
            huey.periodic_task(schedule, name=f"{name}_periodic")(in_app(fn))

    @huey.on_startup()
    def _fresh_connections() -> None:
        # Process workers are forked from the consumer: never share its DB connections.
        with app.app_context():
            db.engine.dispose(close=False)

    app.extensions["huey"] = huey
    app.extensions["magazine_tasks"] = tasks


def _task_functions() -> dict[str, Callable[..., Any]]:
    """Task name -> plain function run in an app context."""

    def ingest_issue(issue_id: int) -> bool:
        return run_ingest_job(issue_id).ok

    return {"ingest_issue": ingest_issue, "send_mail": send_mail_task}


def _maintenance_functions() -> dict[str, tuple[Any, Callable[..., Any]]]:
    """Task name -> (crontab or None, function): see recover_jobs and sweep_leftovers."""
    return {
        "recover_jobs": (crontab(minute="*"), recover_jobs),
        "sweep_leftovers": (crontab(minute="17"), sweep_leftovers),
    }


def recover_jobs() -> None:
    """Requeue the issues whose job lease expired (leases.recover_stale_jobs): at
    consumer start-up, every minute, and once when the leases seen alive at start-up
    expire (a consumer killed with `kill -9` leaves its lease behind; its jobs are
    requeued as soon as that lease ends, not a minute later). Returns None, like
    sweep_leftovers: Huey would keep a result nobody reads."""
    requeued, failed = recover_stale_jobs()
    for issue_id in requeued:
        enqueue("ingest_issue", issue_id)
    if requeued or failed:
        current_app.logger.warning(
            "Recovered interrupted jobs: requeued %s, failed %s", requeued, failed
        )


def sweep_leftovers() -> None:
    """Remove staging folders and upload files that no live job or upload owns."""
    sweep()


def run_consumer(app: Flask, workers: int) -> None:
    """Run the consumer in the foreground with process workers (Ctrl-C stops it).

    First, jobs whose lease expired are queued again or failed, and leftovers are swept.
    The workers (and the scheduler) die with the consumer, even on `kill -9` (lifeline.py);
    the PDF children die with their worker in turn."""

    with app.app_context():
        recover_jobs()
        sweep_leftovers()
        expiry = next_lease_expiry()
        if expiry is not None:
            # A live lease: a job of another consumer, or of the one this consumer replaces
            # (killed): check again once it expired.
            delay = (expiry - utcnow() + timedelta(seconds=0.5)).total_seconds()
            app.extensions["magazine_tasks"]["recover_jobs"].schedule(delay=max(0.0, delay))
        db.session.remove()
        db.engine.dispose()
    consumer = _MortalConsumer(app.extensions["huey"], workers=workers, worker_type="process")
    consumer.run()


class _MortalProcessEnvironment(ProcessEnvironment):
    """Process workers and the scheduler die with the consumer that forked them."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.parent_pid = os.getpid()

    def init_child(self, process: Any) -> None:
        die_with_parent(self.parent_pid)
        super().init_child(process)


class _MortalConsumer(Consumer):
    def get_environment(self, worker_type: str) -> Any:
        if worker_type == "process":
            return _MortalProcessEnvironment(self._graceful_sig, self._interrupt_sig)
        return super().get_environment(worker_type)
