"""What the networks say of our posts and channels, as time series.

Metric names are data (``name`` columns), not columns: each adapter maps its network's
field names to ours (likes, reposts, replies, views...), so a network renaming a field
is a change of that mapping, not of the schema."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricSnapshot(models.Model):
    """One metric of one delivery as read at one time (a round of the decaying schedule)."""

    publication = models.ForeignKey(
        "planner.Publication", on_delete=models.CASCADE, related_name="metric_snapshots"
    )
    name = models.CharField(max_length=40)
    value = models.BigIntegerField()
    taken_at = models.DateTimeField()

    class Meta:
        verbose_name = _("metric snapshot")
        verbose_name_plural = _("metric snapshots")
        ordering = ["publication", "name", "taken_at"]
        indexes = [
            models.Index(fields=["publication", "name", "taken_at"], name="metric_pub_name_time")
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value} at {self.taken_at:%Y-%m-%d %H:%M}"


class PublicationMetric(models.Model):
    """The latest value of one metric of one delivery (what reports read: one row per
    delivery and metric, however many snapshots)."""

    publication = models.ForeignKey(
        "planner.Publication", on_delete=models.CASCADE, related_name="metrics"
    )
    name = models.CharField(max_length=40)
    value = models.BigIntegerField()
    taken_at = models.DateTimeField()

    class Meta:
        verbose_name = _("latest metric")
        verbose_name_plural = _("latest metrics")
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "name"], name="publication_metric_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class FollowerSnapshot(models.Model):
    """A channel's follower count on a day."""

    channel = models.ForeignKey(
        "planner.Channel", on_delete=models.CASCADE, related_name="follower_snapshots"
    )
    count = models.BigIntegerField()
    taken_at = models.DateTimeField()

    class Meta:
        verbose_name = _("follower count")
        verbose_name_plural = _("follower counts")
        ordering = ["channel", "taken_at"]
        indexes = [models.Index(fields=["channel", "taken_at"], name="follower_channel_time")]

    def __str__(self) -> str:
        return f"{self.count} at {self.taken_at:%Y-%m-%d}"
