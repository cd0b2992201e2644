"""Best time to post: when, by weekday and hour in the workspace's time zone, a channel's
own past deliveries earned the most engagement (likes + reposts + replies per delivery,
averaged per slot).

Shown only above a minimum sample, so a lucky post or two do not make a rule: a channel
needs ``MIN_POSTS_PER_CHANNEL`` published deliveries with metrics in the look-back
window, and a slot ``MIN_POSTS_PER_SLOT`` of them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from accounts.models import Workspace
from planner.analytics.reports import ENGAGEMENT_METRICS, zone_of
from planner.models import Channel, Publication
from planner.models.publications import PublicationState

MIN_POSTS_PER_CHANNEL = 20
MIN_POSTS_PER_SLOT = 3
LOOKBACK_DAYS = 365
SUGGESTIONS = 3


@dataclass(frozen=True)
class Slot:
    weekday: int  # 1 = Monday ... 7 = Sunday (ISO)
    hour: int  # 0..23, workspace time
    posts: int
    average: float  # engagement per delivery


@dataclass
class ChannelBestTimes:
    channel: Channel
    posts: int  # deliveries with metrics in the window
    slots: list[Slot]  # only slots at or above the slot sample

    @property
    def enough(self) -> bool:
        return self.posts >= MIN_POSTS_PER_CHANNEL and bool(self.slots)

    def best(self, n: int = SUGGESTIONS) -> list[Slot]:
        return sorted(self.slots, key=lambda s: (-s.average, s.weekday, s.hour))[:n]

    def cell(self, weekday: int, hour: int) -> Slot | None:
        for slot in self.slots:
            if slot.weekday == weekday and slot.hour == hour:
                return slot
        return None

    @property
    def hours(self) -> list[int]:
        """The hours from the earliest to the latest slot shown (the heatmap's columns)."""
        if not self.slots:
            return []
        return list(range(min(s.hour for s in self.slots), max(s.hour for s in self.slots) + 1))

    @property
    def peak(self) -> float:
        return max((s.average for s in self.slots), default=0.0)

    def heatmap(self) -> list[tuple[int, list[tuple[int, Slot | None, int]]]]:
        """Rows per weekday (1..7) of (hour, slot or None, level 0..4 of the peak)."""
        peak = self.peak or 1.0
        rows = []
        for weekday in range(1, 8):
            cells = []
            for hour in self.hours:
                slot = self.cell(weekday, hour)
                level = 0 if slot is None else max(1, min(4, round(4 * slot.average / peak)))
                cells.append((hour, slot, level))
            rows.append((weekday, cells))
        return rows


def best_times(
    workspace: Workspace,
    *,
    channels: list[int] | None = None,
    now: dt.datetime | None = None,
) -> list[ChannelBestTimes]:
    """Each channel's engagement by weekday and hour, bucketed by the database in the
    workspace's time zone (so 08:00 UTC is 10:00 in Paris in summer, 09:00 in winter):
    two queries. Channels below the sample are returned with ``enough`` false."""
    zone = zone_of(workspace)
    since = (now or timezone.now()) - dt.timedelta(days=LOOKBACK_DAYS)
    deliveries = Publication.objects.filter(
        channel__workspace=workspace,
        state=PublicationState.PUBLISHED,
        published_at__gte=since,
        metrics__name__in=ENGAGEMENT_METRICS,
    )
    if channels is not None:
        deliveries = deliveries.filter(channel_id__in=channels)
    rows = (
        deliveries.annotate(
            weekday=ExtractIsoWeekDay("published_at", tzinfo=zone),
            hour=ExtractHour("published_at", tzinfo=zone),
        )
        .values("channel_id", "weekday", "hour")
        .annotate(
            n=Count("id", distinct=True),
            total=Sum("metrics__value", filter=Q(metrics__name__in=ENGAGEMENT_METRICS)),
        )
    )
    per_channel: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for row in rows:
        per_channel[row["channel_id"]].append(
            (row["weekday"], row["hour"], row["n"], int(row["total"] or 0))
        )
    if not per_channel:
        return []
    result = []
    for channel in Channel.objects.filter(pk__in=per_channel.keys()).order_by("name"):
        buckets = per_channel[channel.pk]
        slots = [
            Slot(weekday, hour, n, total / n)
            for weekday, hour, n, total in buckets
            if n >= MIN_POSTS_PER_SLOT
        ]
        result.append(ChannelBestTimes(channel, sum(b[2] for b in buckets), slots))
    return result


def next_occurrence(slot: Slot, *, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The next time at or after ``now`` that falls on the slot's weekday and hour."""
    local = now.astimezone(zone)
    days_ahead = (slot.weekday - local.isoweekday()) % 7
    day = local.date() + dt.timedelta(days=days_ahead)
    moment = dt.datetime.combine(day, dt.time(slot.hour), tzinfo=zone)
    if moment <= now:
        moment = dt.datetime.combine(day + dt.timedelta(days=7), dt.time(slot.hour), tzinfo=zone)
    return moment


@dataclass(frozen=True)
class Suggestion:
    channel: Channel
    when: list[dt.datetime]  # aware, the next occurrence of each best slot, soonest first


def suggestions(
    workspace: Workspace, *, channels: list[int] | None, now: dt.datetime | None = None
) -> list[Suggestion]:
    """The next good slots for each of these channels (every channel when None), for the
    editor; channels below the sample are left out."""
    now = now or timezone.now()
    zone = zone_of(workspace)
    result = []
    for times in best_times(workspace, channels=channels, now=now):
        if not times.enough:
            continue
        moments = sorted(next_occurrence(s, now=now, zone=zone) for s in times.best())
        result.append(Suggestion(times.channel, moments))
    return result
