"""Two workers never spend the same rotating refresh token: a refresh holds the
channel's row lock and reads the stored tokens again once it has it. Against the real
authorization server, where reusing a refresh token revokes the whole grant."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext

import pytest
from django.db import connection

from planner.channels import base
from planner.channels.base import Outgoing, Published
from planner.channels.x import XAdapter
from planner.models import Channel, ChannelKind
from planner.publishing.outgoing import session_for
from tests.factories import ChannelFactory
from tests.peers.oidc_provider import CLIENT_ID, CLIENT_SECRET
from tests.planner.connection.stand_ins import active, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

x = XAdapter()


def x_channel(cast, x_api, tokens):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        base_url=x_api.base_url,
        credentials={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            # About to expire: each worker refreshes before it posts.
            "expires_at": int(time.time()) + 10,
        },
    )


def race(sessions, texts):
    """Each session publishes from its own thread, all starting at the same moment."""
    start = threading.Barrier(len(sessions))
    outcomes = [None] * len(sessions)

    def work(index):
        try:
            start.wait()
            outcomes[index] = x.publish(sessions[index], Outgoing(text=texts[index]))
        finally:
            connection.close()  # each thread's own database connection

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_workers_refreshing_one_channel_at_once_refresh_it_once(cast, x_api, oauth_server):
    channel = x_channel(cast, x_api, signed_in(oauth_server))
    with base.new_http_client() as first_http, base.new_http_client() as second_http:
        # Both read the channel before either refreshes, as two workers would.
        sessions = [session_for(channel, first_http), session_for(channel, second_http)]
        outcomes = race(sessions, ["First worker's post", "Second worker's post"])
    assert all(isinstance(outcome, Published) for outcome in outcomes), outcomes
    assert len(x_api.refreshes) == 1, x_api.refused
    assert sorted(x_api.posts) == ["First worker's post", "Second worker's post"]
    stored = Channel.objects.get(pk=channel.pk).credentials
    assert stored["refresh_token"] != channel.credentials["refresh_token"]
    assert active(oauth_server, stored["access_token"])
    # The chain is whole: the stored refresh token still renews.
    assert active(oauth_server, stored["refresh_token"])


def test_a_worker_that_waited_for_the_lock_uses_the_token_renewed_meanwhile(
    cast, x_api, oauth_server
):
    channel = x_channel(cast, x_api, signed_in(oauth_server))
    with base.new_http_client() as http:
        late = session_for(channel, http)  # read before the other worker's refresh
        assert isinstance(x.publish(session_for(channel, http), Outgoing(text="One")), Published)
        assert isinstance(x.publish(late, Outgoing(text="Two")), Published)
    assert len(x_api.refreshes) == 1
    assert (
        late.credentials["access_token"]
        == Channel.objects.get(pk=channel.pk).credentials["access_token"]
    )


def test_without_the_shared_lock_the_second_refresh_breaks_the_chain(cast, x_api, oauth_server):
    """What the lock prevents, shown on the same server: sessions that do not share the
    channel's lock send the same refresh token twice, and the grant is revoked."""
    channel = x_channel(cast, x_api, signed_in(oauth_server))
    with base.new_http_client() as first_http, base.new_http_client() as second_http:
        sessions = [session_for(channel, first_http), session_for(channel, second_http)]
        for session in sessions:
            session.renewal_lock = lambda: nullcontext({})
        outcomes = race(sessions, ["First", "Second"])
    assert x_api.refreshes[0] == x_api.refreshes[1]  # the same single-use token, twice
    assert x_api.refused and "invalid_grant" in x_api.refused[0]
    refused = [o for o in outcomes if isinstance(o, base.Permanent)]
    assert refused and refused[0].reauth
    stored = Channel.objects.get(pk=channel.pk).credentials
    assert not active(oauth_server, stored["refresh_token"])
