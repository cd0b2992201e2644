"""Celery tasks: a thin interface that takes ids and calls services."""

import socket

from celery import shared_task

from calendar_project import health


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by beat, run by a worker: proof that the broker-to-worker path works."""
    health.mark(health.WORKER_KEY, socket.gethostname())
