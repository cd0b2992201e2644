"""Connect with X, end to end: the admin's click, the real authorization server's
consent (code + PKCE S256, HTTP Basic client), the callback, the choice, and a channel
the X adapter publishes with."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import Role
from planner.channels.registry import adapter_for
from planner.models import AuditEvent, Channel, PendingConnection
from planner.planning import services
from tests.factories import MembershipFactory, UserFactory
from tests.planner.connection.networks import SITE, callback, client_of
from tests.two_factor import VerifiedClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def consent(admin, server, network: str = "x", login: str = "ann", start: str = "") -> str:
    """Click Connect (or Reconnect at ``start``) and consent; the callback path."""
    response = admin.post(start or f"/channels/connect/{network}/")
    assert response.status_code == 302, response.content[:300]
    back = server.consent(response["Location"], login=login, back_to=callback(SITE, network))
    return back.removeprefix(SITE)


def test_connect_asks_x_for_its_scopes_with_pkce_and_a_state(admin, networks):
    response = admin.post("/channels/connect/x/")
    authorize = urlsplit(response["Location"])
    assert response["Location"].startswith(networks.authorization_endpoint)
    query = parse_qs(authorize.query)
    assert query["client_id"] == [client_of("x")[0]]
    assert query["redirect_uri"] == [callback(SITE, "x")]
    assert query["scope"][0].split() == [
        "tweet.read",
        "tweet.write",
        "users.read",
        "media.write",
        "offline.access",
    ]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    pending = PendingConnection.objects.get()
    # Only a digest of the state and the encrypted verifier are kept, never in the session.
    assert pending.state_digest != query["state"][0]
    assert pending.secret["verifier"] not in str(dict(admin.session))


def test_an_x_account_is_connected_and_the_adapter_publishes_with_it(admin, networks, cast):
    response = admin.get(consent(admin, networks))
    assert response.status_code == 302
    choose = response["Location"]
    page = admin.get(choose)
    assert page.status_code == 200
    assert b"Acme" in page.content and b"@acme" in page.content

    response = admin.post(choose, {"pick": "0", "name-0": "Acme on X"})
    assert response.status_code == 302, response.content[:500]
    channel = Channel.objects.get(workspace=cast.workspace, name="Acme on X")
    assert channel.kind == "x" and channel.handle == "@acme"
    assert channel.connected_with == "oauth"
    assert channel.account_id == "1460000000000000001"
    assert channel.access_expires_at is None  # offline.access: it renews itself
    credentials = channel.credentials
    assert credentials["client_id"] == client_of("x")[0]
    assert "client_secret" not in credentials  # read from the settings at each refresh
    assert credentials["refresh_token"] and credentials["expires_at"]
    assert networks.active(credentials["access_token"], client_of("x"))["active"]
    assert not PendingConnection.objects.exists()
    event = AuditEvent.objects.get(action="channel.create", target="Acme on X")
    assert event.data["after"]["connected_with"] == "oauth"
    assert credentials["access_token"] not in str(event.data)

    # The adapter reads these credentials as they are: its connection test reaches X.
    result = services.channel_test_connection(actor=cast.admin, channel=channel)
    assert result.ok, result.message
    assert "@acme" in result.message
    assert adapter_for("x").oauth.pkce


def test_declining_on_x_connects_nothing_and_says_so(admin, networks):
    response = admin.post("/channels/connect/x/")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    back = f"/channels/connect/x/callback/?error=access_denied&state={state}"
    page = admin.get(back, follow=True)
    assert "You did not allow Maillon on X" in page.content.decode()
    assert not Channel.objects.exists() and not PendingConnection.objects.exists()


def test_a_state_is_used_once(admin, networks):
    back = consent(admin, networks)
    assert admin.get(back).status_code == 302
    page = admin.get(back, follow=True)
    assert "not started from this browser, or it has expired" in page.content.decode()


def test_a_callback_from_another_session_is_refused_and_writes_nothing(admin, networks, cast):
    back = consent(admin, networks)
    other = VerifiedClient()
    other.force_login(cast.admin)  # the same admin, another browser
    page = other.get(back, follow=True)
    assert "not started from this browser" in page.content.decode()
    pending = PendingConnection.objects.get()
    assert pending.state_digest  # still unspent: the real browser may still come back
    assert "accounts" not in pending.secret
    assert not Channel.objects.exists()


def test_a_callback_for_another_admin_or_workspace_is_refused(admin, networks, cast, other):
    back = consent(admin, networks)
    second = UserFactory(email="second-admin@acme.test")
    MembershipFactory(user=second, workspace=cast.workspace, role=Role.ADMIN)
    for person in (second, other.admin):
        browser = VerifiedClient()
        browser.force_login(person)
        response = browser.get(back, follow=True)
        assert b"not started from this browser" in response.content
    assert not Channel.objects.exists()
    assert PendingConnection.objects.get().state_digest
