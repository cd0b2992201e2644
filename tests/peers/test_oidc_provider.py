"""The tests' authorization server speaks OAuth 2 as the networks do, to a maintained
client library (Authlib): code with PKCE, refresh tokens that rotate, revocation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from tests.peers.oidc_provider import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, oauth_server

__all__ = ["oauth_server"]


def client() -> OAuth2Client:
    return OAuth2Client(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="offline_access tweet.write",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )


def signed_in(server):
    oauth = client()
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(
        server.authorization_endpoint, code_verifier=verifier, prompt="consent"
    )
    back = server.consent(url)
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == [state]
    token = oauth.fetch_token(server.token_endpoint, code=query["code"][0], code_verifier=verifier)
    return oauth, token


def test_a_consent_gives_an_access_and_a_refresh_token(oauth_server):
    _oauth, token = signed_in(oauth_server)
    assert token["access_token"] and token["refresh_token"]
    assert "tweet.write" in token["scope"].split()


def test_a_code_without_its_pkce_verifier_is_refused(oauth_server):
    oauth = client()
    url, _state = oauth.create_authorization_url(
        oauth_server.authorization_endpoint, code_verifier=generate_token(48)
    )
    code = parse_qs(urlsplit(oauth_server.consent(url)).query)["code"][0]
    with pytest.raises(OAuthError, match="invalid_grant"):
        oauth.fetch_token(oauth_server.token_endpoint, code=code, code_verifier=generate_token(48))


def test_refresh_tokens_rotate_and_an_old_one_is_refused(oauth_server):
    oauth, first = signed_in(oauth_server)
    second = oauth.refresh_token(oauth_server.token_endpoint, refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(OAuthError, match="invalid_grant"):
        oauth.refresh_token(oauth_server.token_endpoint, refresh_token=first["refresh_token"])


def test_a_revoked_token_is_no_longer_active(oauth_server):
    _oauth, token = signed_in(oauth_server)
    auth = (CLIENT_ID, CLIENT_SECRET)
    introspect = oauth_server.metadata["introspection_endpoint"]
    assert httpx.post(introspect, data={"token": token["access_token"]}, auth=auth).json()["active"]
    revoked = httpx.post(
        oauth_server.metadata["revocation_endpoint"],
        data={"token": token["access_token"]},
        auth=auth,
    )
    assert revoked.status_code == 200
    assert not httpx.post(introspect, data={"token": token["access_token"]}, auth=auth).json()[
        "active"
    ]
