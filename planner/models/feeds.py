"""Calendar feeds people subscribe to, and key dates imported from .ics files."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FeedScope(models.TextChoices):
    WORKSPACE = "workspace", _("The whole workspace")
    CAMPAIGN = "campaign", _("A campaign")
    CHANNEL = "channel", _("A channel")
    MINE = "mine", _("My posts")
    WAITING = "waiting", _("What waits on me")


class FeedLink(models.Model):
    """A private address of an iCal feed, for one person and one scope.

    Only the SHA-256 of the token is stored: the address is shown once, when made or
    regenerated. What the feed shows is worked out at each request from what its owner
    may see *now* (a removed member's links answer 404)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_links"
    )
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="feed_links"
    )
    scope = models.CharField(_("what it shows"), max_length=20, choices=FeedScope.choices)
    campaign = models.ForeignKey(
        "planner.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(
        "planner.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    days_back = models.PositiveIntegerField(
        _("days back"), default=90, validators=[MinValueValidator(0), MaxValueValidator(730)]
    )
    days_ahead = models.PositiveIntegerField(
        _("days ahead"), default=365, validators=[MinValueValidator(1), MaxValueValidator(1095)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    regenerated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("feed link")
        verbose_name_plural = _("feed links")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="campaign", campaign__isnull=False, channel__isnull=True)
                    | Q(scope="channel", channel__isnull=False, campaign__isnull=True)
                    | (
                        Q(scope__in=["workspace", "mine", "waiting"])
                        & Q(campaign__isnull=True, channel__isnull=True)
                    )
                ),
                name="feed_link_scope_target",
            ),
            models.CheckConstraint(
                condition=Q(days_back__lte=730) & Q(days_ahead__gte=1, days_ahead__lte=1095),
                name="feed_link_window_bounds",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.get_scope_display()


class KeyDateSource(models.Model):
    """Where key dates came from: an uploaded file or an address, imported again by UID."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="key_date_sources"
    )
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("address"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("key date source")
        verbose_name_plural = _("key date sources")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="key_date_source_name")
        ]

    def __str__(self) -> str:
        return self.name


class KeyDate(models.Model):
    """A holiday, a launch, an event: one occurrence (recurring events are expanded over
    the import window, each occurrence keyed by its source UID and RECURRENCE-ID).

    All-day dates keep ``starts_on``/``ends_on`` (``ends_on`` inclusive); timed ones
    ``starts_at``/``ends_at`` in UTC."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="key_dates"
    )
    source = models.ForeignKey(
        KeyDateSource, null=True, blank=True, on_delete=models.CASCADE, related_name="key_dates"
    )
    # Our own UID in feeds, stable across re-imports of the same occurrence.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_uid = models.CharField(max_length=500, blank=True)
    # The occurrence's original start (ISO text) for an expanded recurring event, else "".
    recurrence_id = models.CharField(max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    all_day = models.BooleanField(default=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("key date")
        verbose_name_plural = _("key dates")
        ordering = ["starts_on", "starts_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "starts_on"], name="key_date_ws_day"),
            models.Index(fields=["workspace", "starts_at"], name="key_date_ws_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_uid", "recurrence_id"],
                condition=Q(source__isnull=False),
                name="key_date_occurrence_unique",
            ),
            models.CheckConstraint(
                condition=(
                    Q(all_day=True, starts_on__isnull=False, ends_on__isnull=False)
                    & Q(ends_on__gte=models.F("starts_on"))
                )
                | (
                    Q(all_day=False, starts_at__isnull=False, ends_at__isnull=False)
                    & Q(ends_at__gte=models.F("starts_at"))
                ),
                name="key_date_span_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    DOWNLOADING = "downloading", _("Downloading")
    READING = "reading", _("Reading the events")
    SAVING = "saving", _("Saving the dates")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class KeyDateImport(models.Model):
    """One import of a calendar into a source, run by a Celery worker.

    The page that asked for it follows ``status`` and the progress counts; the dates are
    written at the end in one transaction (``calendar_feeds.key_dates``), so a failed import
    leaves them as they were. The uploaded file is kept here until the import ends."""

    UNDER_WAY = (
        ImportStatus.QUEUED,
        ImportStatus.DOWNLOADING,
        ImportStatus.READING,
        ImportStatus.SAVING,
    )

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="key_date_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The source's name, and the source once the import has written it (a refresh names
    # it from the start).
    name = models.CharField(_("name"), max_length=120)
    source = models.ForeignKey(
        KeyDateSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    url = models.URLField(_("address"), max_length=500, blank=True)
    upload = models.BinaryField(blank=True, default=b"")
    refresh = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    # Repeating events expanded so far, of how many (the reading's progress).
    series_done = models.PositiveIntegerField(default=0)
    series_total = models.PositiveIntegerField(default=0)
    # Counts once done: created, added, updated, removed, unchanged.
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Every problem the file has, one line each (the error names the first few).
    problems = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("key date import")
        verbose_name_plural = _("key date imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "status"], name="key_date_import_ws")]

    def __str__(self) -> str:
        return self.name

    @property
    def under_way(self) -> bool:
        return self.status in self.UNDER_WAY

    @property
    def dates(self) -> int:
        r = self.result or {}
        return r.get("added", 0) + r.get("updated", 0) + r.get("unchanged", 0)
