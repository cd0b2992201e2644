"""Tokens renewed before they end, per network, by beat's hourly run; admins told a week
and a day before a channel's access ends anyway. Against local servers answering in
LinkedIn's and Meta's documented shapes."""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from werkzeug import Request, Response

from planner.channels.base import Expiry, Session
from planner.channels.linkedin import LinkedInAdapter
from planner.channels.meta import (
    FacebookAdapter,
    InstagramAdapter,
    long_lived_user_token,
    threads_long_lived_token,
)
from planner.channels.x import XAdapter
from planner.connection import renewal
from planner.models import Channel, ChannelKind, ExpiryNotice, Notification, NotificationKind
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

DAY = 86400
YEAR = 365 * DAY


def json_response(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def linkedin_channel(cast, httpserver, *, expires_in_days: float, **credentials):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.LINKEDIN,
        name="Cairn on LinkedIn",
        base_url=httpserver.url_for("/").rstrip("/"),
        credentials={
            "author_urn": "urn:li:organization:5515715",
            "access_token": "li-access-1",
            "refresh_token": "li-refresh-1",
            "client_id": "li-client",
            "client_secret": "li-secret",
            "expires_at": int(time.time() + expires_in_days * DAY),
            **credentials,
        },
    )


def threads_channel(cast, httpserver, *, expires_in_days: float, renewed_days_ago: float = 10):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.THREADS,
        name="Cairn on Threads",
        base_url=httpserver.url_for("/v1.0"),
        credentials={
            "threads_user_id": "17841400000",
            "access_token": "th-long-1",
            "expires_at": int(time.time() + expires_in_days * DAY),
            "renewed_at": int(time.time() - renewed_days_ago * DAY),
        },
    )


def notices(cast, kind=NotificationKind.CHANNEL_EXPIRING):
    return Notification.objects.filter(workspace=cast.workspace, kind=kind)


# --- LinkedIn -----------------------------------------------------------------------------


def linkedin_tokens(request: Request) -> Response:
    form = request.form
    if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != "li-refresh-1":
        return json_response({"error": "invalid_grant"}, 400)
    return json_response(
        {
            "access_token": "li-access-2",
            "expires_in": 60 * DAY,
            "refresh_token": "li-refresh-1",
            "refresh_token_expires_in": YEAR - 40 * DAY,
        }
    )


def test_a_linkedin_token_with_less_than_thirty_days_left_is_refreshed(cast, httpserver):
    httpserver.expect_request("/oauth/v2/accessToken", method="POST").respond_with_handler(
        linkedin_tokens
    )
    channel = linkedin_channel(cast, httpserver, expires_in_days=20)
    assert renewal.connections_keep_alive()["renewed"] == 1
    channel.refresh_from_db()
    assert channel.credentials["access_token"] == "li-access-2"
    assert channel.credentials["expires_at"] > time.time() + 59 * DAY
    # The channel's end is the refresh token's: when a person must reconnect.
    expected = timezone.now() + dt.timedelta(seconds=YEAR - 40 * DAY)
    assert abs((channel.access_expires_at - expected).total_seconds()) < 60


def test_a_linkedin_token_with_time_left_is_left_alone(cast, httpserver):
    linkedin_channel(cast, httpserver, expires_in_days=45)
    assert renewal.connections_keep_alive()["renewed"] == 0
    assert httpserver.log == []


def test_a_linkedin_channel_without_a_refresh_token_ends_with_its_access_token(cast, httpserver):
    channel = linkedin_channel(cast, httpserver, expires_in_days=20, refresh_token="")
    assert renewal.connections_keep_alive()["renewed"] == 0
    assert httpserver.log == []
    expiry = channel.credentials["expires_at"]
    assert LinkedInAdapter().access_expiry(channel.credentials) == Expiry(expiry, renews=False)


def test_a_refused_linkedin_refresh_disconnects_the_channel_and_tells_admins(cast, httpserver):
    httpserver.expect_request("/oauth/v2/accessToken", method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "The token has been revoked"}, status=400
    )
    channel = linkedin_channel(cast, httpserver, expires_in_days=20)
    assert renewal.connections_keep_alive()["disconnected"] == 1
    channel.refresh_from_db()
    assert channel.disconnected_at is not None
    assert "revoked" in channel.disconnected_reason
    assert [n.recipient for n in notices(cast, NotificationKind.CHANNEL_DISCONNECTED)] == [
        cast.admin
    ]


# --- Threads ------------------------------------------------------------------------------


def threads_refresh(request: Request) -> Response:
    args = request.args
    if args.get("grant_type") != "th_refresh_token" or args.get("access_token") != "th-long-1":
        return json_response(
            {
                "error": {
                    "message": "Invalid OAuth access token",
                    "type": "OAuthException",
                    "code": 190,
                }
            },
            400,
        )
    return json_response(
        {"access_token": "th-long-2", "token_type": "bearer", "expires_in": 5183944}
    )


def test_a_threads_token_with_less_than_thirty_days_left_is_extended_sixty_days(cast, httpserver):
    httpserver.expect_request("/refresh_access_token", method="GET").respond_with_handler(
        threads_refresh
    )
    channel = threads_channel(cast, httpserver, expires_in_days=12)
    assert renewal.connections_keep_alive()["renewed"] == 1
    channel.refresh_from_db()
    assert channel.credentials["access_token"] == "th-long-2"
    assert abs(channel.credentials["renewed_at"] - time.time()) < 60
    expected = timezone.now() + dt.timedelta(seconds=5183944)
    assert abs((channel.access_expires_at - expected).total_seconds()) < 60


def test_a_threads_token_younger_than_a_day_is_not_refreshed(cast, httpserver):
    threads_channel(cast, httpserver, expires_in_days=12, renewed_days_ago=0.5)
    assert renewal.connections_keep_alive()["renewed"] == 0
    assert httpserver.log == []


def test_a_revoked_threads_token_disconnects_the_channel(cast, httpserver):
    httpserver.expect_request("/refresh_access_token", method="GET").respond_with_json(
        {
            "error": {
                "message": "Error validating access token",
                "type": "OAuthException",
                "code": 190,
            }
        },
        status=400,
    )
    channel = threads_channel(cast, httpserver, expires_in_days=12)
    assert renewal.connections_keep_alive()["disconnected"] == 1
    assert Channel.objects.get(pk=channel.pk).disconnected_at is not None


def test_a_threads_short_lived_token_is_exchanged_for_a_long_lived_one(httpserver):
    httpserver.expect_request(
        "/access_token",
        method="GET",
        query_string={
            "grant_type": "th_exchange_token",
            "client_secret": "th-secret",
            "access_token": "th-short",
        },
    ).respond_with_json({"access_token": "th-long", "token_type": "bearer", "expires_in": 5183944})
    with httpx.Client() as http:
        session = Session("threads", httpserver.url_for("/v1.0"), "", {}, http)
        answer = threads_long_lived_token(session, app_secret="th-secret", token="th-short")
    assert answer["access_token"] == "th-long"
    assert abs(answer["expires_at"] - (time.time() + 5183944)) < 60


# --- Facebook, Instagram, X -----------------------------------------------------------------


def test_a_facebook_user_token_is_exchanged_for_a_long_lived_one(httpserver):
    httpserver.expect_request(
        "/v25.0/oauth/access_token",
        method="GET",
        query_string={
            "grant_type": "fb_exchange_token",
            "client_id": "app-1",
            "client_secret": "app-secret",
            "fb_exchange_token": "short",
        },
    ).respond_with_json({"access_token": "long", "token_type": "bearer", "expires_in": 5183944})
    with httpx.Client() as http:
        session = Session("facebook", httpserver.url_for("/v25.0"), "", {}, http)
        answer = long_lived_user_token(
            session, app_id="app-1", app_secret="app-secret", token="short"
        )
    assert answer["access_token"] == "long"


def test_page_tokens_and_rotating_refresh_chains_have_no_end_to_warn_of():
    assert FacebookAdapter().access_expiry({"page_access_token": "p"}) == Expiry(None)
    assert InstagramAdapter().access_expiry({"access_token": "p"}) == Expiry(None)
    assert XAdapter().access_expiry({"refresh_token": "r"}) == Expiry(None, renews=True)


# --- expiry notices -----------------------------------------------------------------------


def expiring_channel(cast, *, days: float, name="Cairn on Threads"):
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.THREADS,
        name=name,
        credentials={"threads_user_id": "1", "access_token": "t"},
        access_expires_at=timezone.now() + dt.timedelta(days=days),
    )


def test_admins_are_told_a_week_before_a_channels_access_ends_once(
    cast, django_capture_on_commit_callbacks
):
    channel = expiring_channel(cast, days=6.5)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert renewal.expiry_notices_send() == 1
    assert renewal.expiry_notices_send() == 0
    (notice,) = notices(cast)
    assert notice.recipient == cast.admin
    assert notice.data["channel"] == channel.name
    assert [m.to for m in mail.outbox if "ends on" in m.subject] == [[cast.admin.email]]


def test_admins_are_told_again_a_day_before(cast):
    channel = expiring_channel(cast, days=6.5)
    renewal.expiry_notices_send()
    with time_machine.travel(channel.access_expires_at - dt.timedelta(hours=20)):
        assert renewal.expiry_notices_send() == 1
        assert renewal.expiry_notices_send() == 0
    assert notices(cast).count() == 2
    assert sorted(ExpiryNotice.objects.values_list("days_before", flat=True)) == [1, 7]


def test_a_channel_found_with_hours_left_gets_one_notice_not_two(cast):
    expiring_channel(cast, days=0.5)
    assert renewal.expiry_notices_send() == 1
    assert notices(cast).count() == 1


def test_a_channel_with_more_than_a_week_left_is_not_announced(cast):
    expiring_channel(cast, days=8)
    assert renewal.expiry_notices_send() == 0


def test_a_renewed_channel_has_a_new_end_and_its_notices_start_again(cast):
    channel = expiring_channel(cast, days=6)
    renewal.expiry_notices_send()
    Channel.objects.filter(pk=channel.pk).update(
        access_expires_at=channel.access_expires_at + dt.timedelta(hours=1)
    )
    assert renewal.expiry_notices_send() == 1


def test_non_admins_are_not_told(cast):
    expiring_channel(cast, days=3)
    renewal.expiry_notices_send()
    assert {n.recipient for n in notices(cast)} == {cast.admin}


def test_a_disconnected_channel_is_not_announced_as_expiring(cast):
    channel = expiring_channel(cast, days=3)
    Channel.objects.filter(pk=channel.pk).update(disconnected_at=timezone.now())
    assert renewal.expiry_notices_send() == 0
