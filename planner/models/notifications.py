"""What people are told: an in-app inbox, email by preference, and reminders sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Each kind has its sentence (planner.notifications.notify) and an email preference."""

    SUBMITTED = "submitted", _("A post waits for my approval")
    DECIDED = "decided", _("A decision on my post")
    APPROVED = "approved", _("My post is approved")
    APPROVAL_WITHDRAWN = "approval_withdrawn", _("A post I approved was edited")
    MENTION = "mention", _("Someone mentions me")
    COMMENT = "comment", _("A comment on my post")
    REMINDER = "reminder", _("Reminders of approvals waiting")
    ESCALATION = "escalation", _("Approvals overdue (admins)")
    AT_RISK = "at_risk", _("My post is at risk")
    PUBLICATION_PROBLEM = "publication_problem", _("A delivery failed or waits")
    CHANNEL_EXPIRING = "channel_expiring", _("A channel's access will expire (admins)")
    CHANNEL_DISCONNECTED = "channel_disconnected", _("A channel was disconnected (admins)")


class Notification(models.Model):
    """One line of a person's inbox. The text is rendered when shown, in the reader's
    language, from ``kind`` and ``data``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    post = models.ForeignKey(
        "planner.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationPreference(models.Model):
    """Whether a person wants a kind by email too (the inbox always has it). No row:
    the kind's default (planner.notifications.notify.EMAIL_BY_DEFAULT)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} email={self.email}"


class StepReminder(models.Model):
    """The reminders sent for one approval step of one version of a post: each is sent
    once (the beat task may run twice, or on two machines by mistake)."""

    post = models.ForeignKey("planner.Post", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    step_position = models.PositiveSmallIntegerField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval reminder")
        verbose_name_plural = _("approval reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "version", "step_position"], name="step_reminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} v{self.version} step {self.step_position}"


class RiskFlag(models.Model):
    """A post was flagged at risk (due soon, not approved) for this time slot: told once."""

    post = models.ForeignKey("planner.Post", on_delete=models.CASCADE, related_name="+")
    scheduled_at = models.DateTimeField()
    flagged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("at-risk flag")
        verbose_name_plural = _("at-risk flags")
        constraints = [
            models.UniqueConstraint(fields=["post", "scheduled_at"], name="risk_flag_unique")
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} at risk for {self.scheduled_at:%Y-%m-%d %H:%M}"


class ExpiryNotice(models.Model):
    """Admins were told that a channel's access ends at ``expires_at``, ``days_before``
    it (a week, a day): told once per threshold. A renewed or reconnected channel has a
    new end, so its notices start again."""

    channel = models.ForeignKey("planner.Channel", on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "expires_at", "days_before"], name="expiry_notice_unique"
            )
        ]

    def __str__(self) -> str:
        return f"channel {self.channel_id}: {self.days_before} d before {self.expires_at:%Y-%m-%d}"
