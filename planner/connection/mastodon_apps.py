"""Mastodon on any server: the server a person types, and Maillon's app on it.

Every Mastodon server registers its own OAuth apps (``POST /api/v1/apps``), so there is no
client id for an operator to configure: Maillon registers itself the first time someone
connects an account on a server, keeps that client (``OAuthApp``, the secret encrypted),
and uses it for every later connection there, from any workspace. A client registered
for another callback address (the site moved) is replaced by a new registration.
"""

from __future__ import annotations

import re

import httpx
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from planner import outbound
from planner.channels.authorization import MASTODON
from planner.connection.clients import NetworkApp, callback_url
from planner.errors import Invalid
from planner.models import OAuthApp

NETWORK = MASTODON.network
CLIENT_NAME = "Maillon"
SCOPES = MASTODON.scope
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# A host name: dot-separated labels of letters, digits and hyphens (an IPv4 address too).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


def server_address(typed: str) -> str:
    """The server's address from what a person typed: ``mastodon.social``,
    ``https://Mastodon.Social/``, or a whole handle ``@ann@mastodon.social``.

    https only, but for this machine when loopback is allowed (the tests' servers)."""
    text = (typed or "").strip()
    if not text:
        raise Invalid(_("Type your Mastodon server, for example mastodon.social."))
    if "@" in text and "://" not in text:  # @user@server, as Mastodon shows handles
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = f"https://{text}"
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        url = None
    host = (url.host if url else "").lower()
    wrong = (
        url is None
        or url.scheme not in outbound.WEB_SCHEMES
        or not host
        or len(host) > 253
        or not _HOST_RE.match(host)
        or url.userinfo
        or url.query
        or url.path.strip("/")
    )
    if wrong:
        raise Invalid(
            _("“%(typed)s” is not a server address: type its name, for example mastodon.social.")
            % {"typed": typed.strip()[:100]}
        )
    assert url is not None
    if url.scheme == "http" and not outbound.plain_http_allowed(host):
        raise Invalid(
            _("A Mastodon server is reached over https: type its address without http://.")
        )
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{host}{port}"


def app_for(server: str, redirect_uri: str) -> OAuthApp:
    """Maillon's app on ``server`` for this callback address, registering it if needed."""
    app = OAuthApp.objects.filter(network=NETWORK, server=server).first()
    if app is not None and app.redirect_uri == redirect_uri and app.scopes == SCOPES:
        return app
    registered = _register(server, redirect_uri)
    values = {
        "client_id": registered["client_id"],
        "client_secret": {"secret": registered["client_secret"]},
        "redirect_uri": redirect_uri,
        "scopes": SCOPES,
    }
    try:
        with transaction.atomic():
            app, _created = OAuthApp.objects.update_or_create(
                network=NETWORK, server=server, defaults=values
            )
    except IntegrityError:  # two people registered on the same server at once
        app = OAuthApp.objects.get(network=NETWORK, server=server)
    return app


def network_app(server: str) -> NetworkApp:
    """Maillon's app on ``server`` as the sign-in sees it: the server's own addresses."""
    app = app_for(server, callback_url(NETWORK))
    return NetworkApp(
        spec=MASTODON,
        client_id=app.client_id,
        client_secret=client_secret(app),
        authorize_url=server + MASTODON.authorize_url,
        token_url=server + MASTODON.token_url,
        api_url=server,
    )


def client_secret(app: OAuthApp) -> str:
    return str((app.client_secret or {}).get("secret") or "")


def _register(server: str, redirect_uri: str) -> dict[str, str]:
    form = {
        "client_name": CLIENT_NAME,
        "redirect_uris": redirect_uri,
        "scopes": SCOPES,
    }
    unreachable = _(
        "Maillon could not reach %(server)s. Check the address, or try again in a moment."
    ) % {"server": server}
    try:
        with outbound.client(timeout=TIMEOUT) as http:
            response = http.post(f"{server}/api/v1/apps", data=form)
    except outbound.Refused:
        raise Invalid(outbound.refusal_message()) from None
    except httpx.HTTPError:
        raise Invalid(unreachable) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 429:
        raise Invalid(
            _("%(server)s is limiting new apps right now: try again in a few minutes.")
            % {"server": server}
        )
    ok = response.status_code < 300 and isinstance(body, dict)
    if not ok or not body.get("client_id") or not body.get("client_secret"):
        if response.status_code >= 500:
            raise Invalid(unreachable)
        raise Invalid(
            _(
                "%(server)s does not answer as a Mastodon server (HTTP %(status)s). "
                "Check the address: it is the part of your handle after the second @."
            )
            % {"server": server, "status": response.status_code}
        )
    return {"client_id": str(body["client_id"]), "client_secret": str(body["client_secret"])}
