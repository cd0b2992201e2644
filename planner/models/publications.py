from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from planner.models.fields import HttpsURLField


class PublicationState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CLAIMED = "claimed", _("Claimed")
    SENDING = "sending", _("Sending")
    RETRY_WAIT = "retry_wait", _("Waiting to retry")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown")
    HELD = "held", _("Waiting for a person")
    CANCELLED = "cancelled", _("Cancelled")
    RETRACTED = "retracted", _("Retracted")


class Publication(models.Model):
    """The delivery of one post to one channel: the unit the engine claims."""

    post = models.ForeignKey("planner.Post", on_delete=models.CASCADE, related_name="publications")
    channel = models.ForeignKey(
        "planner.Channel", on_delete=models.PROTECT, related_name="publications"
    )
    state = models.CharField(
        max_length=20, choices=PublicationState.choices, default=PublicationState.SCHEDULED
    )
    due_at = models.DateTimeField(db_index=True)
    # Sent on every attempt, so a retry of an accepted request is recognised by the
    # network instead of posted twice. A new one is minted when what goes out changes
    # (a new approved version): ``content_digest`` is the digest of the outgoing text,
    # media and title the key was minted for (planner.publishing.outgoing).
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    content_digest = models.CharField(max_length=64, blank=True)
    # A network-specific key chosen once before the first attempt (Bluesky's record key),
    # or learnt during one to resume from (an Instagram/Threads container, or a carousel's
    # item ids "children:<id>,..." — twenty 18-digit ids for Threads).
    platform_key = models.CharField(max_length=2000, blank=True)
    # Set by each claim; a task carries it, so a stale or redelivered message
    # for an older claim changes nothing.
    claim_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    external_url = HttpsURLField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Metrics are read on a decaying schedule after publication (round 0, 1, 2, 3 at
    # about 1 h, 6 h, 24 h, 7 days); None once the last round is done.
    metrics_round = models.PositiveSmallIntegerField(default=0)
    metrics_due_at = models.DateTimeField(null=True, blank=True)
    metrics_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="publication_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=PublicationState.values),
                name="publication_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=PublicationState.PUBLISHED)
                | models.Q(published_at__isnull=False),
                name="publication_published_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="publication_due"),
            models.Index(fields=["state", "next_attempt_at"], name="publication_retry"),
            models.Index(fields=["state", "lease_until"], name="publication_lease"),
            models.Index(fields=["metrics_due_at"], name="publication_metrics_due"),
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.channel} ({self.get_state_display()})"

    @property
    def web_url(self) -> str:
        """``external_url`` when it is an http(s) address (a link on our pages), else ''."""
        from planner.outbound import web_link

        return web_link(self.external_url)
