"""A person's or a workspace's time zone, read safely: an unknown name falls back to UTC."""

from __future__ import annotations

import zoneinfo


def zone_of(holder) -> zoneinfo.ZoneInfo:
    """The zone named by ``holder.time_zone`` (a user or a workspace), or UTC."""
    try:
        return zoneinfo.ZoneInfo(holder.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
