"""The real authorization server (panva's oidc-provider) and an X API stand-in on
127.0.0.1 that only takes the tokens that server issued, for the connection and engine
tests (import the fixtures by name: ``from tests.planner.connection.stand_ins import
oauth_server, x_api``)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.peers.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    OAuthServer,
    oauth_server,
)

__all__ = ["oauth_server", "x_api"]


def signed_in(server: OAuthServer) -> dict:
    """A person's consent on the provider's pages: the first access and refresh tokens."""
    oauth = OAuth2Client(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="offline_access tweet.write tweet.read users.read",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, _state = oauth.create_authorization_url(
        server.authorization_endpoint, code_verifier=verifier, prompt="consent"
    )
    code = parse_qs(urlsplit(server.consent(url)).query)["code"][0]
    return oauth.fetch_token(server.token_endpoint, code=code, code_verifier=verifier)


def revoke(server: OAuthServer, token: str) -> None:
    """The account holder removes the app: the provider revokes the grant."""
    httpx.post(
        server.metadata["revocation_endpoint"],
        data={"token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).raise_for_status()


def active(server: OAuthServer, token: str) -> bool:
    """The provider's own word (introspection) on whether a token still works."""
    answer = httpx.post(
        server.metadata["introspection_endpoint"],
        data={"token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    return bool(answer.json().get("active"))


@dataclass
class XApi:
    """X's token endpoint (``/2/oauth2/token``, passed through to the provider as it came)
    and ``POST /2/tweets``, which accepts only a token the provider says is active."""

    server: HTTPServer
    oauth: OAuthServer
    refreshes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        return self.server.url_for("/")

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        with self.lock:
            self.refreshes.append(form.get("refresh_token", ""))
        answer = httpx.post(
            self.oauth.token_endpoint,
            data=form,
            headers={"Authorization": request.headers.get("Authorization", "")},
            timeout=10,
        )
        if answer.status_code >= 400:
            with self.lock:
                self.refused.append(answer.text)
        return Response(answer.content, answer.status_code, content_type="application/json")

    def tweet(self, request: Request) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not active(self.oauth, bearer):
            return Response('{"title":"Unauthorized","status":401}', 401)
        text = request.get_json()["text"]
        with self.lock:
            self.posts.append(text)
            post_id = str(next(self.ids))
        body = f'{{"data":{{"id":"{post_id}","text":"{text}"}}}}'
        return Response(body, 201, content_type="application/json")


@pytest.fixture
def x_api(httpserver: HTTPServer, oauth_server: OAuthServer) -> XApi:
    api = XApi(httpserver, oauth_server)
    httpserver.expect_request("/2/oauth2/token", method="POST").respond_with_handler(api.token)
    httpserver.expect_request("/2/tweets", method="POST").respond_with_handler(api.tweet)
    return api
