"""What the pages say about a channel's connection: disconnected (and why), or when its
access ends and whether Maillon renews it by itself; and which posts it puts at risk
(due after the access ends, or on a disconnected channel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from planner.approvals.risk import DISCONNECTED, EXPIRES, connection_risk
from planner.channels.registry import adapter_for
from planner.models import Channel, Post

__all__ = [
    "DISCONNECTED",
    "EXPIRES",
    "ConnectionStatus",
    "connection_risk",
    "connection_status",
    "post_connection_risks",
]


@dataclass(frozen=True)
class ConnectionStatus:
    channel: Channel
    disconnected_at: datetime | None
    reason: str
    expires_at: datetime | None
    renews: bool

    @property
    def disconnected(self) -> bool:
        return self.disconnected_at is not None


def connection_status(channel: Channel) -> ConnectionStatus:
    expiry = adapter_for(channel.kind).access_expiry(channel.credentials or {})
    return ConnectionStatus(
        channel=channel,
        disconnected_at=channel.disconnected_at,
        reason=channel.disconnected_reason,
        expires_at=channel.access_expires_at,
        renews=expiry.renews,
    )


def post_connection_risks(post: Post) -> list[tuple[ConnectionStatus, str]]:
    """The post's channels that put it at risk, with why."""
    channels = Channel.objects.filter(pk__in=post.variants.values("channel_id")).order_by("name")
    found = []
    for channel in channels:
        risk = connection_risk(
            channel.disconnected_at, channel.access_expires_at, post.scheduled_at
        )
        if risk:
            found.append((connection_status(channel), risk))
    return found
