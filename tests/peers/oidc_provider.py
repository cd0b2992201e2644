"""A real OAuth 2 authorization server for the tests: panva's certified ``oidc-provider``
(``tests/peers/oidc/provider.mjs``, installed from npm by ``make test-deps``), on
127.0.0.1, standing in for a network's authorization endpoint.

``oauth_server`` (session scope) starts it with one confidential client, ``maillon``,
whose redirect address the test names (``OAuthServer.client_for``), and stops it at the
end of the run. Authorization code with PKCE (S256, required), refresh tokens rotating at
each use, revocation and introspection; the provider's development login and consent
pages (any login) are the "consent screen" (``OAuthServer.consent``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

PEER_DIR = Path(__file__).resolve().parent / "oidc"
RUNNER = PEER_DIR / "provider.mjs"
CLIENT_ID = "maillon"
CLIENT_SECRET = "maillon-tests-client-secret"  # the local server's only
# Where the tests' client says it comes back; the provider never calls it (the code is
# read from its redirect).
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
SCOPES = ["tweet.read", "tweet.write", "users.read", "w_member_social", "pages_manage_posts"]
START_TIMEOUT = 20.0


def node() -> str:
    local = Path(sys.executable).parent / "node"
    return str(local) if local.exists() else (shutil.which("node") or "node")


@dataclass(frozen=True)
class OAuthServer:
    issuer: str
    metadata: dict

    @property
    def authorization_endpoint(self) -> str:
        return self.metadata["authorization_endpoint"]

    @property
    def token_endpoint(self) -> str:
        return self.metadata["token_endpoint"]

    def active(self, token: str, client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET)) -> dict:
        """The provider's introspection of a token: {"active": true, "sub": ..., ...}."""
        response = httpx.post(
            self.metadata["introspection_endpoint"], data={"token": token}, auth=client, timeout=10
        )
        return response.raise_for_status().json()

    def consent(self, authorize_url: str, login: str = "ann", back_to: str = REDIRECT_URI) -> str:
        """Sign in and consent on the provider's own pages, as a person would; returns
        the address the provider sends the browser back to (with ``code`` and ``state``,
        or ``error``)."""
        with httpx.Client(follow_redirects=False, timeout=10) as browser:
            response = browser.get(authorize_url)
            for _step in range(10):
                location = response.headers.get("location")
                if location and location.startswith(back_to):
                    return location
                if location:
                    response = browser.get(urljoin(response.url.__str__(), location))
                    continue
                form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
                assert form, response.text[:500]
                prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
                data = {"prompt": prompt.group(1) if prompt else "consent"}
                if data["prompt"] == "login":
                    data |= {"login": login, "password": "any"}
                response = browser.post(
                    urljoin(str(response.url), unescape(form.group(1))), data=data
                )
        raise AssertionError("the provider never sent the browser back")


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    config = {
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [REDIRECT_URI],
                "scope": " ".join(["offline_access", *SCOPES]),
            }
        ],
        "scopes": SCOPES,
    }
    with started(config) as server:
        yield server


@contextmanager
def started(config: dict) -> Iterator[OAuthServer]:
    """Another provider with its own clients (e.g. one per network, each with the
    callback addresses of the Maillon under test), stopped when the block ends."""
    process = subprocess.Popen(
        [node(), str(RUNNER), json.dumps(config)],
        cwd=PEER_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        issuer = json.loads(line)["issuer"]
        metadata = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=START_TIMEOUT)
        yield OAuthServer(issuer=issuer, metadata=metadata.raise_for_status().json())
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
