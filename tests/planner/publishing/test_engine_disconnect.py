"""A connection the network refuses for good (a 401 that a refresh cannot cure): the
channel is marked disconnected, its admins are told once, and its posts wait for a person
instead of failing one by one. Against the real authorization server (oidc-provider) and
an X stand-in that only takes the tokens it issued."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core import mail
from django.utils import timezone
from werkzeug import Response

from planner.errors import Conflict
from planner.models import Channel, ChannelKind, Notification, NotificationKind, Post, Publication
from planner.models import PublicationState as P
from planner.planning import services as planning
from planner.publishing import control
from planner.workflow import State
from tests import processes
from tests.factories import ChannelFactory
from tests.peers.oidc_provider import CLIENT_ID, CLIENT_SECRET
from tests.planner.connection.stand_ins import oauth_server, revoke, signed_in, x_api
from tests.planner.publishing.test_engine import approved_post, make_due, run_engine

__all__ = ["oauth_server", "x_api"]

pytestmark = pytest.mark.django_db(transaction=True)


def x_channel(cast, x_api, tokens, name="Cairn on X"):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        name=name,
        base_url=x_api.base_url,
        credentials={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": int(time.time()) + 3600,
        },
    )


def revoked_channel(cast, x_api, oauth_server):
    """An X channel whose account holder removed the app on the network."""
    tokens = signed_in(oauth_server)
    channel = x_channel(cast, x_api, tokens)
    revoke(oauth_server, tokens["refresh_token"])
    return channel


def disconnection_notices(cast):
    return Notification.objects.filter(
        workspace=cast.workspace, kind=NotificationKind.CHANNEL_DISCONNECTED
    )


def test_a_refusal_a_refresh_cannot_cure_marks_the_channel_disconnected(cast, x_api, oauth_server):
    channel = revoked_channel(cast, x_api, oauth_server)
    post = approved_post(cast, [channel])
    make_due(post)
    run_engine()
    channel.refresh_from_db()
    assert channel.disconnected_at is not None
    assert "renewed" in channel.disconnected_reason
    assert x_api.refused and "invalid_grant" in x_api.refused[0]


def test_the_post_of_a_disconnected_channel_waits_for_a_person_instead_of_failing(
    cast, x_api, oauth_server
):
    post = approved_post(cast, [revoked_channel(cast, x_api, oauth_server)])
    make_due(post)
    run_engine()
    publication = Publication.objects.get(post=post)
    assert publication.state == P.HELD
    assert "is disconnected" in publication.last_error
    assert Post.objects.get(pk=post.pk).state == State.NEEDS_ATTENTION


def test_admins_are_told_once_however_many_posts_were_refused(cast, x_api, oauth_server):
    channel = revoked_channel(cast, x_api, oauth_server)
    posts = [approved_post(cast, [channel]) for _ in range(3)]
    for post in posts:
        make_due(post)
    mail.outbox.clear()
    run_engine()
    notices = disconnection_notices(cast)
    assert [n.recipient for n in notices] == [cast.admin]
    assert notices[0].data["channel"] == channel.name
    told = [m.to for m in mail.outbox if f"{channel.name} was disconnected" in m.subject]
    assert told == [[cast.admin.email]]
    assert set(Publication.objects.filter(post__in=posts).values_list("state", flat=True)) == {
        P.HELD
    }


def test_the_next_due_post_of_a_disconnected_channel_is_held_without_calling_the_network(
    cast, x_api, oauth_server
):
    channel = revoked_channel(cast, x_api, oauth_server)
    first = approved_post(cast, [channel])
    make_due(first)
    run_engine()
    calls = len(x_api.server.log)
    later = approved_post(cast, [channel])
    make_due(later)
    run_engine()
    assert len(x_api.server.log) == calls
    assert Publication.objects.get(post=later).state == P.HELD
    assert disconnection_notices(cast).count() == 1


def test_a_held_post_cannot_be_published_now_until_the_channel_is_reconnected(
    cast, x_api, oauth_server
):
    channel = revoked_channel(cast, x_api, oauth_server)
    post = approved_post(cast, [channel])
    make_due(post)
    run_engine()
    with pytest.raises(Conflict, match="Reconnect Cairn on X first"):
        control.post_publish_now(actor=cast.admin, post=Post.objects.get(pk=post.pk))
    assert Publication.objects.get(post=post).state == P.HELD


def test_after_reconnecting_publish_now_sends_the_held_post(cast, x_api, oauth_server):
    channel = revoked_channel(cast, x_api, oauth_server)
    post = approved_post(cast, [channel], when=timezone.now() + dt.timedelta(hours=1))
    make_due(post)
    run_engine()
    # What Reconnect writes (planner/connection, the Connect flow): new tokens, not
    # disconnected any more.
    fresh = signed_in(oauth_server)
    Channel.objects.filter(pk=channel.pk).update(
        credentials={**channel.credentials, **fresh, "expires_at": int(time.time()) + 3600},
        disconnected_at=None,
        disconnected_reason="",
    )
    control.post_publish_now(actor=cast.admin, post=Post.objects.get(pk=post.pk))
    run_engine()
    assert Publication.objects.get(post=post).state == P.PUBLISHED
    assert Post.objects.get(pk=post.pk).state == State.PUBLISHED
    assert len(x_api.posts) == 1


def test_a_real_worker_holds_the_posts_of_a_revoked_channel(cast, x_api, oauth_server, tmp_path):
    channel = revoked_channel(cast, x_api, oauth_server)
    posts = [approved_post(cast, [channel]) for _ in range(2)]
    for post in posts:
        make_due(post)
    with processes.engine(tmp_path, PUBLISH_TICK_MILLISECONDS="300"):
        assert processes.wait_for(
            lambda: Publication.objects.filter(post__in=posts, state=P.HELD).count() == 2,
            timeout=60,
        ), (tmp_path / "celery.log").read_text()[-3000:]
    assert Channel.objects.get(pk=channel.pk).disconnected_at is not None
    assert disconnection_notices(cast).count() == 1
    assert x_api.posts == []


def test_a_refusal_of_tokens_replaced_during_the_send_does_not_disconnect(cast, httpserver):
    # A slow Mastodon server refuses the old token while an admin types a new one into
    # the channel form: the channel stays connected and the post goes with the new one.
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.MASTODON,
        name="Cairn on Mastodon",
        base_url=httpserver.url_for("").rstrip("/"),
        credentials={"access_token": "old-token"},
    )
    seen = []

    def statuses(request):
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") == "Bearer new-token":
            return Response(
                json.dumps({"id": "110", "url": "https://mastodon.example/@cairn/110"}),
                status=200,
                content_type="application/json",
            )
        planning.channel_save(
            actor=cast.admin,
            workspace=cast.workspace,
            channel=Channel.objects.get(pk=channel.pk),
            kind=channel.kind,
            name=channel.name,
            credentials={"access_token": "new-token"},
        )
        return Response(
            json.dumps({"error": "The access token was revoked"}),
            status=401,
            content_type="application/json",
        )

    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(statuses)
    post = approved_post(cast, [channel])
    make_due(post)
    run_engine()
    channel.refresh_from_db()
    assert channel.disconnected_at is None
    publication = Publication.objects.get(post=post)
    assert publication.state == P.RETRY_WAIT
    assert "reconnected meanwhile" in publication.last_error
    run_engine()
    publication.refresh_from_db()
    assert publication.state == P.PUBLISHED and publication.external_id == "110"
    assert seen == ["Bearer old-token", "Bearer new-token"]
    assert not disconnection_notices(cast).exists()
