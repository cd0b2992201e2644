from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from planner.crypto import EncryptedJSONField
from planner.models.fields import HttpsURLField


class ChannelKind(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    X = "x", "X"
    LINKEDIN = "linkedin", "LinkedIn"
    FACEBOOK = "facebook", _("Facebook page")
    INSTAGRAM = "instagram", "Instagram"
    THREADS = "threads", "Threads"
    SLACK = "slack", "Slack"
    DISCORD = "discord", "Discord"
    TEAMS = "teams", "Microsoft Teams"
    WEBHOOK = "webhook", _("Generic webhook")


class Channel(models.Model):
    """An account on a network that Maillon publishes to."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="channels"
    )
    kind = models.CharField(_("network"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=120)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    base_url = HttpsURLField(
        _("API base URL"),
        blank=True,
        help_text=_("The instance or API address; leave empty for the network's default."),
    )
    # Tokens, secrets and webhook URLs: encrypted at rest, never shown back in full.
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The last "Test connection" from the channel pages: when, whether it worked, and
    # what the network said (the account reached, or why it failed), in plain words.
    last_checked_at = models.DateTimeField(_("last connection test"), null=True, blank=True)
    last_check_ok = models.BooleanField(_("last connection test worked"), default=False)
    last_check_message = models.CharField(
        _("last connection test result"), max_length=500, blank=True
    )
    # Reading metrics: when followers are next due, and why the last reading failed.
    followers_due_at = models.DateTimeField(null=True, blank=True)
    metrics_checked_at = models.DateTimeField(null=True, blank=True)
    metrics_error = models.CharField(_("metrics problem"), max_length=500, blank=True)
    # A network's rate limit: no metrics call to it before this time.
    metrics_paused_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="channel_name_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ChannelKind.values), name="channel_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
