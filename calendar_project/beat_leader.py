"""Exactly one beat at a time, however many are started.

Beat sends the engine's ticks and the reminder and metrics runs. Two beats would send
each twice: harmless for the engine (every claim is a compare-and-set) but wasteful, and
an operator who starts a second beat for failover should not have to think about it.
So each beat asks Redis for a short lease before it sends anything; the holder renews
it on every tick, the others stand by and take over within a lease of the holder's
death. A beat stopped cleanly gives the lease back at once.
"""

from __future__ import annotations

import os
import socket

import redis

LEADER_KEY = "maillon:beat:leader"

# Take the lease if it is free; renew it if it is ours. One round trip, atomic.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
# Give it back only if it is still ours (it may have expired and passed to another).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def hold(client: redis.Redis, ident: str, lease_seconds: float) -> bool:
    """True when ``ident`` holds the lease for the next ``lease_seconds``."""
    return bool(client.eval(_HOLD, 1, LEADER_KEY, ident, int(lease_seconds * 1000)))


def release(client: redis.Redis, ident: str) -> None:
    client.eval(_RELEASE, 1, LEADER_KEY, ident)


def holder(client: redis.Redis) -> str | None:
    raw = client.get(LEADER_KEY)
    return raw.decode() if raw is not None else None
