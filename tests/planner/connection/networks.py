"""The networks, as Connect meets them in the tests.

The authorization server is the real one (panva's oidc-provider, tests/peers/oidc), one
client per network: X's takes HTTP Basic and requires PKCE; LinkedIn's, Meta's and
Threads' take the secret in the form and no PKCE, as those networks do for web apps.
Each network's API is a small pytest-httpserver stand-in speaking that network's shape
for the "who am I / which pages" calls, answering only tokens the provider issued and
still holds active (asked through the provider's introspection endpoint). Who the
token belongs to is the login typed on the provider's page (``PEOPLE``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from werkzeug import Request, Response

from tests.peers.oidc_provider import OAuthServer, started

SITE = "http://maillon.test"  # SITE_URL of the page tests (the test client's own host)
NETWORKS = ("x", "linkedin", "meta", "threads")
SCOPES = sorted(
    {
        "tweet.read", "tweet.write", "users.read", "media.write", "offline.access",
        "profile", "w_member_social", "r_organization_admin", "w_organization_social",
        "r_organization_social", "pages_show_list", "pages_manage_posts",
        "pages_read_engagement", "business_management", "instagram_basic",
        "instagram_content_publish", "threads_basic", "threads_content_publish",
        "threads_delete", "threads_manage_insights",
    }
)  # fmt: skip


def client_of(network: str) -> tuple[str, str]:
    return f"maillon-{network}", f"secret-of-maillon-{network}-app"


def callback(site: str, network: str) -> str:
    return f"{site}/channels/connect/{network}/callback/"


@contextmanager
def provider(*sites: str, access_ttl: int = 3600) -> Iterator[OAuthServer]:
    clients = []
    for network in NETWORKS:
        client_id, secret = client_of(network)
        clients.append(
            {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": [callback(site, network) for site in sites],
                "token_endpoint_auth_method": (
                    "client_secret_basic" if network == "x" else "client_secret_post"
                ),
                "scope": " ".join(["openid", "offline_access", *SCOPES]),
            }
        )
    config = {
        "clients": clients,
        "scopes": SCOPES,
        "pkceOptional": [client_of(n)[0] for n in NETWORKS if n != "x"],
        "commaScopes": [client_of("threads")[0]],
        "accessTokenTTL": access_ttl,
    }
    with started(config) as server:
        yield server


def oauth_apps(server: OAuthServer, api: str) -> dict:
    """settings.OAUTH_APPS for the provider and the stand-in API at ``api``."""
    apps = {}
    for network in NETWORKS:
        client_id, secret = client_of(network)
        apps[network] = {
            "client_id": client_id,
            "client_secret": secret,
            "authorize_url": server.authorization_endpoint,
            "token_url": server.token_endpoint,
            "api_url": api.rstrip("/") + ("/v25.0" if network == "meta" else ""),
        }
    return apps


# Who each login on the provider's page is, on each network.
PEOPLE = {
    "ann": {
        "x": {"id": "1460000000000000001", "name": "Acme", "username": "acme"},
        "linkedin": {"sub": "aNn-42", "name": "Ann Martin", "email": "ann@acme.example"},
        "organizations": {"2414183": {"localizedName": "Acme Corp", "vanityName": "acme"}},
        "pages": [
            {
                "id": "101010",
                "name": "Acme Bakery",
                "instagram": {"id": "17841400000000001", "username": "acme.bakery"},
            },
            {"id": "202020", "name": "Acme Jobs", "instagram": None},
        ],
        "threads": {"id": "26000000000000001", "username": "acme", "name": "Acme"},
    },
    "bob": {
        "x": {"id": "1460000000000000002", "name": "Bob's", "username": "bob"},
        "linkedin": {"sub": "b0b-7", "name": "Bob Durand", "email": "bob@acme.example"},
        "organizations": {},
        "pages": [],
        "threads": {"id": "26000000000000002", "username": "bob", "name": "Bob"},
    },
}


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def install_apis(httpserver, server: OAuthServer) -> None:
    """X, LinkedIn, Graph and Threads "who am I" endpoints on ``httpserver``."""

    # Meta's and Threads' long-lived tokens, each standing for the provider's token it
    # was exchanged for (still checked by introspection at each use).
    long_lived: dict[str, str] = {}

    def person(request: Request, network: str) -> dict | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header.removeprefix("Bearer ")
        seen = server.active(long_lived.get(token, token), client_of(network))
        if not seen.get("active") or seen.get("client_id") != client_of(network)[0]:
            return None
        return PEOPLE.get(str(seen.get("sub")))

    def refused(network: str) -> Response:
        if network == "x":
            return _json({"title": "Unauthorized", "detail": "Unauthorized", "status": 401}, 401)
        if network == "linkedin":
            body = {"status": 401, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid token"}
            return _json(body, 401)
        error = {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
        return _json({"error": error}, 400)

    def x_me(request: Request) -> Response:
        who = person(request, "x")
        return _json({"data": who["x"]}) if who else refused("x")

    def userinfo(request: Request) -> Response:
        who = person(request, "linkedin")
        return _json(who["linkedin"]) if who else refused("linkedin")

    def acls(request: Request) -> Response:
        who = person(request, "linkedin")
        if not who:
            return refused("linkedin")
        assert request.args.get("q") == "roleAssignee", request.args
        assert request.headers.get("LinkedIn-Version"), "LinkedIn needs its version header"
        elements = [
            {
                "roleAssignee": f"urn:li:person:{who['linkedin']['sub']}",
                "role": "ADMINISTRATOR",
                "state": "APPROVED",
                "organization": f"urn:li:organization:{number}",
            }
            for number in who["organizations"]
        ]
        return _json({"elements": elements, "paging": {"count": 10, "start": 0, "links": []}})

    def organization(request: Request) -> Response:
        who = person(request, "linkedin")
        if not who:
            return refused("linkedin")
        number = urlsplit(request.url).path.rsplit("/", 1)[-1]
        found = who["organizations"].get(number)
        if found is None:
            return _json({"status": 404, "message": "Not enough permissions"}, 403)
        return _json({"id": int(number), **found})

    def accounts(request: Request) -> Response:
        who = person(request, "meta")
        if not who:
            return refused("meta")
        user_token = request.headers["Authorization"].removeprefix("Bearer ")
        lasting = "from-a-long-lived-token" if user_token in long_lived else "for-an-hour"
        data = []
        for page in who["pages"]:
            entry = {
                "id": page["id"],
                "name": page["name"],
                # As Meta: a Page token read with a long-lived user token does not expire.
                "access_token": f"page-token-{page['id']}-{lasting}",
                "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MODERATE", "MANAGE"],
            }
            if page["instagram"]:
                entry["instagram_business_account"] = page["instagram"]
            data.append(entry)
        return _json({"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}})

    def exchange(request: Request, network: str, grant: str, short_key: str) -> Response:
        client_id, secret = client_of(network)
        args = request.args
        if args.get("grant_type") != grant or args.get("client_secret") != secret:
            return _json({"error": {"message": "Invalid client_secret", "code": 1}}, 400)
        if network == "meta" and args.get("client_id") != client_id:
            return _json({"error": {"message": "Invalid client_id", "code": 101}}, 400)
        short = str(args.get(short_key) or "")
        seen = server.active(short, client_of(network))
        if not seen.get("active") or short in long_lived.values():
            return refused(network)
        token = f"long-lived-{network}-{len(long_lived)}-{short[-6:]}"
        long_lived[token] = short
        return _json({"access_token": token, "token_type": "bearer", "expires_in": 5183944})

    def threads_me(request: Request) -> Response:
        who = person(request, "threads")
        return _json(who["threads"]) if who else refused("threads")

    httpserver.expect_request("/2/users/me").respond_with_handler(x_me)
    httpserver.expect_request("/v2/userinfo").respond_with_handler(userinfo)
    httpserver.expect_request("/rest/organizationAcls").respond_with_handler(acls)
    for number in ("2414183", "99"):
        httpserver.expect_request(f"/rest/organizations/{number}").respond_with_handler(
            organization
        )
    httpserver.expect_request("/v25.0/me/accounts").respond_with_handler(accounts)
    httpserver.expect_request("/me").respond_with_handler(threads_me)
    httpserver.expect_request("/v25.0/oauth/access_token", method="GET").respond_with_handler(
        lambda request: exchange(request, "meta", "fb_exchange_token", "fb_exchange_token")
    )
    httpserver.expect_request("/access_token", method="GET").respond_with_handler(
        lambda request: exchange(request, "threads", "th_exchange_token", "access_token")
    )
