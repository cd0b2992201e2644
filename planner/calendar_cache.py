"""A version number per workspace, which the calendar's kept answers are filed under.

The rule: every write the calendar shows goes through a service that records an audit
event; ``audit.record`` bumps the version (after commit). A kept answer is filed under
the version read before it was computed, so once a write is committed and the version
bumped, nobody reads the older answers again; they expire on their own.

Writes that change what the calendar shows without an audit event bump by hand:
``accounts.services.user_update_preferences`` and the user admin (a person's name is
shown as assignee: every workspace they belong to), and ``seed_demo`` (bulk writes).
Writes that bypass the services (a shell, a queryset update, a deletion by hand) show
once the kept answers expire (``calendar.CACHE_SECONDS``).

The counter lives in the default cache (Redis) without expiry. A missing one (Redis
restarted, the key evicted) starts again at a random number, so that answers filed under
the old counter can never match again. Without Redis the calendar answers uncached.
"""

from __future__ import annotations

import contextlib
import secrets

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError


def key(workspace_id: int) -> str:
    """The cache key of the workspace's counter (read along with an answer in one trip)."""
    return f"calendar-version:{workspace_id}"


def _fresh() -> int:
    # An integer, so that INCR works on it; 62 random bits, so never met twice.
    return secrets.randbits(62)


def version(workspace_id: int) -> str:
    """The workspace's current version (raises RedisError if Redis is down)."""
    name = key(workspace_id)
    value = cache.get(name)
    if value is None:
        fresh = _fresh()
        # SET NX: of two readers starting a missing counter, both keep the first one.
        value = fresh if cache.add(name, fresh, timeout=None) else cache.get(name)
    return str(value)


def bump(workspace_id: int) -> None:
    """Move the workspace's version on; a Redis outage is only logged by the cache."""
    name = key(workspace_id)
    with contextlib.suppress(RedisError):
        try:
            cache.incr(name)
        except ValueError:  # no counter: any new value differs from all the old ones
            cache.set(name, _fresh(), timeout=None)


def forget(workspace_id: int) -> None:
    """Drop the counter, so that the next reader starts a new random one: for a database
    built afresh (ids repeat) under a Redis that outlived the old one (tests, benches)."""
    with contextlib.suppress(RedisError):
        cache.delete(key(workspace_id))


def bump_on_commit(workspace_id: int) -> None:
    """Bump once the current transaction commits (at once outside of one)."""
    transaction.on_commit(lambda: bump(workspace_id))


def bump_workspaces_of(user) -> None:
    """After a change to a person shown in the calendar (their name, as an assignee)."""
    for workspace_id in user.memberships.values_list("workspace_id", flat=True):
        bump_on_commit(workspace_id)
