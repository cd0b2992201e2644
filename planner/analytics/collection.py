"""Reading what the networks say of our posts and channels, on a decaying schedule.

A beat tick on a queue of its own (never the publishing engine's) claims a batch of
publications whose metrics round is due, asks each network, and stores one
``MetricSnapshot`` per count plus the latest value (``PublicationMetric``, what reports
read), then moves the publication to its next round (planner/metrics.py). Channels'
follower counts are read the same way, once a day.

A claim pushes the due time out by a lease, under ``skip_locked`` row locks, so two
ticks never read the same post twice; a worker that dies mid-batch loses nothing, its
claims come due again when the lease ends. Network calls happen outside any
transaction; the results of a batch are written together at the end, in a bounded
number of queries.

When a network says to wait (429 with Retry-After or a rate-limit reset, Graph
throttling), the channel is paused until then and its publications keep their round:
nothing is lost and nothing counts as a failure. Any other failure is written on the
publication and the channel, in the network's words, for the Channels page; the round
is skipped and the next one tries again, and after the last the message stays.

These are system reads of public counts: they change no user-visible state of a post,
so they write no audit events (one per post and round would drown the history).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from planner.channels import base, metrics
from planner.channels.registry import ADAPTERS, adapter_for
from planner.models import Channel, FollowerSnapshot, MetricSnapshot, Publication, PublicationMetric
from planner.models import PublicationState as P
from planner.publishing.outgoing import channel_session, publication_reference

logger = logging.getLogger(__name__)

# A claimed row is due again after this if its batch never wrote back.
CLAIM_LEASE = timedelta(minutes=15)
# Metrics wait; a slow network should not hold the batch (publishing has its own client).
READ_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Stop asking after this long and hand the rest back, well inside the task time limit.
BATCH_SECONDS = 120.0
ERROR_LENGTH = 500


def _locked(queryset):
    """Row locks that skip rows another tick holds; SQLite serialises writers instead."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _not_paused(now: datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}metrics_paused_until__isnull": True}) | Q(
        **{f"{prefix}metrics_paused_until__lte": now}
    )


def _wait(outcome: base.Transient | base.Permanent | base.Unknown) -> float | None:
    """Seconds the network asked us to wait (its rate-limit signal), else None."""
    if isinstance(outcome, base.Transient) and outcome.retry_after is not None:
        return max(outcome.retry_after, 1.0)
    return None


@dataclass
class _Batch:
    """What a batch learnt, written back in one go."""

    now: datetime
    sessions: dict[int, base.Session] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    paused: set[int] = field(default_factory=set)

    def session(self, http: httpx.Client, channel: Channel) -> base.Session:
        # One session per channel: a token refreshed for one post serves the next.
        if channel.pk not in self.sessions:
            self.sessions[channel.pk] = channel_session(channel, http)
        self.channels[channel.pk] = channel
        return self.sessions[channel.pk]

    def pause(self, channel: Channel, seconds: float) -> None:
        channel.metrics_paused_until = self.now + timedelta(seconds=seconds)
        self.paused.add(channel.pk)

    def worked(self, channel: Channel) -> None:
        channel.metrics_checked_at = self.now
        channel.metrics_error = ""

    def failed(self, channel: Channel, reason: str) -> None:
        channel.metrics_checked_at = self.now
        channel.metrics_error = reason[:ERROR_LENGTH]

    def save_channels(self) -> None:
        if self.channels:
            Channel.objects.bulk_update(
                list(self.channels.values()),
                ["metrics_checked_at", "metrics_error", "metrics_paused_until"],
            )


def _ask(channel: Channel, call: Callable[..., Any], *args: Any) -> Any:
    """The adapter's answer, or the failure it raised (a crash is a failure too)."""
    try:
        return call(*args)
    except base.AdapterError as exc:
        return exc.outcome
    except Exception as exc:  # a bug in an adapter must not stop the batch
        logger.exception("Reading metrics from %s crashed", channel.kind)
        return base.Permanent(f"Unexpected error while reading counts: {exc.__class__.__name__}")


# --- posts --------------------------------------------------------------------------------


def _claim_publications(now: datetime, limit: int) -> list[Publication]:
    with transaction.atomic():
        rows = list(
            _locked(
                # A disconnected channel would only answer 401 until it is reconnected.
                Publication.objects.filter(
                    state=P.PUBLISHED,
                    metrics_due_at__lte=now,
                    channel__is_active=True,
                    channel__disconnected_at__isnull=True,
                )
                .filter(_not_paused(now, "channel__"))
                .select_related("channel")
                .order_by("metrics_due_at", "pk")
            )[:limit]
        )
        if rows:
            Publication.objects.filter(pk__in=[p.pk for p in rows]).update(
                metrics_due_at=now + CLAIM_LEASE
            )
    return rows  # in memory, each keeps the due time it had before the claim


def metrics_collect_due(*, now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Read the counts of a batch of publications whose round is due; how each went."""
    now = now or timezone.now()
    publications = _claim_publications(now, limit or settings.METRICS_BATCH)
    tally = {"read": 0, "failed": 0, "postponed": 0}
    if not publications:
        return tally
    batch = _Batch(now)
    snapshots: list[MetricSnapshot] = []
    latest: list[PublicationMetric] = []
    deadline = time.monotonic() + BATCH_SECONDS
    with base.new_http_client() as http:
        http.timeout = READ_TIMEOUT
        for publication in publications:
            channel = publication.channel
            if channel.pk in batch.paused or time.monotonic() > deadline:
                tally["postponed"] += 1  # keeps its due time and round
                continue
            adapter = adapter_for(channel.kind)
            session = batch.session(http, channel)
            answer = _ask(channel, adapter.metrics, session, publication_reference(publication))
            if isinstance(answer, dict) and not answer:
                answer = base.Permanent(
                    "The network's answer had none of the counts Maillon knows: "
                    "its field names may have changed (see planner/metrics.py)."
                )
            if not isinstance(answer, dict) and (wait := _wait(answer)) is not None:
                batch.pause(channel, wait)
                tally["postponed"] += 1
                continue
            if isinstance(answer, dict):
                for name, value in answer.items():
                    snapshots.append(
                        MetricSnapshot(
                            publication=publication, name=name, value=value, taken_at=now
                        )
                    )
                    latest.append(
                        PublicationMetric(
                            publication=publication, name=name, value=value, taken_at=now
                        )
                    )
                publication.metrics_error = ""
                batch.worked(channel)
                tally["read"] += 1
            else:
                publication.metrics_error = answer.reason[:ERROR_LENGTH]
                batch.failed(channel, answer.reason)
                tally["failed"] += 1
            publication.metrics_round, publication.metrics_due_at = metrics.next_round(
                publication.published_at, publication.metrics_round, now
            )
    with transaction.atomic():
        MetricSnapshot.objects.bulk_create(snapshots)
        PublicationMetric.objects.bulk_create(
            latest,
            update_conflicts=True,
            unique_fields=["publication", "name"],
            update_fields=["value", "taken_at"],
        )
        # Postponed rows go back to the due time they had: the claim's lease is undone.
        Publication.objects.bulk_update(
            publications, ["metrics_round", "metrics_due_at", "metrics_error"]
        )
        batch.save_channels()
    return tally


# --- followers ----------------------------------------------------------------------------


def _follower_kinds() -> list[str]:
    return [kind for kind in ADAPTERS if adapter_for(kind).reads_followers]


def metrics_kinds() -> frozenset[str]:
    """Networks Maillon reads counts from (posts or followers), for the Channels page."""
    return frozenset(
        kind
        for kind in ADAPTERS
        if adapter_for(kind).reads_metrics or adapter_for(kind).reads_followers
    )


def _claim_channels(now: datetime, limit: int) -> list[Channel]:
    published = Publication.objects.filter(channel=OuterRef("pk"), state=P.PUBLISHED)
    with transaction.atomic():
        rows = list(
            _locked(
                Channel.objects.filter(
                    is_active=True, disconnected_at__isnull=True, kind__in=_follower_kinds()
                )
                .filter(_not_paused(now))
                .filter(
                    Q(followers_due_at__lte=now)
                    | Q(followers_due_at__isnull=True) & Exists(published)
                )
                .order_by("followers_due_at", "pk")
            )[:limit]
        )
        if rows:
            Channel.objects.filter(pk__in=[c.pk for c in rows]).update(
                followers_due_at=now + CLAIM_LEASE
            )
    return rows


def followers_collect_due(
    *, now: datetime | None = None, limit: int | None = None
) -> dict[str, int]:
    """Read the follower count of channels due for their daily reading."""
    now = now or timezone.now()
    channels = _claim_channels(now, limit or settings.METRICS_BATCH)
    tally = {"read": 0, "failed": 0, "postponed": 0}
    if not channels:
        return tally
    batch = _Batch(now)
    snapshots: list[FollowerSnapshot] = []
    deadline = time.monotonic() + BATCH_SECONDS
    with base.new_http_client() as http:
        http.timeout = READ_TIMEOUT
        for channel in channels:
            if time.monotonic() > deadline:
                tally["postponed"] += 1
                continue
            adapter = adapter_for(channel.kind)
            session = batch.session(http, channel)
            answer = _ask(channel, adapter.followers, session)
            if isinstance(answer, int | None):
                if answer is not None:
                    snapshots.append(FollowerSnapshot(channel=channel, count=answer, taken_at=now))
                    tally["read"] += 1
                batch.worked(channel)
                channel.followers_due_at = now + metrics.FOLLOWERS_EVERY
            elif (wait := _wait(answer)) is not None:
                batch.pause(channel, wait)  # keeps the due time it had
                tally["postponed"] += 1
            else:
                batch.failed(channel, answer.reason)
                channel.followers_due_at = now + metrics.FOLLOWERS_EVERY
                tally["failed"] += 1
    with transaction.atomic():
        FollowerSnapshot.objects.bulk_create(snapshots)
        Channel.objects.bulk_update(
            channels,
            ["followers_due_at", "metrics_checked_at", "metrics_error", "metrics_paused_until"],
        )
    return tally
