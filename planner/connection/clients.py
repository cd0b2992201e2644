"""The operator's app on each network (settings.OAUTH_APPS, from the environment), and
the callback address each app must register."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from planner.channels.authorization import SPECS, OAuthSpec


@dataclass(frozen=True)
class NetworkApp:
    spec: OAuthSpec
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    api_url: str

    @property
    def test_server(self) -> bool:
        """The API address was overridden (a test server): channels keep it as their own."""
        return self.api_url != self.spec.api_url


def app_for(network: str) -> NetworkApp | None:
    """The network's configured app; None when the operator has not set its id and secret."""
    spec = SPECS.get(network)
    configured = getattr(settings, "OAUTH_APPS", {}).get(network) or {}
    if spec is None or not configured.get("client_id") or not configured.get("client_secret"):
        return None
    return NetworkApp(
        spec=spec,
        client_id=configured["client_id"],
        client_secret=configured["client_secret"],
        authorize_url=configured.get("authorize_url") or spec.authorize_url,
        token_url=configured.get("token_url") or spec.token_url,
        api_url=configured.get("api_url") or spec.api_url,
    )


def callback_url(network: str) -> str:
    """The exact address to register in the network's console (from SITE_URL, never from
    a request's Host header, which whoever sends the request chooses)."""
    path = reverse("planner:channel_connect_callback", kwargs={"network": network})
    return settings.SITE_URL.rstrip("/") + path
