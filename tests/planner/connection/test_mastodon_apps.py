"""Maillon's app on a Mastodon server, registered against mastodon-mock (a real server on
127.0.0.1 with Mastodon's ``POST /api/v1/apps``); failures a live server gives that the
mock cannot be made to give come from pytest-httpserver in Mastodon's shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from planner.connection import mastodon_apps
from planner.errors import Invalid
from planner.models import OAuthApp

pytestmark = pytest.mark.django_db
CALLBACK = "https://maillon.example/channels/connect/mastodon/callback/"


@pytest.fixture
def mastodon(mastodon_mock_session: Any) -> str:
    httpx.post(f"{mastodon_mock_session.base_url}/api/v1/_mock/reset").raise_for_status()
    return mastodon_mock_session.base_url


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  https://Mastodon.Social/ ", "https://mastodon.social"),
        ("@ann@mastodon.social", "https://mastodon.social"),
        ("ann@Piaille.fr", "https://piaille.fr"),
        ("https://social.example:8443", "https://social.example:8443"),
        ("http://127.0.0.1:9999", "http://127.0.0.1:9999"),
    ],
)
def test_a_server_is_read_from_what_people_type(typed, address):
    assert mastodon_apps.server_address(typed) == address


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Type your Mastodon server"),
        ("https://mastodon.social/@ann", "is not a server address"),
        ("mastodon social", "is not a server address"),
        ("ftp://mastodon.social", "is not a server address"),
        ("https://user:pw@mastodon.social", "is not a server address"),
        ("http://mastodon.social", "reached over https"),
        ("https://-bad-.example", "is not a server address"),
    ],
)
def test_what_is_not_a_server_is_said(typed, said):
    with pytest.raises(Invalid) as refused:
        mastodon_apps.server_address(typed)
    assert said in refused.value.message


def test_the_app_is_registered_once_per_server_and_kept_encrypted(mastodon):
    app = mastodon_apps.app_for(mastodon, CALLBACK)
    again = mastodon_apps.app_for(mastodon, CALLBACK)
    assert again.pk == app.pk and again.client_id == app.client_id
    assert OAuthApp.objects.count() == 1
    # The server knows the client: a client-credentials grant with it succeeds.
    token = httpx.post(
        f"{mastodon}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": app.client_id, "scope": "read"},
    ).json()["access_token"]
    info = httpx.get(
        f"{mastodon}/api/v1/apps/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert info["name"] == "Maillon"
    assert info["scopes"] == ["read", "write:statuses", "write:media"]
    stored = OAuthApp.objects.values_list("client_secret", flat=True).get()
    assert stored == {"secret": mastodon_apps.client_secret(app)}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM planner_oauthapp")
        (raw,) = cursor.fetchone()
    assert mastodon_apps.client_secret(app) not in str(raw)


def test_a_new_callback_address_registers_again(mastodon):
    first = mastodon_apps.app_for(mastodon, CALLBACK)
    moved = mastodon_apps.app_for(
        mastodon, "https://planner.example/channels/connect/mastodon/callback/"
    )
    assert moved.pk == first.pk
    assert moved.client_id != first.client_id
    assert moved.redirect_uri.startswith("https://planner.example/")


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (404, {"error": "Not found"}, "does not answer as a Mastodon server (HTTP 404)"),
        (200, {"id": "1"}, "does not answer as a Mastodon server (HTTP 200)"),
        (429, {"error": "Too many requests"}, "limiting new apps"),
        (503, {"error": "down"}, "could not reach"),
    ],
)
def test_a_server_that_will_not_register_says_why(httpserver, status, body, said):
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(body, status=status)
    server = httpserver.url_for("/").rstrip("/")
    with pytest.raises(Invalid) as refused:
        mastodon_apps.app_for(server, CALLBACK)
    assert said in refused.value.message
    assert not OAuthApp.objects.exists()


def test_a_server_in_a_private_network_is_refused_before_anything_is_sent(settings):
    with pytest.raises(Invalid) as refused:
        mastodon_apps.app_for("https://10.1.2.3", CALLBACK)
    assert "private network" in refused.value.message
