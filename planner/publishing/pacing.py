"""Each account's posting pace: its network's published limit, and what the network said.

A channel's budget is a number of posts per window (the network's ``post_budget``, or an
admin's own numbers on the channel). Every sender reserves a slot before it sends, in one
sliding-window log per channel in Redis, so all workers share it and no window ever
holds more sends than the budget. A network that answers 429, or says in its rate-limit
headers that nothing is left, blocks the channel until the time it gave, for every
worker (Redis) and for the claims (``Channel.limited_until``, which the database reads):
one account's limit never delays another's posts.

Time in the scripts is Redis's own clock, the same for every worker.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache

import httpx
import redis
from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from planner.channels import base
from planner.channels.registry import adapter_for
from planner.models import Channel

logger = logging.getLogger(__name__)

# Seconds a sender waits when Redis cannot be asked: never send past a budget unseen.
UNREACHABLE_WAIT = 5.0

# KEYS: the channel's log, its block. ARGV: budget (0: none), window ms, member.
# Returns 0 when a slot is reserved (or no budget applies), else the ms to wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return blocked - now end
local budget, window = tonumber(ARGV[1]), tonumber(ARGV[2])
if budget <= 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < budget then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS: the channel's block. ARGV: ms to wait. Keeps the later of two blocks.
_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > blocked then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]))
end
return until_ms
"""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _keys(channel: Channel) -> tuple[str, str]:
    # The channel's creation time too: a test database that gives an id again, or a
    # channel deleted and made anew, never inherits another's log.
    stamp = int(channel.created_at.timestamp() * 1_000_000) if channel.created_at else 0
    prefix = f"maillon:pace:{channel.pk}:{stamp}"
    return f"{prefix}:log", f"{prefix}:block"


def budget_for(channel: Channel) -> base.PostBudget | None:
    """The admin's numbers for this account when both are set, else the network's."""
    if channel.post_limit and channel.post_limit_window_minutes:
        return base.PostBudget(channel.post_limit, channel.post_limit_window_minutes * 60)
    return adapter_for(channel.kind).post_budget


def reserve(channel: Channel, member: str) -> float:
    """Take one of the channel's slots for a send; 0.0 when taken, else the seconds until
    the next one frees (the budget is used up, or the network asked to wait)."""
    budget = budget_for(channel)
    log, block = _keys(channel)
    try:
        waited = _client(settings.REDIS_URL).eval(
            _RESERVE,
            2,
            log,
            block,
            budget.posts if budget else 0,
            budget.seconds * 1000 if budget else 0,
            member,
        )
    except redis.RedisError:
        logger.warning("Could not reach Redis for channel %s's pace", channel.pk, exc_info=True)
        return UNREACHABLE_WAIT
    return int(waited) / 1000


def channel_wait(channel: Channel, seconds: float, reason: str = "") -> None:
    """No send to this channel for ``seconds``, by any worker; the claims skip it until
    then and its posts say why they wait."""
    seconds = max(0.001, seconds)
    block = _keys(channel)[1]
    try:
        _client(settings.REDIS_URL).eval(_BLOCK, 1, block, int(seconds * 1000))
    except redis.RedisError:
        logger.warning("Could not block channel %s in Redis", channel.pk, exc_info=True)
    until = timezone.now() + timedelta(seconds=seconds)
    # The later of two limits wins; a row lock is never waited for long (an UPDATE).
    Channel.objects.filter(pk=channel.pk).filter(
        Q(limited_until__isnull=True) | Q(limited_until__lt=until)
    ).update(limited_until=until, limited_reason=reason[:300])
    logger.info(
        "Channel %s waits %.1f s for its posting limit%s", channel.pk, seconds, _said(reason)
    )


def _said(reason: str) -> str:
    return f" ({reason})" if reason else ""


def sendable() -> Q:
    """Publications whose channel is not waiting for its limit, by the database's clock."""
    return Q(channel__limited_until__isnull=True) | Q(channel__limited_until__lte=Now())


class Observer:
    """Reads every answer of one send for rate-limit signals; ``wait`` is the longest."""

    def __init__(self) -> None:
        self.wait: float | None = None
        self.reason = ""

    def __call__(self, response: httpx.Response) -> None:
        wait = base.rate_limit_wait(response)
        if wait is not None and (self.wait is None or wait > self.wait):
            self.wait = wait
            self.reason = (
                f"{response.status_code} from {response.request.url.host}"
                if response.status_code == 429
                else f"no requests left at {response.request.url.host}"
            )
