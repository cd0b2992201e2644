"""Real Celery processes for tests: a worker and beat against the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The URL of the database the tests run on (the test database, once created)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **extra}


def start_worker(
    log: Path,
    *,
    concurrency: int = 2,
    name: str = "engine",
    queues: str = "",
    pool: str = "prefork",
    **extra,
) -> subprocess.Popen:
    """A worker of every queue (or of ``queues``, comma-separated)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "calendar_project",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            "-n",
            f"{name}@%h",
            "--without-mingle",
            "--without-gossip",
            *([f"--queues={queues}"] if queues else []),
        ],
        cwd=BASE_DIR,
        env=env(**extra),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


SENDERS = 8


def start_sender(log: Path, *, name: str = "sender", **extra) -> subprocess.Popen:
    """The sender worker as production runs it: threads on the sends' queue."""
    from calendar_project.celery import SEND_QUEUE

    extra.setdefault("PUBLISH_SENDERS", str(SENDERS))
    return start_worker(
        log,
        concurrency=int(extra["PUBLISH_SENDERS"]),
        name=name,
        queues=SEND_QUEUE,
        pool="threads",
        **extra,
    )


def start_ticks(log: Path, *, concurrency: int = 1, name: str = "engine", **extra):
    """The worker of everything but the sends (the ticks, reconciliation, imports...)."""
    from calendar_project.celery import SEND_QUEUE, app

    queues = ",".join(q.name for q in app.conf.task_queues if q.name != SEND_QUEUE)
    return start_worker(log, concurrency=concurrency, name=name, queues=queues, **extra)


def start_beat(log: Path, workdir: Path, **extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "calendar_project", "beat", "--loglevel=INFO"],
        cwd=BASE_DIR,
        env=env(DATA_DIR=str(workdir), **extra),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process and its children (a prefork worker's pool)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def purge_queue() -> None:
    """Empty the broker queue so one test's leftovers cannot reach the next."""
    from calendar_project.celery import app

    app.control.purge()


@contextmanager
def engine(tmp_path: Path, *, concurrency: int = 2, **extra):
    """Beat, the ticks' worker and the sender running together, stopped at the end."""
    purge_queue()
    log = tmp_path / "celery.log"
    worker = start_ticks(log, concurrency=concurrency, **extra)
    sender = start_sender(log, **extra)
    beat = start_beat(log, tmp_path, **extra)
    try:
        yield log
    finally:
        stop(beat)
        stop(sender)
        stop(worker)
        purge_queue()


def wait_for(predicate, *, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
