"""After a consent: exchange the code for tokens, and read what the tokens reach.

Every call goes through ``planner.outbound`` (public addresses only, no redirect). The
authorization request and the token request are Authlib's (RFC 6749 parameters, RFC
7636 PKCE); the calls are ours, on that client. Each network's "who am I / which pages"
answer becomes ``Account``s, each holding the credentials in the shape its adapter reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.utils.translation import gettext as _

from planner import outbound
from planner.channels.base import error_text
from planner.channels.linkedin import API_VERSION as LINKEDIN_VERSION
from planner.channels.oauth import json_object
from planner.connection.clients import NetworkApp
from planner.errors import Invalid

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_PAGES = 10  # pages of /me/accounts read at most (100 Pages each)


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str = ""
    expires_in: int = 0  # seconds; 0 when the network did not say
    refresh_expires_in: int = 0
    scope: str = ""


@dataclass(frozen=True)
class Account:
    """One account the consent reaches, that may become a channel."""

    kind: str
    account_id: str
    name: str
    handle: str
    credentials: dict[str, Any]
    # Seconds from now until the connection stops working unless renewed; 0: unknown or never.
    expires_in: int = 0
    via: str = ""  # the Page an Instagram account is linked to
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def authorize_url(app: NetworkApp, *, redirect_uri: str, state: str, verifier: str) -> str:
    extra: dict[str, str] = {}
    if app.spec.pkce:
        extra = {"code_challenge": create_s256_code_challenge(verifier)}
        extra["code_challenge_method"] = "S256"
    return prepare_grant_uri(
        app.authorize_url,
        app.client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=app.spec.scope,
        state=state,
        **extra,
    )


def _client() -> httpx.Client:
    return outbound.client(timeout=TIMEOUT)


def _refused(app: NetworkApp, response: httpx.Response | None, exc: Exception) -> Invalid:
    said = error_text(response) if response is not None else exc.__class__.__name__
    return Invalid(
        _("%(network)s did not accept the sign-in (%(said)s). Try Connect again.")
        % {"network": app.spec.label, "said": said}
    )


def exchange_code(app: NetworkApp, *, code: str, redirect_uri: str, verifier: str) -> Token:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if app.spec.pkce:
        form["code_verifier"] = verifier
    auth = None
    if app.spec.client_auth == "basic":
        auth = (app.client_id, app.client_secret)
    else:
        form |= {"client_id": app.client_id, "client_secret": app.client_secret}
    try:
        with _client() as http:
            response = http.post(app.token_url, data=form, auth=auth)
    except httpx.HTTPError as exc:
        raise _refused(app, None, exc) from None
    body = json_object(response)
    if response.status_code >= 300 or not body.get("access_token"):
        raise _refused(app, response, ValueError())
    return Token(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or ""),
        expires_in=_int(body.get("expires_in")),
        refresh_expires_in=_int(body.get("refresh_token_expires_in")),
        scope=str(body.get("scope") or ""),
    )


def long_lived(app: NetworkApp, token: Token, http: httpx.Client) -> Token:
    """Meta's and Threads' short-lived token exchanged for a long-lived one (about 60 days;
    Facebook Page tokens read with it do not expire). Renewing it later is the tokens'
    lifecycle (planner/channels/), not the sign-in's."""
    spec = app.spec
    url = urljoin(app.api_url.rstrip("/") + "/", spec.long_lived_path)
    params = {"grant_type": spec.long_lived_grant, "client_secret": app.client_secret}
    if spec.long_lived_grant == "fb_exchange_token":
        params |= {"client_id": app.client_id, "fb_exchange_token": token.access_token}
    else:
        params["access_token"] = token.access_token
    response = http.get(url, params=params)
    body = json_object(response)
    if response.status_code >= 300 or not body.get("access_token"):
        raise Invalid(
            _("%(network)s refused a lasting access (%(said)s). Try Connect again.")
            % {"network": spec.label, "said": error_text(response)}
        )
    return replace(
        token, access_token=str(body["access_token"]), expires_in=_int(body.get("expires_in"))
    )


def accounts(app: NetworkApp, token: Token) -> list[Account]:
    """What this consent lets Maillon publish to (may be empty: then it says why)."""
    reader = READERS[app.spec.network]
    try:
        with _client() as http:
            if app.spec.long_lived_grant:
                token = long_lived(app, token, http)
            found = reader(app, token, http)
    except httpx.HTTPError as exc:
        raise Invalid(
            _("%(network)s could not be reached to see which accounts you gave (%(why)s).")
            % {"network": app.spec.label, "why": exc.__class__.__name__}
        ) from None
    return found


# --- each network ------------------------------------------------------------------------


def _get(app: NetworkApp, http: httpx.Client, url: str, token: str, **kwargs: Any) -> dict:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    response = http.get(url, headers=headers, **kwargs)
    if response.status_code >= 300:
        raise Invalid(
            _("%(network)s refused to say which accounts you gave (%(said)s).")
            % {"network": app.spec.label, "said": error_text(response)}
        )
    return json_object(response)


def _x(app: NetworkApp, token: Token, http: httpx.Client) -> list[Account]:
    user = _get(app, http, f"{app.api_url}/2/users/me", token.access_token).get("data") or {}
    if not user.get("id"):
        raise Invalid(_("X did not say which account signed in. Try Connect again."))
    # The app's secret stays in the settings (the refresh reads it there); the id only
    # says which app the tokens were issued to.
    credentials = {
        "client_id": app.client_id,
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "expires_at": int(time.time()) + token.expires_in if token.expires_in else 0,
        "user_id": str(user["id"]),
    }
    username = str(user.get("username") or "")
    return [
        Account(
            kind="x",
            account_id=str(user["id"]),
            name=str(user.get("name") or username),
            handle=f"@{username}" if username else "",
            credentials=credentials,
            # With offline.access the access renews itself (rotating refresh tokens).
            expires_in=0 if token.refresh_token else token.expires_in,
        )
    ]


def _linkedin(app: NetworkApp, token: Token, http: httpx.Client) -> list[Account]:
    me = _get(app, http, f"{app.api_url}/v2/userinfo", token.access_token)
    if not me.get("sub"):
        raise Invalid(_("LinkedIn did not say which member signed in. Try Connect again."))
    # With a refresh token, the connection lasts as long as the refresh token does.
    expires_in = token.refresh_expires_in if token.refresh_token else token.expires_in
    base = {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "client_id": app.client_id,
        "expires_at": int(time.time()) + token.expires_in if token.expires_in else 0,
    }
    member = f"urn:li:person:{me['sub']}"
    found = [
        Account(
            kind="linkedin",
            account_id=member,
            name=str(me.get("name") or me["sub"]),
            handle=str(me.get("email") or ""),
            credentials={**base, "author_urn": member},
            expires_in=expires_in,
        )
    ]
    headers = {"LinkedIn-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": "2.0.0"}
    params = {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}
    acls = _get(
        app,
        http,
        f"{app.api_url}/rest/organizationAcls",
        token.access_token,
        params=params,
        headers=headers,
    )
    for acl in acls.get("elements") or []:
        urn = str(acl.get("organization") or "")
        if not urn.startswith("urn:li:organization:"):
            continue
        number = urn.rsplit(":", 1)[-1]
        organization = _get(
            app,
            http,
            f"{app.api_url}/rest/organizations/{number}",
            token.access_token,
            headers=headers,
        )
        name = str(organization.get("localizedName") or urn)
        vanity = str(organization.get("vanityName") or "")
        found.append(
            Account(
                kind="linkedin",
                account_id=urn,
                name=name,
                handle=vanity,
                credentials={**base, "author_urn": urn},
                expires_in=expires_in,
            )
        )
    return found


def _meta(app: NetworkApp, token: Token, http: httpx.Client) -> list[Account]:
    found: list[Account] = []
    url = f"{app.api_url}/me/accounts"
    params: dict[str, Any] | None = {
        "fields": "id,name,access_token,tasks,instagram_business_account{id,username,name}",
        "limit": 100,
    }
    for _page in range(MAX_PAGES):
        body = _get(app, http, url, token.access_token, params=params)
        for page in body.get("data") or []:
            if not page.get("id") or not page.get("access_token"):
                continue
            page_id, page_token = str(page["id"]), str(page["access_token"])
            found.append(
                Account(
                    kind="facebook",
                    account_id=page_id,
                    name=str(page.get("name") or page_id),
                    handle="",
                    credentials={"page_id": page_id, "page_access_token": page_token},
                    # A Page token read with a long-lived user token does not expire.
                )
            )
            instagram = page.get("instagram_business_account") or {}
            if instagram.get("id"):
                username = str(instagram.get("username") or "")
                found.append(
                    Account(
                        kind="instagram",
                        account_id=str(instagram["id"]),
                        name=str(instagram.get("name") or username or instagram["id"]),
                        handle=f"@{username}" if username else "",
                        # The Page's token publishes for the Instagram account linked to it.
                        credentials={
                            "ig_user_id": str(instagram["id"]),
                            "access_token": page_token,
                        },
                        via=str(page.get("name") or page_id),
                    )
                )
        following = (body.get("paging") or {}).get("next")
        if not following or not str(following).startswith(app.api_url):
            break
        url, params = str(following), None
    return found


def _threads(app: NetworkApp, token: Token, http: httpx.Client) -> list[Account]:
    me = _get(
        app,
        http,
        f"{app.api_url}/me",
        token.access_token,
        params={"fields": "id,username,name"},
    )
    if not me.get("id"):
        raise Invalid(_("Threads did not say which profile signed in. Try Connect again."))
    username = str(me.get("username") or "")
    return [
        Account(
            kind="threads",
            account_id=str(me["id"]),
            name=str(me.get("name") or username or me["id"]),
            handle=f"@{username}" if username else "",
            credentials={"threads_user_id": str(me["id"]), "access_token": token.access_token},
            expires_in=token.expires_in,
        )
    ]


def _mastodon(app: NetworkApp, token: Token, http: httpx.Client) -> list[Account]:
    """One account per consent; its handle in full (@user@server), as people mention it."""
    me = _get(app, http, f"{app.api_url}/api/v1/accounts/verify_credentials", token.access_token)
    if not me.get("id") or not me.get("username"):
        raise Invalid(_("The server did not say which account signed in. Try Connect again."))
    username = str(me["username"])
    host = httpx.URL(app.api_url).host
    return [
        Account(
            kind="mastodon",
            account_id=str(me["id"]),
            name=str(me.get("display_name") or username),
            handle=f"@{username}@{host}",
            # Mastodon's tokens do not expire; they last until revoked.
            credentials={"access_token": token.access_token},
        )
    ]


READERS: dict[str, Callable[[NetworkApp, Token, httpx.Client], list[Account]]] = {
    "x": _x,
    "linkedin": _linkedin,
    "meta": _meta,
    "threads": _threads,
    "mastodon": _mastodon,
}


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
