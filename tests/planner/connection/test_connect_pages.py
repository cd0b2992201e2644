"""The pages around Connect: a network its operator has not set up says how (with the
exact callback address) and keeps the token form; Reconnect is offered where it can work;
only admins start a sign-in; a Reconnect brings back the same account or changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from planner.models import AuditEvent, Channel, PendingConnection
from tests.planner.connection.networks import client_of
from tests.planner.connection.test_connect_x import consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def test_an_unconfigured_network_says_how_to_set_it_up_and_keeps_the_token_form(admin, settings):
    settings.OAUTH_APPS = {}
    settings.SITE_URL = "https://maillon.example.com"
    page = admin.get("/channels/connect/x/").content.decode()
    assert "https://maillon.example.com/channels/connect/x/callback/" in page
    assert "X_CLIENT_ID" in page and "offline.access" in page
    assert "/channels/new/?kind=x" in page  # the pasted-token form stays
    choose = admin.get("/channels/new/").content.decode()
    assert "How to set up X's sign-in" in choose
    assert "/channels/connect/meta/" in choose
    form = admin.get("/channels/new/?kind=instagram").content.decode()
    assert "https://maillon.example.com/channels/connect/meta/callback/" in form
    assert "id_access_token" in form
    # Clicking Connect anyway is refused with the reason, and writes nothing.
    response = admin.post("/channels/connect/x/", follow=True)
    assert "X is not set up on this Maillon" in response.content.decode()
    assert not PendingConnection.objects.exists()


def test_a_configured_network_lists_its_scopes_and_allows_its_consent_page(admin, networks):
    response = admin.get("/channels/new/")
    page = response.content.decode()
    assert "Connect with Facebook &amp; Instagram" in page
    assert "Maillon cannot run" not in page
    assert networks.issuer in response["Content-Security-Policy"].split("form-action")[1]
    network_page = admin.get("/channels/connect/linkedin/").content.decode()
    assert "w_organization_social" in network_page and "Publish posts as those company" in (
        network_page
    )


@pytest.mark.parametrize("role", [Role.MARKETING, Role.CONTENT_MANAGER, Role.VIEWER])
def test_only_admins_start_a_sign_in(client, cast, networks, role):
    client.force_login(cast.as_role(role))
    assert client.post("/channels/connect/x/").status_code == 403
    assert client.get("/channels/connect/x/").status_code == 403
    assert not PendingConnection.objects.exists()


def test_an_admin_demoted_before_the_callback_connects_nothing(admin, networks, cast):
    back = consent(admin, networks)
    cast.workspace.memberships.filter(user=cast.admin).update(role=Role.MARKETING)
    assert admin.get(back).status_code == 403
    assert not Channel.objects.exists()


def test_reconnect_is_offered_for_signed_in_and_disconnected_channels(admin, cast):
    Channel.objects.create(
        workspace=cast.workspace, kind="x", name="Signed", connected_with="oauth"
    )
    Channel.objects.create(
        workspace=cast.workspace, kind="threads", name="Cut", disconnected_at=timezone.now()
    )
    Channel.objects.create(workspace=cast.workspace, kind="x", name="Pasted")
    Channel.objects.create(
        workspace=cast.workspace, kind="webhook", name="Hook", disconnected_at=timezone.now()
    )
    page = admin.get("/channels/").content.decode()
    assert 'Reconnect<span class="visually-hidden"> · Signed' in page
    assert 'Reconnect<span class="visually-hidden"> · Cut' in page
    assert "· Pasted" in page and 'Reconnect<span class="visually-hidden"> · Pasted' not in page
    assert 'Reconnect<span class="visually-hidden"> · Hook' not in page  # no sign-in there


def test_reconnect_renews_the_same_account_and_keeps_the_channel(admin, networks, cast):
    channel = Channel.objects.create(
        workspace=cast.workspace,
        kind="facebook",
        name="Bakery",
        credentials={"page_id": "101010", "page_access_token": "dead"},  # pasted, no account id
        disconnected_at=timezone.now(),
        disconnected_reason="Invalid OAuth access token.",
        access_expires_at=timezone.now() - timedelta(days=1),
    )
    response = admin.get(
        consent(admin, networks, "meta", start=f"/channels/{channel.pk}/reconnect/")
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.credentials["page_access_token"].startswith("page-token-101010-")
    assert channel.account_id == "101010" and channel.connected_with == "oauth"
    assert channel.disconnected_at is None and channel.disconnected_reason == ""
    assert channel.name == "Bakery"
    event = AuditEvent.objects.get(action="channel.reconnect")
    assert "dead" not in str(event.data) and "page-token" not in str(event.data)
    assert not PendingConnection.objects.exists()


def test_reconnect_as_another_account_is_refused_and_changes_nothing(admin, networks, cast):
    channel = Channel.objects.create(
        workspace=cast.workspace,
        kind="threads",
        name="Acme on Threads",
        connected_with="oauth",
        account_id="26000000000000001",
        credentials={"threads_user_id": "26000000000000001", "access_token": "old"},
    )
    start = f"/channels/{channel.pk}/reconnect/"
    page = admin.get(consent(admin, networks, "threads", login="bob", start=start), follow=True)
    assert "as another account than the one Acme on Threads publishes to" in (page.content.decode())
    channel.refresh_from_db()
    assert channel.credentials["access_token"] == "old"
    assert not AuditEvent.objects.filter(action="channel.reconnect").exists()


def test_another_workspaces_channel_cannot_be_reconnected(client, cast, other, networks):
    channel = Channel.objects.create(workspace=cast.workspace, kind="x", name="Ours")
    client.force_login(other.admin)
    assert client.post(f"/channels/{channel.pk}/reconnect/").status_code == 404
    assert not PendingConnection.objects.exists()
    assert client_of("x")  # the networks are configured: the refusal is the workspace's
