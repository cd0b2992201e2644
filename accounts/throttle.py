"""Sign-in slow path per account, across client addresses (issue 14).

Axes (accounts.lockout) locks one email *from one address*, so guessing one person's
password from a thousand addresses would get five guesses per address, unbounded
overall. Here failures are counted per account alone: past
``LOGIN_ACCOUNT_FAILURE_LIMIT`` within ``LOGIN_LOCKOUT_MINUTES``, the account lets one
attempt be checked per pause, the pause doubling with each further failure (2 s, 4 s,
… up to ``LOGIN_ACCOUNT_MAX_PAUSE_SECONDS``). An attempt during the pause is refused
before its password is checked (so a right one is not confirmed either) and is no
failure for axes (so strangers cannot turn it into the real person's lockout).

This is deliberately not a lockout: the pause is short, and an address from which the
account completed a sign-in within ``LOGIN_KNOWN_ADDRESS_DAYS`` is not slowed at all
(axes still counts there, per address).

Kept in the Django cache (Redis, shared by every worker) rather than the database:
the counts expire on their own, nothing needs pruning, and a distributed guessing
attack writes to Redis, not to the tables everyone works in. ``incr`` and ``add`` are
atomic there, so concurrent attempts neither lose a failure nor share one check.
Every moment is a value computed from Django's clock, never a Redis TTL (the TTLs only
collect garbage): Redis's own clock would disagree with the tests' travelled time.
Emails and addresses are keyed by an HMAC of the secret key, not in clear.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from calendar_project.client_address import client_address

log = logging.getLogger(__name__)

FIRST_PAUSE_SECONDS = 2
_BUCKET_SECONDS = 60  # failures are counted per minute, the window is whole minutes


def _tolerant(function):
    """A cache that does not answer lets sign-ins through as if this path did not exist
    (logged): axes still limits them per address, and Redis being down must not keep
    everyone out or turn a wrong password into an error page."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except RedisError:
            log.exception("Sign-in slow path skipped: the cache did not answer")
            return None

    return wrapper


def _digest(*parts: str) -> str:
    return salted_hmac("accounts.throttle", "\n".join(parts)).hexdigest()[:32]


def _now() -> float:
    return timezone.now().timestamp()


def _window_minutes() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES


def _bucket_keys(account: str, now: float) -> list[str]:
    current = int(now // _BUCKET_SECONDS)
    return [
        f"login-account:fail:{account}:{b}"
        for b in range(current - _window_minutes() + 1, current + 1)
    ]


def _state_key(account: str) -> str:
    return f"login-account:pause:{account}"


def _known_key(email: str, address: str) -> str:
    return f"login-account:known:{_digest(email, address)}"


def pause_for(failures: int) -> int:
    """The pause after this many recent failures (0 up to the limit)."""
    beyond = failures - settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    if beyond <= 0:
        return 0
    cap = settings.LOGIN_ACCOUNT_MAX_PAUSE_SECONDS
    # 2 ** beyond grows past any cap quickly; stop before the number gets silly.
    return min(cap, FIRST_PAUSE_SECONDS * 2 ** min(beyond - 1, 32))


def recent_failures(email: str) -> int:
    keys = _bucket_keys(_digest(email), _now())
    return sum(int(v) for v in cache.get_many(keys).values())


def _is_known(email: str, address: str | None) -> bool:
    if not address or settings.LOGIN_KNOWN_ADDRESS_DAYS == 0:
        return False
    until = cache.get(_known_key(email, address))
    return until is not None and until > _now()


@_tolerant
def record_failure(email: str) -> None:
    """One more failed sign-in (password or second factor) on this account."""
    account, now = _digest(email), _now()
    keys = _bucket_keys(account, now)
    timeout = (_window_minutes() + 1) * _BUCKET_SECONDS
    cache.add(keys[-1], 0, timeout=timeout)
    cache.incr(keys[-1])
    failures = sum(int(v) for v in cache.get_many(keys).values())
    pause = pause_for(failures)
    if pause:
        cache.set(_state_key(account), {"until": now + pause, "pause": pause}, timeout=timeout)


@_tolerant
def wait_seconds(request: HttpRequest, email: str) -> int | None:
    """How long this attempt must wait; 0 (or None, the cache not answering) when its
    password may be checked now.

    The first attempt after a pause claims the check (atomically, so two at once do not
    both get one) and opens a pause of the same length behind it; a failure then
    doubles it (``record_failure``).
    """
    if _is_known(email, client_address(request)):
        return 0
    account, now = _digest(email), _now()
    state = cache.get(_state_key(account))
    if not state or not pause_for(recent_failures(email)):
        return 0
    if now < state["until"]:
        return max(1, math.ceil(state["until"] - now))
    claim = f"login-account:claim:{account}:{state['until']!r}"
    if not cache.add(claim, 1, timeout=settings.LOGIN_ACCOUNT_MAX_PAUSE_SECONDS + 60):
        return state["pause"]  # another attempt took this check
    cache.set(
        _state_key(account),
        {"until": now + state["pause"], "pause": state["pause"]},
        timeout=(_window_minutes() + 1) * _BUCKET_SECONDS,
    )
    return 0


@_tolerant
def signed_in(request: HttpRequest, email: str) -> None:
    """A complete sign-in: forget the account's failures, and know this address."""
    account, now = _digest(email), _now()
    cache.delete_many([*_bucket_keys(account, now), _state_key(account)])
    days = settings.LOGIN_KNOWN_ADDRESS_DAYS
    address = client_address(request)
    if address and days:
        known = dt.timedelta(days=days).total_seconds()
        cache.set(_known_key(email, address), now + known, timeout=int(known))


@_tolerant
def forget(email: str) -> None:
    """An admin's unlock also ends the account's slow path."""
    account = _digest(email)
    cache.delete_many([*_bucket_keys(account, _now()), _state_key(account)])


def refusal(request: HttpRequest, email: str | None) -> HttpResponse | None:
    """The answer to a sign-in attempt during its account's pause (None: go ahead),
    asked before the password is looked at."""
    seconds = wait_seconds(request, email) if email else 0
    return throttled_response(request, seconds) if seconds else None


def throttled_response(request: HttpRequest, seconds: int) -> HttpResponse:
    message = ngettext(
        "Too many sign-in attempts on this account from many places: try again in "
        "%(seconds)s second.",
        "Too many sign-in attempts on this account from many places: try again in "
        "%(seconds)s seconds.",
        seconds,
    ) % {"seconds": seconds}
    if request.headers.get("HX-Request") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message, "retry_after": seconds}, status=429)
    else:
        response = render(
            request,
            "accounts/account_throttled.html",
            {"message": message, "seconds": seconds},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
