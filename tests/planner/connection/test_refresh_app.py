"""A channel connected with the sign-in renews its tokens with the operator's app as the
settings say now (client id, secret and token address), never with a copy kept in the
channel: rotating the app's secret keeps every channel working. Pasted channels keep
their own client id/secret (tests/planner/connection/test_refresh_lock.py). Against the
real authorization server."""

from __future__ import annotations

import time

import pytest

from planner.channels import base
from planner.channels.base import Outgoing, Permanent, Published
from planner.channels.registry import adapter_for
from planner.channels.x import XAdapter
from planner.connection.credentials import channel_base_session
from planner.models import Channel, ChannelKind, ConnectedWith
from tests.factories import ChannelFactory
from tests.peers.oidc_provider import CLIENT_ID, CLIENT_SECRET
from tests.planner.connection.networks import client_of
from tests.planner.connection.stand_ins import active, signed_in
from tests.planner.connection.test_connect_networks import chosen
from tests.planner.connection.test_connect_x import consent

pytestmark = pytest.mark.django_db(transaction=True)


def x_app(settings, oauth_server, secret: str) -> None:
    settings.OAUTH_APPS = {
        "x": {
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "authorize_url": oauth_server.authorization_endpoint,
            "token_url": oauth_server.token_endpoint,
        }
    }


def signed_in_x_channel(cast, x_api, tokens) -> Channel:
    """Connected with the sign-in before the change: a stale copy of the secret kept in
    its credentials, which the refresh must not use."""
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        base_url=x_api.base_url,
        connected_with=ConnectedWith.OAUTH,
        credentials={
            "client_id": CLIENT_ID,
            "client_secret": "the-secret-before-rotation",
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": int(time.time()) + 10,  # about to expire: refreshed first
        },
    )


def test_a_rotated_app_secret_in_the_settings_is_what_the_refresh_uses(
    cast, settings, x_api, oauth_server
):
    x_app(settings, oauth_server, CLIENT_SECRET)  # the app's secret as rotated
    channel = signed_in_x_channel(cast, x_api, signed_in(oauth_server))
    with base.new_http_client() as http:
        outcome = XAdapter().publish(channel_base_session(channel, http), Outgoing(text="Hi"))
    assert isinstance(outcome, Published), outcome
    assert x_api.posts == ["Hi"]
    # The settings' token address (the provider), not the channel's base URL's.
    assert x_api.refreshes == []
    stored = Channel.objects.get(pk=channel.pk).credentials
    assert stored["refresh_token"] != channel.credentials["refresh_token"]
    assert active(oauth_server, stored["access_token"])


def test_a_wrong_secret_in_the_settings_is_refused_even_with_a_good_one_in_the_channel(
    cast, settings, x_api, oauth_server
):
    x_app(settings, oauth_server, "not-the-app-secret")
    tokens = signed_in(oauth_server)
    channel = signed_in_x_channel(cast, x_api, tokens)
    channel.credentials["client_secret"] = CLIENT_SECRET
    channel.save()
    with base.new_http_client() as http:
        outcome = XAdapter().publish(channel_base_session(channel, http), Outgoing(text="Hi"))
    assert isinstance(outcome, Permanent) and outcome.reauth, outcome
    assert "renewed" in outcome.reason
    assert x_api.posts == [] and x_api.refreshes == []
    assert active(oauth_server, tokens["refresh_token"])  # refused, not spent


def test_a_pasted_channel_still_refreshes_with_its_own_client_at_its_address(
    cast, settings, x_api, oauth_server
):
    x_app(settings, oauth_server, "not-the-app-secret")  # not this channel's business
    tokens = signed_in(oauth_server)
    channel = signed_in_x_channel(cast, x_api, tokens)
    channel.connected_with = ConnectedWith.FORM
    channel.credentials["client_secret"] = CLIENT_SECRET
    channel.save()
    with base.new_http_client() as http:
        outcome = XAdapter().publish(channel_base_session(channel, http), Outgoing(text="Hi"))
    assert isinstance(outcome, Published), outcome
    assert x_api.refreshes == [tokens["refresh_token"]]  # at base URL + 2/oauth2/token


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def test_a_linkedin_channel_connected_with_the_sign_in_renews_at_the_settings_token_url(
    admin, networks, cast
):
    choose, _page = chosen(admin, consent(admin, networks, "linkedin"))
    assert admin.post(choose, {"pick": "0", "name-0": "Ann"}).status_code == 302
    channel = Channel.objects.get(name="Ann")
    # The secret is not copied into the channel; the refresh reads it from the settings.
    assert "client_secret" not in channel.credentials
    assert channel.credentials["refresh_token"]
    used = channel.credentials["access_token"]
    # The channel's base URL (the API stand-in) has no token endpoint: only the
    # settings' token_url (LINKEDIN_OAUTH_TOKEN_URL) can renew it.
    with base.new_http_client() as http:
        assert adapter_for("linkedin").renew(channel_base_session(channel, http)) is None
    renewed = Channel.objects.get(pk=channel.pk).credentials
    assert renewed["access_token"] != used
    assert networks.active(renewed["access_token"], client_of("linkedin"))["active"]
