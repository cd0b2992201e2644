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


class ConnectedWith(models.TextChoices):
    FORM = "form", _("credentials typed in")
    OAUTH = "oauth", _("the network's sign-in")


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
    # How the credentials came: typed into the channel form, or through the network's
    # own sign-in (Connect / Reconnect, planner/connection/).
    connected_with = models.CharField(
        _("connected with"), max_length=10, choices=ConnectedWith.choices, default="form"
    )
    # The network's own id of the account (a Page id, a user id, an organization URN):
    # Reconnect must bring back the same account.
    account_id = models.CharField(_("account id on the network"), max_length=200, blank=True)
    # When the connection stops working unless it is renewed or reconnected (a long-lived
    # token's end, a refresh token's end); null when it does not expire or is unknown.
    access_expires_at = models.DateTimeField(_("access expires"), null=True, blank=True)
    # Set when the network refused the credentials for good (a 401 that a refresh could
    # not cure, a revoked app): nothing is sent until a person reconnects.
    disconnected_at = models.DateTimeField(_("disconnected"), null=True, blank=True)
    disconnected_reason = models.CharField(_("why it was disconnected"), max_length=500, blank=True)
    # When its credentials were last given (Connect, Reconnect, new tokens typed into the
    # form): a send that started with older ones and was refused does not disconnect it.
    connected_at = models.DateTimeField(_("credentials given"), null=True, blank=True)
    # Posting pace (planner/publishing/pacing.py): no send to this account before
    # ``limited_until`` (its posting limit is used up, or the network said to wait), and
    # an admin's own limit for the account, replacing the network's published one.
    limited_until = models.DateTimeField(_("posting limit reached until"), null=True, blank=True)
    limited_reason = models.CharField(_("why posting waits"), max_length=300, blank=True)
    post_limit = models.PositiveIntegerField(
        _("posts per window"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the network's published limit."),
    )
    post_limit_window_minutes = models.PositiveIntegerField(
        _("window (minutes)"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="channel_name_unique"),
            # One channel per account a sign-in reaches (Mastodon ids are per server,
            # hence the address): two admins choosing the same account at once get one.
            models.UniqueConstraint(
                fields=["workspace", "kind", "base_url", "account_id"],
                condition=~models.Q(account_id=""),
                name="channel_account_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ChannelKind.values), name="channel_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class OAuthApp(models.Model):
    """Maillon's own app on one server of a network where every server registers its
    apps (Mastodon: ``POST /api/v1/apps``): one per server, shared by all workspaces."""

    network = models.CharField(max_length=20, choices=ChannelKind.choices)
    server = models.CharField(max_length=200)  # https://host[:port], lower case
    client_id = models.CharField(max_length=300)
    client_secret = EncryptedJSONField(default=dict, blank=True)  # {"secret": ...}
    redirect_uri = models.CharField(max_length=500)
    scopes = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "server"], name="oauth_app_unique")
        ]

    def __str__(self) -> str:
        return f"{self.network} app on {self.server}"
