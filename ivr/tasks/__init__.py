"""Background work on a real queue: Huey, on a SQLite file by default (no server to run) and on
Redis when REDIS_URL is set. Webhooks and pages enqueue; a worker (`flask --app ivr worker`)
runs each task inside the app, with its own database session.

Every job is a plain function job(session, *args) in ivr.tasks.jobs, registered here under a
fixed name. Each run is logged when it starts, finishes or fails, and each job is idempotent:
a task run twice (a retry, a worker restarted mid-task) does its work once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer

from ivr.config import Settings
from ivr.db import session_scope

log = logging.getLogger(__name__)

HUEY_NAME = "ivr"
Job = Callable[..., None]


def make_huey(settings: Settings) -> Huey:
    """Redis when configured (several machines share one queue), else a SQLite file; eager
    (TASKS_EAGER) runs each task at once in the caller, for tests."""
    eager = settings.tasks_eager
    if settings.redis_url:
        return RedisHuey(HUEY_NAME, url=settings.redis_url, results=False, immediate=eager)
    Path(settings.tasks_db).parent.mkdir(parents=True, exist_ok=True)  # a fresh install's
    return SqliteHuey(HUEY_NAME, filename=settings.tasks_db, results=False, immediate=eager)


def init_app(app: Flask, settings: Settings) -> None:
    from ivr.tasks import jobs

    huey = make_huey(settings)
    tasks: dict[str, TaskWrapper] = {}
    for name, (job, retries) in jobs.JOBS.items():
        tasks[name] = huey.task(name=name, retries=retries, retry_delay=30)(in_app(app, name, job))
    # Every minute, as the consumer's scheduler checks its periodic tasks once a minute.
    for name, job in jobs.PERIODIC.items():
        tasks[name] = huey.periodic_task(crontab(minute="*"), name=name)(in_app(app, name, job))
    app.extensions["huey"] = huey
    app.extensions["tasks"] = tasks


def in_app(app: Flask, name: str, job: Job) -> Callable[..., None]:
    """The job as the worker runs it: in an app context, with a session of its own, logged."""

    def run(*args: Any) -> None:
        with app.app_context():
            log.info("task %s%s started", name, _shown(args))
            try:
                with session_scope(app) as session:
                    job(session, *args)
            except Exception:
                log.exception("task %s%s failed", name, _shown(args))
                raise
            log.info("task %s%s finished", name, _shown(args))

    run.__name__ = name
    run.__doc__ = job.__doc__
    return run


def _shown(args: tuple[Any, ...]) -> str:
    return "(" + ", ".join(repr(arg) for arg in args) + ")"


def enqueue(name: str, *args: Any) -> None:
    """Queue the named task (run it now, when eager). Arguments are ids, never rows."""
    current_app.extensions["tasks"][name](*args)
    log.info("task %s%s queued", name, _shown(args))


def run_now(app: Flask, name: str, *args: Any) -> None:
    """Run a job here and now, outside the queue (the CLI, tests)."""
    from ivr.tasks import jobs

    job = jobs.JOBS[name][0] if name in jobs.JOBS else jobs.PERIODIC[name]
    in_app(app, name, job)(*args)


def huey_of(app: Flask) -> Huey:
    return app.extensions["huey"]


class InProcessConsumer(Consumer):
    """Huey's consumer started from code that owns the process's signals (a test, an
    embedding): the same scheduler and workers, without taking over SIGINT and SIGTERM."""

    def _set_signal_handlers(self) -> None:
        pass


def consumer(app: Flask, *, workers: int = 2, periodic: bool = True) -> Consumer:
    """Huey's consumer for the app's queue, with thread workers (the tasks wait on the
    network, not on the CPU)."""
    return Consumer(huey_of(app), workers=workers, periodic=periodic, worker_type="thread")


__all__ = ["consumer", "enqueue", "init_app", "make_huey", "run_now"]
