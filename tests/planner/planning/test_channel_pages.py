"""Channel pages: admins connect, test, disable and enable channels; everyone sees them.

Connection tests talk to pytest-httpserver answering as Mastodon's verify_credentials.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from django.utils.html import escape
from werkzeug import Request, Response

from accounts.models import Role
from planner.channels.registry import ADAPTERS, adapter_for
from planner.errors import Invalid, NotAllowed
from planner.models import AuditEvent, Channel, Publication
from planner.planning import services
from planner.planning.channel_forms import NETWORKS
from planner.posts import actions
from tests.factories import ChannelFactory, PostFactory
from tests.peers.bluesky_pds import LocalPds

pytestmark = pytest.mark.django_db

VERIFY = "/api/v1/accounts/verify_credentials"
TOKEN = "s3cret-t0ken-never-shown"
NOT_ADMINS = [Role.MARKETING, Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mastodon_form(**overrides) -> dict:
    return {
        "name": "Acme on Mastodon",
        "handle": "@acme@mastodon.example",
        "base_url": "https://mastodon.example",
        "access_token": TOKEN,
        **overrides,
    }


@pytest.fixture
def channel(cast):
    return ChannelFactory(
        workspace=cast.workspace,
        name="Fediverse",
        base_url="https://mastodon.example",
        credentials={"access_token": TOKEN},
    )


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


# --- the list -------------------------------------------------------------------------


def test_every_member_sees_the_channels_and_their_state(client, cast, channel):
    ChannelFactory(workspace=cast.workspace, name="Old one", is_active=False)
    client.force_login(cast.viewer)
    page = client.get("/channels/").content.decode()
    assert "Fediverse" in page
    assert "https://mastodon.example" in page
    assert "Active" in page
    assert "Disabled" in page
    assert "Never tested" in page
    assert "Test connection" not in page
    assert "Connect a channel" not in page


def test_the_list_shows_the_last_test_and_when(client, cast, channel):
    channel.last_checked_at = channel.created_at
    channel.last_check_ok = False
    channel.last_check_message = "mastodon.example could not be reached."
    channel.save()
    client.force_login(cast.contributor)
    page = client.get("/channels/").content.decode()
    assert "Failed" in page
    assert "mastodon.example could not be reached." in page
    assert '<time datetime="' in page


def test_an_admin_sees_the_controls(admin, channel):
    page = admin.get("/channels/").content.decode()
    for control in ("Test connection", "Edit", "Disable", "Connect a channel"):
        assert control in page


def test_no_channel_yet_invites_the_admin_to_connect_one(admin):
    page = admin.get("/channels/").content.decode()
    assert "No channel yet: connect your first one." in page


def test_the_list_holds_no_secret(admin, channel):
    assert TOKEN not in admin.get("/channels/").content.decode()


# --- connecting -----------------------------------------------------------------------


def test_connecting_starts_by_choosing_the_network(admin):
    page = admin.get("/channels/new/").content.decode()
    for network in NETWORKS.values():
        assert f"?kind={network.kind}" in page
        assert escape(str(network.summary)) in page


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_each_networks_form_asks_what_its_adapter_needs_and_where_to_find_it(admin, kind):
    assert set(NETWORKS[kind].credentials) == set(adapter_for(kind).credential_fields)
    response = admin.get(f"/channels/new/?kind={kind}")
    assert response.status_code == 200
    assert escape(str(NETWORKS[kind].where)) in response.content.decode()
    assert set(adapter_for(kind).credential_fields) <= set(response.context["form"].fields)


def test_an_unknown_network_is_not_found(admin):
    assert admin.get("/channels/new/?kind=myspace").status_code == 404


def test_an_admin_connects_a_mastodon_channel(admin, cast):
    response = admin.post("/channels/new/?kind=mastodon", mastodon_form())
    channel = Channel.objects.get()
    assert response.status_code == 302
    assert response.url == f"/channels/#channel-{channel.pk}"
    assert (channel.kind, channel.name, channel.base_url) == (
        "mastodon",
        "Acme on Mastodon",
        "https://mastodon.example",
    )
    assert channel.credentials == {"access_token": TOKEN}
    event = AuditEvent.objects.get(action="channel.create")
    assert TOKEN not in str(event.data)


def test_a_missing_token_is_said_on_its_field_and_the_rest_is_kept(admin):
    response = admin.post("/channels/new/?kind=mastodon", mastodon_form(access_token=""))
    assert response.status_code == 200
    assert response.context["form"].errors["access_token"] == [
        "This is needed to connect the channel."
    ]
    page = response.content.decode()
    assert 'value="Acme on Mastodon"' in page
    assert 'value="https://mastodon.example"' in page
    assert not Channel.objects.exists()


def test_a_typed_secret_is_not_sent_back_after_an_error(admin):
    response = admin.post("/channels/new/?kind=mastodon", mastodon_form(base_url="not a url"))
    page = response.content.decode()
    assert "base_url" in response.context["form"].errors
    assert TOKEN not in page
    assert "type them again" in page
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    "address", ["http://mastodon.example", "ftp://mastodon.example", "https://"]
)
def test_a_server_address_must_be_https(admin, address):
    response = admin.post("/channels/new/?kind=mastodon", mastodon_form(base_url=address))
    assert "base_url" in response.context["form"].errors
    assert not Channel.objects.exists()


def test_plain_http_is_allowed_to_this_machine(admin):
    response = admin.post(
        "/channels/new/?kind=mastodon", mastodon_form(base_url="http://127.0.0.1:8025")
    )
    assert response.status_code == 302
    assert Channel.objects.get().base_url == "http://127.0.0.1:8025"


def test_a_taken_name_is_said_on_the_name_field(admin, channel):
    response = admin.post("/channels/new/?kind=mastodon", mastodon_form(name="Fediverse"))
    assert response.context["form"].errors["name"] == ["A channel with this name already exists."]
    assert Channel.objects.count() == 1


def test_a_webhook_address_is_a_secret_and_must_be_https(admin):
    response = admin.post(
        "/channels/new/?kind=slack",
        {"name": "Team", "webhook_url": "http://hooks.slack.example/services/T/B/X"},
    )
    assert "webhook_url" in response.context["form"].errors
    assert "hooks.slack.example" not in response.content.decode()


def bluesky_form(pds: LocalPds, **overrides) -> dict:
    form = {
        "name": "Sky",
        "base_url": pds.url,
        "identifier": pds.handle,
        "app_password": pds.app_password,
    }
    return {**form, **overrides}


def test_a_bluesky_channel_keeps_its_identifier_in_the_open(admin, bluesky_pds):
    response = admin.post("/channels/new/?kind=bluesky", bluesky_form(bluesky_pds))
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.credentials == {
        "identifier": bluesky_pds.handle,
        "app_password": bluesky_pds.app_password,
    }
    assert channel.last_check_ok
    assert channel.last_check_message == f"Connected: @{bluesky_pds.handle}."
    page = admin.get(f"/channels/{channel.pk}/edit/").content.decode()
    assert f'value="{bluesky_pds.handle}"' in page
    assert bluesky_pds.app_password not in page


def test_a_bluesky_handle_that_resolves_nowhere_is_said_on_the_form(admin, bluesky_pds):
    form = bluesky_form(bluesky_pds, identifier="acme-misspelt.test")
    response = admin.post("/channels/new/?kind=bluesky", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "No Bluesky account has the handle @acme-misspelt.test" in page
    assert 'value="Sky"' in page  # what was typed is kept (but the app password)
    assert not Channel.objects.exists()


def test_a_refused_bluesky_app_password_saves_nothing(admin, bluesky_pds):
    form = bluesky_form(bluesky_pds, app_password="aaaa-bbbb-cccc-dddd")
    response = admin.post("/channels/new/?kind=bluesky", form)
    assert response.status_code == 200
    assert "Bluesky refused the credentials (HTTP 401" in response.content.decode()
    assert not Channel.objects.exists()


def new_app_password(pds: LocalPds) -> str:
    session = httpx.post(
        pds.xrpc("com.atproto.server.createSession"),
        json={"identifier": pds.handle, "password": pds.password},
    ).json()
    return httpx.post(
        pds.xrpc("com.atproto.server.createAppPassword"),
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        json={"name": f"Maillon {time.monotonic_ns()}"},
    ).json()["password"]


# --- editing --------------------------------------------------------------------------


def test_the_edit_page_never_shows_a_stored_secret(admin, channel):
    page = admin.get(f"/channels/{channel.pk}/edit/").content.decode()
    assert TOKEN not in page
    assert 'type="password"' in page
    assert "leave blank to keep the current one" in page


def test_a_secret_left_blank_keeps_the_stored_one(admin, channel):
    response = admin.post(
        f"/channels/{channel.pk}/edit/", mastodon_form(name="Renamed", access_token="")
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    assert channel.credentials == {"access_token": TOKEN}


def test_a_new_secret_replaces_the_stored_one(admin, channel):
    admin.post(f"/channels/{channel.pk}/edit/", mastodon_form(access_token="fresh-token"))
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "fresh-token"}
    assert "fresh-token" not in str(AuditEvent.objects.get(action="channel.update").data)


def test_a_new_app_password_drops_the_session_made_with_the_old_one(cast, bluesky_pds):
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind="bluesky",
        base_url=bluesky_pds.url,
        credentials={
            "identifier": bluesky_pds.handle,
            "app_password": "old",
            "accessJwt": "a",
            "refreshJwt": "r",
            "did": "did:plc:x",
        },
    )
    fresh = new_app_password(bluesky_pds)
    services.channel_save(
        actor=cast.admin,
        workspace=cast.workspace,
        channel=channel,
        kind="bluesky",
        name=channel.name,
        credentials={"identifier": "", "app_password": fresh},
    )
    channel.refresh_from_db()
    assert channel.credentials == {"identifier": bluesky_pds.handle, "app_password": fresh}


# --- testing the connection -----------------------------------------------------------


def local_mastodon(cast, httpserver, **kwargs) -> Channel:
    return ChannelFactory(
        workspace=cast.workspace,
        name="Local",
        base_url=httpserver.url_for("/").rstrip("/"),
        credentials={"access_token": TOKEN},
        **kwargs,
    )


def test_a_working_connection_shows_the_account_it_reached(admin, cast, httpserver):
    httpserver.expect_request(
        VERIFY, headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"id": "1", "username": "acme", "acct": "acme"})
    channel = local_mastodon(cast, httpserver)
    response = admin.post(f"/channels/{channel.pk}/test/", follow=True)
    page = response.content.decode()
    assert "Local: the connection works. Connected: @acme." in page
    channel.refresh_from_db()
    assert channel.last_check_ok
    assert channel.last_checked_at is not None
    assert channel.last_check_message == "Connected: @acme."
    event = AuditEvent.objects.get(action="channel.test")
    assert event.data == {"ok": True, "message": "Connected: @acme."}


def test_a_refused_token_is_said_plainly(admin, cast, httpserver):
    httpserver.expect_request(VERIFY).respond_with_json(
        {"error": "The access token is invalid"}, status=401
    )
    channel = local_mastodon(cast, httpserver)
    page = admin.post(f"/channels/{channel.pk}/test/", follow=True).content.decode()
    assert "the connection test failed" in page
    assert "Mastodon refused the credentials (HTTP 401: The access token is invalid)" in page
    channel.refresh_from_db()
    assert not channel.last_check_ok
    assert "HTTP 401" in channel.last_check_message


def test_an_html_error_page_from_the_server_is_never_shown_on_the_channels_page(
    admin, cast, httpserver
):
    body = (
        "<html><head><title>502 Bad Gateway</title></head><body>"
        "<script>alert('xss')</script><h1>nginx says no</h1><form action=/login></form>"
        "</body></html>"
    )
    httpserver.expect_request(VERIFY).respond_with_data(body, status=502, content_type="text/html")
    channel = local_mastodon(cast, httpserver)
    page = admin.post(f"/channels/{channel.pk}/test/", follow=True).content.decode()
    channel.refresh_from_db()
    assert channel.last_check_ok is False
    assert channel.last_check_message == "Mastodon is unavailable (HTTP 502)."
    for piece in ("nginx says no", "alert(", "&lt;script", "<script>alert", "/login"):
        assert piece not in page, piece
        assert piece not in channel.last_check_message, piece


def test_a_closed_port_is_said_plainly(admin, cast):
    channel = ChannelFactory(
        workspace=cast.workspace, name="Gone", base_url=f"http://127.0.0.1:{closed_port()}"
    )
    response = admin.post(f"/channels/{channel.pk}/test/", follow=True)
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.last_check_message.startswith("127.0.0.1 could not be reached")
    assert "Check the address" in channel.last_check_message


def test_a_slow_server_hits_the_time_limit(admin, cast, httpserver, settings):
    settings.CHANNEL_CHECK_TIMEOUT_SECONDS = 0.3

    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(VERIFY).respond_with_handler(slow)
    channel = local_mastodon(cast, httpserver)
    started = time.monotonic()
    admin.post(f"/channels/{channel.pk}/test/")
    assert time.monotonic() - started < 1.0
    channel.refresh_from_db()
    assert "did not answer within 0.3 seconds" in channel.last_check_message


def test_a_tls_failure_is_said_plainly(admin, cast, httpserver):
    # https to a server that speaks plain http: the handshake fails.
    channel = ChannelFactory(
        workspace=cast.workspace, name="Bad TLS", base_url=f"https://127.0.0.1:{httpserver.port}"
    )
    admin.post(f"/channels/{channel.pk}/test/")
    channel.refresh_from_db()
    assert "The secure (TLS) connection to 127.0.0.1 failed" in channel.last_check_message


def test_an_adapter_crash_is_a_failed_test_not_a_server_error(admin, channel, monkeypatch):
    def crash(self, session):
        raise RuntimeError("bug")

    monkeypatch.setattr(type(adapter_for("mastodon")), "check_connection", crash)
    response = admin.post(f"/channels/{channel.pk}/test/", follow=True)
    assert response.status_code == 200
    assert "unexpected error (RuntimeError)" in response.content.decode()


def test_a_webhook_test_says_it_only_checked_the_address(admin, cast):
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind="slack",
        base_url="",
        credentials={"webhook_url": "https://hooks.slack.com/services/T/B/X"},
    )
    admin.post(f"/channels/{channel.pk}/test/")
    channel.refresh_from_db()
    assert channel.last_check_ok
    assert "the first post will confirm it" in channel.last_check_message


# --- disabling and enabling -----------------------------------------------------------


def test_disabling_first_says_what_happens_to_scheduled_posts(admin, cast, channel):
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
    Publication.objects.create(post=post, channel=channel, due_at=post.scheduled_at)
    response = admin.post(f"/channels/{channel.pk}/disable/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "marked as failed" in page
    assert "1 publication is scheduled on this channel." in page
    assert f"/posts/{post.pk}/" in page
    channel.refresh_from_db()
    assert channel.is_active


def test_a_confirmed_disable_disables_the_channel(admin, channel):
    response = admin.post(f"/channels/{channel.pk}/disable/", {"confirmed": "yes"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert not channel.is_active
    assert AuditEvent.objects.filter(action="channel.disable").exists()


def test_enabling_brings_a_channel_back(admin, channel):
    channel.is_active = False
    channel.save()
    admin.post(f"/channels/{channel.pk}/enable/")
    channel.refresh_from_db()
    assert channel.is_active
    assert AuditEvent.objects.filter(action="channel.enable").exists()


@pytest.mark.parametrize("action", ["test", "disable", "enable"])
def test_actions_are_posts_only(admin, channel, action):
    assert admin.get(f"/channels/{channel.pk}/{action}/").status_code == 405


# --- who may --------------------------------------------------------------------------


def requests_of_an_admin(channel):
    return [
        ("get", "/channels/new/", {}),
        ("get", "/channels/new/?kind=mastodon", {}),
        ("post", "/channels/new/?kind=mastodon", mastodon_form(name="Sneaky")),
        ("get", f"/channels/{channel.pk}/edit/", {}),
        ("post", f"/channels/{channel.pk}/edit/", mastodon_form(name="Sneaky")),
        ("post", f"/channels/{channel.pk}/test/", {}),
        ("post", f"/channels/{channel.pk}/disable/", {"confirmed": "yes"}),
        ("post", f"/channels/{channel.pk}/enable/", {}),
    ]


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_other_roles_are_refused_and_nothing_changes(client, cast, channel, role):
    channel.is_active = False
    channel.save()
    client.force_login(cast.as_role(role))
    for method, url, data in requests_of_an_admin(channel):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    channel.refresh_from_db()
    assert (channel.name, channel.is_active, channel.last_checked_at) == ("Fediverse", False, None)
    assert Channel.objects.count() == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_the_test_service_refuses_other_roles(cast, channel, role):
    with pytest.raises(NotAllowed):
        services.channel_test_connection(actor=cast.as_role(role), channel=channel)


def test_another_workspaces_channel_is_not_found(client, channel, other):
    client.force_login(other.admin)
    for method, url, data in requests_of_an_admin(channel)[3:]:
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    channel.refresh_from_db()
    assert (channel.name, channel.is_active, channel.last_checked_at) == ("Fediverse", True, None)


# --- a new address: the stored secrets stay behind --------------------------------------


def test_a_new_server_address_without_the_token_is_refused_on_the_token_field(admin, channel):
    response = admin.post(
        f"/channels/{channel.pk}/edit/",
        mastodon_form(base_url="https://elsewhere.example", access_token=""),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The address changed, so the stored secrets are not sent to it" in page
    channel.refresh_from_db()
    assert channel.base_url == "https://mastodon.example"
    assert channel.credentials == {"access_token": TOKEN}
    assert not AuditEvent.objects.filter(action="channel.update").exists()


def test_a_new_server_address_keeps_what_was_typed_again(admin, channel):
    response = admin.post(
        f"/channels/{channel.pk}/edit/",
        mastodon_form(base_url="https://elsewhere.example", access_token="typed-again"),
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.base_url == "https://elsewhere.example"
    assert channel.credentials == {"access_token": "typed-again"}
    event = AuditEvent.objects.get(action="channel.update")
    assert event.data["before"]["base_url"] == "https://mastodon.example"
    assert event.data["after"]["base_url"] == "https://elsewhere.example"
    assert event.data["after"]["credentials"] == {"access_token": "••••"}
    assert "typed-again" not in str(event.data) and TOKEN not in str(event.data)


def test_the_stored_token_never_reaches_the_new_host_on_the_next_test(admin, channel, httpserver):
    """Before the fix, the address changed and the stored token went along to it."""
    httpserver.expect_request(VERIFY).respond_with_json({"id": "1", "acct": "thief"})
    admin.post(
        f"/channels/{channel.pk}/edit/",
        mastodon_form(base_url=httpserver.url_for("/").rstrip("/"), access_token=""),
    )
    admin.post(f"/channels/{channel.pk}/test/")
    sent = [r.headers.get("Authorization", "") for r, _response in httpserver.log]
    assert not any(TOKEN in header for header in sent)


def test_the_same_address_written_differently_keeps_the_token(admin, channel):
    response = admin.post(
        f"/channels/{channel.pk}/edit/",
        mastodon_form(base_url="https://Mastodon.example:443/", access_token=""),
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": TOKEN}


def test_the_same_address_written_out_keeps_the_app_password(cast, bluesky_pds):
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind="bluesky",
        base_url=bluesky_pds.url,
        credentials={"identifier": bluesky_pds.handle, "app_password": bluesky_pds.app_password},
    )
    services.channel_save(
        actor=cast.admin,
        workspace=cast.workspace,
        channel=channel,
        kind="bluesky",
        name=channel.name,
        base_url=bluesky_pds.url + "/",
        credentials={"identifier": bluesky_pds.handle, "app_password": ""},
    )
    channel.refresh_from_db()
    assert channel.credentials["app_password"] == bluesky_pds.app_password


def test_a_new_pds_drops_the_session_and_asks_for_the_app_password(cast, bluesky_pds):
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind="bluesky",
        base_url="",
        credentials={
            "identifier": bluesky_pds.handle,
            "app_password": "old",
            "accessJwt": "a",
            "refreshJwt": "r",
            "did": "did:plc:x",
        },
    )

    def save(app_password):
        return services.channel_save(
            actor=cast.admin,
            workspace=cast.workspace,
            channel=channel,
            kind="bluesky",
            name=channel.name,
            base_url=bluesky_pds.url,
            credentials={"identifier": bluesky_pds.handle, "app_password": app_password},
        )

    with pytest.raises(Invalid) as refused:
        save("")
    assert list(refused.value.fields) == ["app_password"]
    channel.refresh_from_db()
    save(bluesky_pds.app_password)
    channel.refresh_from_db()
    assert channel.credentials == {
        "identifier": bluesky_pds.handle,
        "app_password": bluesky_pds.app_password,
    }
    event = AuditEvent.objects.get(action="channel.update")
    assert event.data["after"]["credentials_dropped"] == ["accessJwt", "did", "refreshJwt"]


def webhook_channel(cast):
    return ChannelFactory(
        workspace=cast.workspace,
        kind="webhook",
        name="Receiver",
        base_url="",
        credentials={"webhook_url": "https://receiver.example/hook", "signing_secret": "s" * 40},
    )


def test_a_new_webhook_address_asks_for_the_signing_secret_again(admin, cast):
    channel = webhook_channel(cast)
    form = {"name": "Receiver", "handle": "", "webhook_url": "https://other.example/hook"}
    response = admin.post(f"/channels/{channel.pk}/edit/", {**form, "signing_secret": ""})
    assert response.status_code == 200
    assert "The address changed" in response.content.decode()
    channel.refresh_from_db()
    assert channel.credentials["webhook_url"] == "https://receiver.example/hook"
    response = admin.post(f"/channels/{channel.pk}/edit/", {**form, "signing_secret": "n" * 40})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.credentials == {
        "webhook_url": "https://other.example/hook",
        "signing_secret": "n" * 40,
    }


def test_a_new_slack_webhook_replaces_the_old_one(admin, cast):
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind="slack",
        name="Team",
        base_url="",
        credentials={"webhook_url": "https://hooks.slack.com/services/T/B/old"},
    )
    new = "https://hooks.slack.com/services/T/B/new"
    response = admin.post(
        f"/channels/{channel.pk}/edit/", {"name": "Team", "handle": "", "webhook_url": new}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.credentials == {"webhook_url": new}


def test_a_new_address_forgets_the_last_connection_test(admin, channel):
    Channel.objects.filter(pk=channel.pk).update(
        last_checked_at="2026-01-01T00:00Z", last_check_ok=True, last_check_message="Connected."
    )
    admin.post(
        f"/channels/{channel.pk}/edit/",
        mastodon_form(base_url="https://elsewhere.example", access_token="typed-again"),
    )
    channel.refresh_from_db()
    assert (channel.last_checked_at, channel.last_check_ok) == (None, False)


def test_the_form_says_a_new_address_needs_the_secrets_again(admin, channel):
    page = admin.get(f"/channels/{channel.pk}/edit/").content.decode()
    assert "If you change the server address, type it again." in page
    assert "A new address drops them" in page


def test_a_rename_through_the_service_keeps_the_address_and_the_token(cast, channel):
    services.channel_save(
        actor=cast.admin, workspace=cast.workspace, channel=channel, kind="mastodon", name="New"
    )
    channel.refresh_from_db()
    assert (channel.name, channel.base_url) == ("New", "https://mastodon.example")
    assert channel.credentials == {"access_token": TOKEN}


def _approved_on(cast, channel):
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
    actions.post_submit(actor=cast.content, post=post)
    actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=1,
    )
    post.refresh_from_db()
    assert post.state == "approved"
    return post


def test_a_new_address_puts_the_channels_approved_posts_back_to_review(admin, cast, channel):
    post = _approved_on(cast, channel)
    response = admin.post(
        f"/channels/{channel.pk}/edit/",
        mastodon_form(base_url="https://elsewhere.example", access_token="typed-again"),
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.state, post.approved_version) == ("in_review", None)
    assert AuditEvent.objects.filter(post=post, action="post.approval_revoked").exists()


def test_a_rename_keeps_the_channels_approved_posts_approved(admin, cast, channel):
    post = _approved_on(cast, channel)
    response = admin.post(
        f"/channels/{channel.pk}/edit/", mastodon_form(name="Renamed", access_token="")
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == "approved"
