"""Connect Mastodon on any server, end to end against mastodon-mock (a real server on
127.0.0.1): the server typed, Maillon's app registered there, the server's own consent
page (the mock's account picker), the callback, the choice, and a channel the Mastodon
adapter publishes with. What the mock does not check (the client secret, the redirect
address, PKCE) is said in the README; the rest is Mastodon's protocol."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accounts.models import Role
from planner.channels.base import Outgoing, Published
from planner.channels.registry import adapter_for
from planner.models import AuditEvent, Channel, OAuthApp, PendingConnection
from planner.publishing.outgoing import channel_session
from tests.factories import ChannelFactory, MembershipFactory, UserFactory, WorkspaceFactory
from tests.planner.connection.networks import SITE, callback

pytestmark = pytest.mark.django_db


@pytest.fixture
def mastodon(settings, mastodon_mock_session: Any) -> str:
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "maillon.test"]
    httpx.post(f"{mastodon_mock_session.base_url}/api/v1/_mock/reset").raise_for_status()
    return mastodon_mock_session.base_url


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def consent(authorize_url: str, username: str = "alice") -> str:
    """Pick the account on the server's own consent page; the callback path it sends back."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
        answer = browser.post(
            str(page.url.copy_with(query=None)), data={**fields, "username": username}
        )
    assert answer.status_code == 302
    back = answer.headers["location"]
    assert back.startswith(callback(SITE, "mastodon"))
    return back.removeprefix(SITE)


def connect(admin, server: str, username: str = "alice") -> str:
    response = admin.post("/channels/connect/mastodon/", {"server": server})
    assert response.status_code == 302, response.content[:400]
    return consent(response["Location"], username)


def test_the_page_asks_for_the_server_and_names_what_maillon_asks_for(admin, mastodon):
    page = admin.get("/channels/connect/mastodon/").content.decode()
    assert 'name="server"' in page
    assert "write:statuses" in page and "write:media" in page
    assert 'data-testid="not-configured"' not in page  # no operator setting needed


def test_connect_registers_maillon_on_the_server_and_asks_with_pkce(admin, mastodon):
    response = admin.post("/channels/connect/mastodon/", {"server": mastodon})
    location = response["Location"]
    assert location.startswith(f"{mastodon}/oauth/authorize?")
    query = parse_qs(urlsplit(location).query)
    app = OAuthApp.objects.get(network="mastodon", server=mastodon)
    assert query["client_id"] == [app.client_id]
    assert query["redirect_uri"] == [callback(SITE, "mastodon")] == [app.redirect_uri]
    assert query["scope"] == ["read write:statuses write:media"]
    assert query["code_challenge_method"] == ["S256"]
    assert PendingConnection.objects.get().secret["server"] == mastodon


def test_a_mastodon_account_is_connected_and_the_adapter_publishes_with_it(admin, mastodon, cast):
    response = admin.get(connect(admin, mastodon))
    assert response.status_code == 302
    choose = response["Location"]
    assert "@alice@127.0.0.1" in admin.get(choose).content.decode()
    response = admin.post(choose, {"pick": "0", "name-0": "Alice on Mastodon"})
    assert response.status_code == 302, response.content[:400]

    channel = Channel.objects.get(workspace=cast.workspace)
    assert (channel.kind, channel.name, channel.base_url) == (
        "mastodon",
        "Alice on Mastodon",
        mastodon,
    )
    assert channel.handle == "@alice@127.0.0.1"
    assert channel.connected_with == "oauth" and channel.account_id
    assert channel.access_expires_at is None  # Mastodon's tokens last until revoked
    event = AuditEvent.objects.get(action="channel.create")
    assert channel.credentials["access_token"] not in str(event.data)
    with httpx.Client() as http:
        session = channel_session(channel, http)
        outcome = adapter_for("mastodon").publish(
            session, Outgoing(text="Hello from a connected account", idempotency_key="k-1")
        )
    assert isinstance(outcome, Published)
    statuses = httpx.get(f"{mastodon}/api/v1/accounts/{channel.account_id}/statuses").json()
    assert statuses[0]["id"] == outcome.external_id


def test_one_app_per_server_serves_every_workspace(admin, mastodon, client):
    admin.post("/channels/connect/mastodon/", {"server": mastodon})
    person = UserFactory()
    MembershipFactory(user=person, workspace=WorkspaceFactory(), role=Role.ADMIN)
    client.force_login(person)
    response = client.post("/channels/connect/mastodon/", {"server": f" {mastodon}/ "})
    assert response.status_code == 302
    assert OAuthApp.objects.filter(network="mastodon").count() == 1
    assert PendingConnection.objects.count() == 2


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Type your Mastodon server"),
        ("mastodon social", "is not a server address"),
        ("https://mastodon.social/@ann", "is not a server address"),
    ],
)
def test_a_wrong_server_is_said_beside_the_field_and_kept(admin, mastodon, typed, said):
    response = admin.post("/channels/connect/mastodon/", {"server": typed})
    assert response.status_code == 200
    page = response.content.decode()
    assert said in page
    assert f'value="{typed}"' in page
    assert not PendingConnection.objects.exists() and not OAuthApp.objects.exists()


def test_a_server_that_is_not_mastodon_is_said(admin, mastodon, httpserver):
    httpserver.expect_request("/api/v1/apps").respond_with_data("Not here", status=404)
    server = httpserver.url_for("/").rstrip("/")
    response = admin.post("/channels/connect/mastodon/", {"server": server})
    assert "does not answer as a Mastodon server (HTTP 404)" in response.content.decode()
    assert not PendingConnection.objects.exists()


def test_reconnect_keeps_the_channel_and_refuses_another_account(admin, mastodon, cast):
    admin.get(connect(admin, mastodon))
    choose = admin.get(connect(admin, mastodon))["Location"]
    admin.post(choose, {"pick": "0", "name-0": "Alice"})
    channel = Channel.objects.get(workspace=cast.workspace, name="Alice")
    Channel.objects.filter(pk=channel.pk).update(
        credentials={"access_token": "revoked"}, disconnected_reason="Revoked"
    )

    start = admin.post(f"/channels/{channel.pk}/reconnect/")
    assert start["Location"].startswith(f"{mastodon}/oauth/authorize?")
    wrong = admin.get(consent(start["Location"], username="bob"), follow=True)
    assert "as another account than the one Alice publishes to" in wrong.content.decode()
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "revoked"}

    start = admin.post(f"/channels/{channel.pk}/reconnect/")
    admin.get(consent(start["Location"], username="alice"))
    channel.refresh_from_db()
    assert channel.credentials["access_token"] != "revoked"
    assert channel.disconnected_reason == ""
    assert Channel.objects.filter(workspace=cast.workspace).count() == 1


def form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split(";") if "form-action" in part)


def test_only_a_page_where_the_server_is_typed_lets_forms_reach_any_https_server(
    admin, mastodon, cast
):
    assert "https:" in form_action(admin.get("/channels/connect/mastodon/")).split()
    assert "https:" not in form_action(admin.get("/channels/new/")).split()
    assert "https:" not in form_action(admin.get("/channels/")).split()


def test_the_channels_page_lets_reconnect_reach_its_mastodon_servers_only(admin, mastodon, cast):
    ChannelFactory(
        workspace=cast.workspace,
        kind="mastodon",
        base_url="https://piaille.example",
        connected_with="oauth",
    )
    ChannelFactory(workspace=cast.workspace, kind="mastodon", base_url="https://pasted.example")
    action = form_action(admin.get("/channels/")).split()
    assert "https://piaille.example" in action
    assert "https://pasted.example" not in action and "https:" not in action
