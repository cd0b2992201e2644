"""The workspace's chat webhook address: which addresses a kind accepts, and how it is
shown where a secret must not be (the audit trail, the settings page).

The address is the credential: whoever has it can post in the team's channel. The
hosts below are the ones each service hands out; the check is loose on purpose
(any subdomain of them) so that a regional or renamed host still passes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from accounts.models import ChatWebhookKind
from planner import outbound

# kind -> host suffixes its webhooks use.
KIND_HOSTS: dict[str, tuple[str, ...]] = {
    ChatWebhookKind.SLACK: ("hooks.slack.com", "hooks.slack-gov.com"),
    ChatWebhookKind.DISCORD: ("discord.com", "discordapp.com"),
    # Teams: the old Office 365 connectors, and the Workflows (Power Automate) triggers.
    ChatWebhookKind.TEAMS: (
        "webhook.office.com",
        "logic.azure.com",
        "environment.api.powerplatform.com",
    ),
}
EXAMPLES: dict[str, str] = {
    ChatWebhookKind.SLACK: "https://hooks.slack.com/services/…",
    ChatWebhookKind.DISCORD: "https://discord.com/api/webhooks/…",
    ChatWebhookKind.TEAMS: "https://….environment.api.powerplatform.com/…",
}
HIDDEN = "••••"


def _host_matches(host: str, suffixes: tuple[str, ...]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def webhook_url_problem(kind: str, url: str) -> str:
    """Why ``url`` cannot be the ``kind`` webhook, or '' when it can."""
    if not url:
        return _("Paste the webhook address the chat service gave you.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _port = parts.port  # a port that is not a number is refused here
    except ValueError:
        host, parts = "", None
    if parts is None or not host or parts.scheme not in ("http", "https"):
        return _("Enter a valid web address, starting with https://.")
    if outbound.plain_http_allowed(host):
        return ""
    if parts.scheme != "https":
        return _("The address must start with https://.")
    suffixes = KIND_HOSTS.get(kind, ())
    if not _host_matches(host, suffixes):
        return _("This is not a %(kind)s webhook address (%(host)s). It looks like %(example)s") % {
            "kind": ChatWebhookKind(kind).label,
            "host": host,
            "example": EXAMPLES[kind],
        }
    return ""


def masked(url: str) -> str:
    """What may be shown or logged of the address: its scheme and host, never the rest."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return HIDDEN
    if not host:
        return HIDDEN
    return f"{parts.scheme}://{host}{port}/{HIDDEN}"
