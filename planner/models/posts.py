from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from planner.workflow import APPROVED_STATES, State


class Label(models.Model):
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="labels"
    )
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="label_unique")]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """One message, planned for a time, going out on one or more channels.

    ``version`` counts content changes (each leaves a PostVersion);
    ``approved_version`` is the version the chain approved, so "unchanged
    since approval" is ``version == approved_version``. ``sequence`` grows on
    every content change or move in time (iCal SEQUENCE).
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="posts"
    )
    campaign = models.ForeignKey(
        "planner.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    scheduled_at = models.DateTimeField(_("planned time"), null=True, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="authored_posts",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_posts",
    )
    labels = models.ManyToManyField(
        Label, verbose_name=_("labels"), blank=True, related_name="posts"
    )
    version = models.PositiveIntegerField(default=1)
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["scheduled_at", "id"]
        indexes = [models.Index(fields=["workspace", "scheduled_at"], name="post_ws_time")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=State.values), name="post_state_valid"),
            # An approved post (or one going or gone out) has a time and an approved version.
            models.CheckConstraint(
                condition=~Q(state__in=sorted(s.value for s in APPROVED_STATES))
                | Q(scheduled_at__isnull=False, approved_version__isnull=False),
                name="post_approved_has_time_and_version",
            ),
        ]

    def __str__(self) -> str:
        return (
            self.title or (self.body[:60] + ("…" if len(self.body) > 60 else "")) or f"#{self.pk}"
        )

    @property
    def approval_is_current(self) -> bool:
        return self.approved_version is not None and self.approved_version == self.version


class Variant(models.Model):
    """The post as it goes out on one channel. Empty text means: use the master text."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(
        "planner.Channel", on_delete=models.PROTECT, related_name="variants"
    )
    text = models.TextField(_("text for this channel"), blank=True)
    # This channel's own selection and order of the post's media, as a list of Media
    # ids; None: all the post's media, in the post's order ([] : none on this channel).
    media = models.JSONField(_("media for this channel"), null=True, blank=True, default=None)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [models.UniqueConstraint(fields=["post", "channel"], name="variant_unique")]

    def __str__(self) -> str:
        return f"{self.post} / {self.channel}"

    @property
    def effective_text(self) -> str:
        return self.text or self.post.body


def media_path(instance: Media, filename: str) -> str:
    return f"media/{instance.post.workspace_id}/{uuid.uuid4().hex}/{filename}"


class Media(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(_("file"), upload_to=media_path, max_length=300)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # Read from the file itself: by Pillow for an image, by ffprobe for a video.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # A video's probe (planner.posts.probing); None / '' for images and older files.
    duration = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    video_codec = models.CharField(max_length=40, blank=True)
    audio_codec = models.CharField(max_length=40, blank=True)
    container = models.CharField(max_length=80, blank=True)
    alt_text = models.TextField(_("alternative text"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("media")
        verbose_name_plural = _("media")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.file.name

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


class PostVersion(models.Model):
    """A snapshot of a post's content, taken on every content change."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # {channel id (str): text} for every channel of the post at that version.
    variants = models.JSONField(default=dict)
    media = models.JSONField(default=list)
    # {channel id (str): [media ids, in order]} for the channels with their own selection;
    # the others carry all of ``media``.
    variant_media = models.JSONField(default=dict)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("post version")
        verbose_name_plural = _("post versions")
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="post_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post} v{self.number}"


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]
