"""Liveness marks for the background processes, kept in Redis.

Beat writes a mark on every scheduler tick; a worker writes one each time it
runs the heartbeat task that beat sends. /healthz reads both, so a scheduler
or worker that silently stopped turns the health check red.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings

BEAT_KEY = "maillon:health:beat"
WORKER_KEY = "maillon:health:worker"
DISPATCH_KEY = "maillon:health:dispatch"
_TTL_SECONDS = 24 * 3600


def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def mark(key: str, detail: str = "") -> None:
    client().set(key, f"{time.time():.3f} {detail}".strip(), ex=_TTL_SECONDS)


def last_mark(key: str) -> tuple[float, str] | None:
    raw = client().get(key)
    if raw is None:
        return None
    stamp, _, detail = raw.decode().partition(" ")
    return float(stamp), detail
