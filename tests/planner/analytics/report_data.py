"""Factory data for the reports: published deliveries with their latest metrics, as the
engine and the metrics reader leave them."""

from __future__ import annotations

import datetime as dt

from planner.models import Post, Publication, PublicationMetric
from planner.models.publications import PublicationState
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory


def published(
    *,
    workspace,
    at: dt.datetime,
    channels=None,
    campaign=None,
    title: str = "",
    **metrics: int,
) -> Post:
    """A post published at ``at`` on each channel, each delivery with these metrics."""
    channels = channels or [ChannelFactory(workspace=workspace)]
    post = PostFactory(
        workspace=workspace,
        campaign=campaign,
        title=title,
        scheduled_at=at,
        state=State.PUBLISHED,
        approved_version=1,
        channels=channels,
    )
    for channel in channels:
        publication = Publication.objects.create(
            post=post,
            channel=channel,
            due_at=at,
            state=PublicationState.PUBLISHED,
            published_at=at,
        )
        PublicationMetric.objects.bulk_create(
            PublicationMetric(publication=publication, name=name, value=value, taken_at=at)
            for name, value in metrics.items()
        )
    return post


def failed(*, workspace, channel, at: dt.datetime, error: str = "HTTP 500") -> Publication:
    post = PostFactory(
        workspace=workspace,
        scheduled_at=at,
        state=State.FAILED,
        approved_version=1,
        channels=[channel],
    )
    return Publication.objects.create(
        post=post, channel=channel, due_at=at, state=PublicationState.FAILED, last_error=error
    )
