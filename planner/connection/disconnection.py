"""A connection the network refused for good: the channel is marked disconnected, once.

The engine calls ``channel_mark_disconnected`` when a send ends in a refusal that a
token refresh could not cure (a 401 after refreshing, ``invalid_grant``, Graph code
190). From then on the engine holds the channel's due posts for a person instead of
sending them (each would fail the same way), and the pages say "disconnected" with a
way to reconnect. Reconnecting (planner/connection, the Connect flow) clears
``disconnected_at``; held posts go out again when a person publishes them now or
reschedules them.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts.models import Membership, Role, User
from planner.models import Channel, NotificationKind
from planner.notifications.notify import notify

REASON_LIMIT = 500


def channel_reconnected_since(*, channel_id: int, connected_at: datetime | None) -> bool:
    """The channel was given new credentials after ``connected_at`` (those a send started
    with) and is connected: a refusal of the old ones says nothing about the new."""
    newer = Channel.objects.filter(pk=channel_id, disconnected_at__isnull=True)
    if connected_at is None:
        return newer.filter(connected_at__isnull=False).exists()
    return newer.filter(connected_at__gt=connected_at).exists()


def channel_mark_disconnected(
    *, channel_id: int, reason: str, connected_at: datetime | None = None
) -> bool:
    """Mark the channel disconnected unless it already is, or (``connected_at`` given)
    unless it was reconnected since; True when this call did (its admins are then told,
    so they hear it once per disconnection, however many posts fail at the same moment)."""
    rows = Channel.objects.filter(pk=channel_id, disconnected_at__isnull=True)
    if connected_at is not None:
        rows = rows.exclude(connected_at__gt=connected_at)
    marked = rows.update(
        disconnected_at=timezone.now(),
        disconnected_reason=reason[:REASON_LIMIT],
        updated_at=timezone.now(),
    )
    if not marked:
        return False
    channel = Channel.objects.select_related("workspace").get(pk=channel_id)
    notify(
        workspace=channel.workspace,
        kind=NotificationKind.CHANNEL_DISCONNECTED,
        recipients=admins(channel.workspace_id),
        data={"channel": channel.name, "channel_id": channel.pk, "reason": reason[:300]},
    )
    return True


def admins(workspace_id: int) -> list[User]:
    ids = Membership.objects.filter(workspace_id=workspace_id, role=Role.ADMIN).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))
