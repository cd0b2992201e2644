"""When a post is at risk: due soon and not approved for its current version; or due on
a channel that cannot take it (disconnected, or its access ends before the post's time).

Rules on a post's own columns, so that the calendar (in Python, on rows it already
has), the "At risk" queue (in SQL, ``where``) and the beat run that tells people
(``approvals.reminders``) cannot disagree.

A post is at risk from ``workspace.at_risk_hours`` before its time until a day after
it: past that, it did not go out and the publishing engine's own states tell the story.
A post on a channel that cannot take it is at risk as soon as that is known, however far
its time (``connection_risk``, ``connection_where``): someone must reconnect the channel
before then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q

from planner.models import Variant
from planner.workflow import OPEN_STATES

DISCONNECTED = "disconnected"
EXPIRES = "expires"

GRACE = timedelta(days=1)
"""How long after its time a post still counts as at risk (not yet "just late")."""


def assess(
    state: str,
    version: int,
    approved_version: int | None,
    scheduled_at: datetime | None,
    now: datetime,
    hours: int,
) -> tuple[bool, datetime | None]:
    """(at risk now?, the next moment that answer changes by time passing alone: when
    the post enters the window or leaves it a day after its time; None: never)."""
    if scheduled_at is None or state not in OPEN_STATES or approved_version == version:
        return False, None
    enters = scheduled_at - timedelta(hours=hours)
    if now < enters:
        return False, enters
    leaves = scheduled_at + GRACE
    if now <= leaves:
        return True, leaves + timedelta(microseconds=1)
    return False, None


def is_at_risk(
    *,
    state: str,
    version: int,
    approved_version: int | None,
    scheduled_at: datetime | None,
    now: datetime,
    hours: int,
) -> bool:
    return assess(state, version, approved_version, scheduled_at, now, hours)[0]


def where(now: datetime, hours: int) -> Q:
    """``is_at_risk`` as a filter on posts."""
    return Q(
        state__in=sorted(OPEN_STATES),
        scheduled_at__gte=now - GRACE,
        scheduled_at__lte=now + timedelta(hours=hours),
    ) & (Q(approved_version__isnull=True) | ~Q(approved_version=F("version")))


def connection_risk(
    disconnected_at: datetime | None, expires_at: datetime | None, due: datetime | None
) -> str:
    """Why a post due at ``due`` cannot go out on a channel: DISCONNECTED, EXPIRES (its
    access ends before then), or '' (nothing known against it)."""
    if disconnected_at is not None:
        return DISCONNECTED
    if expires_at is not None and due is not None and expires_at <= due:
        return EXPIRES
    return ""


def connection_where(now: datetime) -> Q:
    """Posts still to go out (or late by less than ``GRACE``) with a channel that
    ``connection_risk`` says cannot take them."""
    blocked = Variant.objects.filter(post=OuterRef("pk")).filter(
        Q(channel__disconnected_at__isnull=False)
        | Q(channel__access_expires_at__lte=OuterRef("scheduled_at"))
    )
    return Q(state__in=sorted(OPEN_STATES), scheduled_at__gte=now - GRACE) & Q(Exists(blocked))
