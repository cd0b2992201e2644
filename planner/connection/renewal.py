"""Keeping connections alive: renew tokens before they end, and tell admins in time
when a connection will end anyway.

Beat runs ``connections_keep_alive`` hourly (CONNECTIONS_TICK_SECONDS). Per network
(the adapters say what applies, planner/channels/):

- X: rotating refresh tokens, renewed on use (two-hour access tokens): nothing to do
  ahead; no known end.
- LinkedIn with a refresh token (approved partners): the access token (60 days) is
  refreshed when fewer than 30 days are left; the refresh token's own end (about a
  year, ``refresh_token_expires_in``) is the channel's end. Without one, the access
  token's end is, and only a reconnect renews it.
- Facebook and Instagram (through Facebook Login): Page tokens from a long-lived user
  token do not expire. Nothing to renew.
- Threads: the long-lived token (60 days) is refreshed (``th_refresh_token``) when
  fewer than 30 days are left and it is at least a day old.

A renewal the network refuses for good marks the channel disconnected
(``disconnection``). Admins are told a week and a day before a channel's access ends
(once per threshold and end date: ``ExpiryNotice``); a renewed or reconnected channel
has a new end, and the notices start again from it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from planner.channels import base
from planner.channels.registry import adapter_for
from planner.connection.credentials import channel_base_session
from planner.connection.disconnection import admins, channel_mark_disconnected
from planner.models import Channel, ChannelKind, ExpiryNotice, NotificationKind
from planner.notifications.notify import notify

logger = logging.getLogger(__name__)

NOTICE_DAYS = (7, 1)  # admins are told this many days before a channel's access ends


@dataclass
class KeptAlive:
    renewed: int = 0
    failed: int = 0
    disconnected: int = 0
    notices: int = 0


def _renewable_kinds() -> list[str]:
    return [
        kind
        for kind in ChannelKind.values
        if type(adapter_for(kind)).renew is not base.Adapter.renew
    ]


def live_channels():
    """Channels Maillon still uses: active and not disconnected."""
    return Channel.objects.filter(is_active=True, disconnected_at__isnull=True)


def connections_renew_due(*, now: datetime | None = None) -> KeptAlive:
    """Renew every channel whose token ends soon and can be renewed."""
    now = now or timezone.now()
    result = KeptAlive()
    channels = live_channels().filter(kind__in=_renewable_kinds()).order_by("pk")
    with base.new_http_client() as http:
        for channel in channels:
            adapter = adapter_for(channel.kind)
            if not adapter.needs_renewal(channel.credentials or {}, now.timestamp()):
                continue
            try:
                failed = adapter.renew(channel_base_session(channel, http))
            except Exception:  # one network's bug must not stop the others' renewals
                logger.exception("Renewing channel %s crashed", channel.pk)
                result.failed += 1
                continue
            if failed is None:
                result.renewed += 1
            elif isinstance(failed, base.Permanent) and failed.reauth:
                channel_mark_disconnected(channel_id=channel.pk, reason=failed.reason)
                result.disconnected += 1
            else:  # tried again at the next run; the notices warn if it keeps failing
                logger.warning("Could not renew channel %s: %s", channel.pk, failed.reason)
                result.failed += 1
    return result


def expiry_notices_send(*, now: datetime | None = None) -> int:
    """Tell admins of channels whose access ends within a week (then a day); once each."""
    now = now or timezone.now()
    horizon = now + timedelta(days=max(NOTICE_DAYS))
    sent = 0
    channels = (
        live_channels()
        .filter(access_expires_at__gt=now, access_expires_at__lte=horizon)
        .select_related("workspace")
    )
    for channel in channels:
        left = channel.access_expires_at - now
        due = [days for days in NOTICE_DAYS if left <= timedelta(days=days)]
        new = [
            days
            for days in due
            if ExpiryNotice.objects.get_or_create(
                channel=channel, expires_at=channel.access_expires_at, days_before=days
            )[1]
        ]
        if not new:
            continue
        # Passing both thresholds at once (a channel connected with 12 hours left)
        # makes one notice, not two.
        notify(
            workspace=channel.workspace,
            kind=NotificationKind.CHANNEL_EXPIRING,
            recipients=admins(channel.workspace_id),
            data={
                "channel": channel.name,
                "channel_id": channel.pk,
                "expires": f"{channel.access_expires_at:%Y-%m-%d %H:%M} UTC",
                "days_before": min(new),
            },
        )
        sent += 1
    return sent


def connections_keep_alive(*, now: datetime | None = None) -> dict[str, int]:
    """Beat's run: renewals first (a renewed channel needs no notice), then notices."""
    result = connections_renew_due(now=now)
    result.notices = expiry_notices_send(now=now)
    return asdict(result)
