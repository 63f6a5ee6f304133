"""The queue itself: Huey, SqliteHuey by default (no server), RedisHuey when REDIS_URL is set;
same task code both ways. `enqueue` hands a task to it by name (the task bodies are bound in
jobs.init_app)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from huey import Huey, RedisHuey, SqliteHuey


def make_huey(config: dict[str, Any]) -> Huey:
    immediate = bool(config["HUEY_IMMEDIATE"])
    if config["REDIS_URL"]:
        return RedisHuey("magazine", url=config["REDIS_URL"], immediate=immediate)
    return SqliteHuey("magazine", filename=config["HUEY_SQLITE_PATH"], immediate=immediate)


def enqueue(name: str, *args: Any) -> Any:
    return current_app.extensions["magazine_tasks"][name](*args)
