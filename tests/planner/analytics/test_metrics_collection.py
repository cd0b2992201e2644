"""Reading metrics after publication: the decaying schedule, names as data, rate limits,
failures shown on the Channels page, daily follower counts, and publishing untouched.

The networks are pytest-httpserver answering with their real API shapes (Mastodon's
status and account, X's public_metrics, Bluesky's profile). Posts are published by the
real engine first, so the schedule starts where publishing sets it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import time_machine
from django.utils import timezone
from werkzeug import Request, Response

from planner.analytics.collection import followers_collect_due, metrics_collect_due
from planner.channels import metrics
from planner.channels.base import Outgoing, Session
from planner.channels.bluesky import BlueskyAdapter
from planner.channels.x import XAdapter
from planner.models import (
    Channel,
    ChannelKind,
    FollowerSnapshot,
    MetricSnapshot,
    Publication,
    PublicationMetric,
)
from planner.models import PublicationState as P
from tests.factories import ChannelFactory
from tests.planner.publishing.test_engine import approved_post, make_due, run_engine

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


class FakeMastodon:
    """A Mastodon instance: statuses are posted, read back with counts, and the account
    has followers. ``failure`` makes every read answer with that status and headers."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.counts: dict[str, int] = {
            "favourites_count": 0,
            "reblogs_count": 0,
            "replies_count": 0,
        }
        self.followers = 120
        self.failure: tuple[int, dict[str, str]] | None = None
        self.posted = 0
        self.reads: list[str] = []
        server.expect_request("/api/v1/statuses", method="POST").respond_with_handler(self.post)
        server.expect_request(
            re.compile(r"^/api/v1/statuses/\d+$"), method="GET"
        ).respond_with_handler(self.status)
        server.expect_request(
            "/api/v1/accounts/verify_credentials", method="GET"
        ).respond_with_handler(self.account)

    def post(self, request: Request) -> Response:
        self.posted += 1
        # As Mastodon does, the new status carries the text posted (as HTML).
        status = self._status(str(1000 + self.posted))
        status["content"] = f"<p>{html.escape(request.form.get('status', ''))}</p>"
        return self._json(status)

    def status(self, request: Request) -> Response:
        self.reads.append(request.path)
        if self.failure:
            return self._refusal()
        return self._json(self._status(request.path.rsplit("/", 1)[1]))

    def account(self, request: Request) -> Response:
        self.reads.append(request.path)
        if self.failure:
            return self._refusal()
        return self._json(
            {
                "id": "42",
                "username": "acme",
                "acct": "acme",
                "followers_count": self.followers,
                "following_count": 7,
                "statuses_count": self.posted,
            }
        )

    def _status(self, status_id: str) -> dict[str, Any]:
        return {
            "id": status_id,
            "created_at": "2026-03-02T09:00:00.000Z",
            "visibility": "public",
            "url": f"https://mastodon.example/@acme/{status_id}",
            "content": "<p>Spring is here</p>",
            "account": {"id": "42", "username": "acme", "followers_count": self.followers},
            "media_attachments": [],
            "favourited": False,
            **self.counts,
        }

    def _refusal(self) -> Response:
        status, headers = self.failure
        body = {"error": "Too many requests" if status == 429 else "Something went wrong"}
        return Response(
            json.dumps(body),
            status=status,
            headers=headers,
            content_type="application/json",
        )

    @staticmethod
    def _json(body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def network(httpserver) -> FakeMastodon:
    return FakeMastodon(httpserver)


@pytest.fixture
def channel(cast, httpserver) -> Channel:
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.MASTODON,
        name="Fediverse",
        handle="@acme@mastodon.example",
        base_url=httpserver.url_for("/").rstrip("/"),
        credentials={"access_token": "t0ken"},
    )


def publish(cast, channel) -> Publication:
    """A post approved and published by the engine, as in production."""
    post = approved_post(cast, [channel])
    make_due(post)
    assert run_engine() == [P.PUBLISHED]
    return Publication.objects.get(post=post)


def latest(publication: Publication) -> dict[str, int]:
    return dict(
        PublicationMetric.objects.filter(publication=publication).values_list("name", "value")
    )


def reload(obj):
    obj.refresh_from_db()
    return obj


# --- the schedule -------------------------------------------------------------------------


def test_publishing_makes_the_first_round_due_an_hour_later(cast, channel, network):
    publication = publish(cast, channel)
    assert publication.metrics_round == 0
    assert publication.metrics_due_at == publication.published_at + HOUR
    assert publication.metrics_error == ""


def test_nothing_is_read_before_the_first_hour(cast, channel, network):
    publication = publish(cast, channel)
    with time_machine.travel(publication.published_at + 59 * MINUTE):
        assert metrics_collect_due()["read"] == 0
    assert network.reads == []
    assert not MetricSnapshot.objects.exists()


def test_rounds_follow_the_decaying_schedule_then_stop(cast, channel, network):
    publication = publish(cast, channel)
    published = publication.published_at
    expected = [
        (published + HOUR + MINUTE, 1, published + 6 * HOUR),
        (published + 6 * HOUR + MINUTE, 2, published + 24 * HOUR),
        (published + 24 * HOUR + MINUTE, 3, published + dt.timedelta(days=7)),
        (published + dt.timedelta(days=7, minutes=1), 4, None),
    ]
    for when, round_after, due_after in expected:
        with time_machine.travel(when):
            assert metrics_collect_due() == {"read": 1, "failed": 0, "postponed": 0}
            assert metrics_collect_due()["read"] == 0  # claimed once per round
        publication.refresh_from_db()
        assert (publication.metrics_round, publication.metrics_due_at) == (round_after, due_after)
    assert len(network.reads) == 4
    assert MetricSnapshot.objects.filter(publication=publication, name="likes").count() == 4


def test_rounds_missed_while_the_worker_was_down_are_skipped(cast, channel, network):
    publication = publish(cast, channel)
    with time_machine.travel(publication.published_at + dt.timedelta(days=3)):
        metrics_collect_due()
    publication.refresh_from_db()
    assert publication.metrics_round == 3
    assert publication.metrics_due_at == publication.published_at + dt.timedelta(days=7)


def test_a_webhook_delivery_has_no_metrics_rounds(cast, httpserver):
    hook = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.WEBHOOK,
        name="Intranet",
        base_url="",
        credentials={"webhook_url": httpserver.url_for("/hook"), "signing_secret": "s3cret"},
    )
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    publication = publish(cast, hook)
    assert publication.metrics_due_at is None


# --- names are data -----------------------------------------------------------------------


def test_snapshots_and_latest_values_are_stored_under_our_names(cast, channel, network):
    publication = publish(cast, channel)
    network.counts.update(favourites_count=5, reblogs_count=2, replies_count=1)
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        metrics_collect_due()
    assert latest(publication) == {"likes": 5, "reposts": 2, "replies": 1}
    network.counts.update(favourites_count=9)
    with time_machine.travel(publication.published_at + 6 * HOUR + MINUTE):
        metrics_collect_due()
    assert latest(publication) == {"likes": 9, "reposts": 2, "replies": 1}
    series = MetricSnapshot.objects.filter(publication=publication, name="likes")
    assert list(series.values_list("value", flat=True)) == [5, 9]
    assert set(MetricSnapshot.objects.values_list("name", flat=True)) <= set(metrics.CANONICAL)


def test_a_renamed_field_is_read_once_the_mapping_names_it(cast, channel, network, monkeypatch):
    publication = publish(cast, channel)
    # The network renames favourites_count; the adapter's code is left as it is.
    del network.counts["favourites_count"]
    network.counts["likes_count"] = 14
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        metrics_collect_due()
    assert "likes" not in latest(publication)

    monkeypatch.setitem(metrics.METRIC_NAMES["mastodon"], "likes_count", "likes")
    with time_machine.travel(publication.published_at + 6 * HOUR + MINUTE):
        metrics_collect_due()
    assert latest(publication)["likes"] == 14


def test_an_old_and_a_new_spelling_can_both_map_to_one_name(monkeypatch):
    monkeypatch.setitem(
        metrics.METRIC_NAMES, "x", {"impression_count": "views", "view_count": "views"}
    )
    assert metrics.canonical("x", {"view_count": 310}) == {"views": 310}
    # Both sent: the first spelling in the table wins, never a sum.
    assert metrics.canonical("x", {"view_count": 310, "impression_count": 300}) == {"views": 300}


def test_x_impressions_are_views(httpserver):
    httpserver.expect_request(
        "/2/tweets/77", query_string="tweet.fields=public_metrics"
    ).respond_with_json(
        {
            "data": {
                "id": "77",
                "text": "Spring",
                "public_metrics": {
                    "retweet_count": 3,
                    "reply_count": 1,
                    "like_count": 12,
                    "quote_count": 0,
                    "bookmark_count": 2,
                    "impression_count": 480,
                },
            }
        }
    )
    with httpx.Client() as http:
        session = Session(
            kind="x",
            base_url=httpserver.url_for("/").rstrip("/"),
            handle="@acme",
            credentials={"access_token": "t", "expires_at": 2**40},
            http=http,
        )
        counts = XAdapter().metrics(session, Outgoing(text="", external_id="77"))
    assert counts == {
        "likes": 12,
        "reposts": 3,
        "replies": 1,
        "quotes": 0,
        "bookmarks": 2,
        "views": 480,
    }


# --- rate limits and failures -----------------------------------------------------------


def test_a_rate_limit_pauses_the_channel_and_keeps_the_round(cast, channel, network):
    publication = publish(cast, channel)
    due = publication.metrics_due_at
    start = publication.published_at + HOUR + MINUTE
    reset = start + 10 * MINUTE
    network.failure = (429, {"X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")})
    with time_machine.travel(start, tick=False):
        assert metrics_collect_due() == {"read": 0, "failed": 0, "postponed": 1}
    publication.refresh_from_db()
    channel.refresh_from_db()
    assert (publication.metrics_round, publication.metrics_due_at) == (0, due)
    assert publication.metrics_error == ""
    assert channel.metrics_error == ""
    assert abs(channel.metrics_paused_until - reset) < dt.timedelta(seconds=2)
    assert not MetricSnapshot.objects.exists()

    network.failure = None
    with time_machine.travel(start + 5 * MINUTE):
        assert metrics_collect_due()["read"] == 0  # still paused: the network is not asked
    assert len(network.reads) == 1
    with time_machine.travel(reset + MINUTE):
        assert metrics_collect_due()["read"] == 1
    assert reload(publication).metrics_round == 1
    assert latest(publication)["likes"] == 0


def test_a_retry_after_date_pauses_the_channel(cast, channel, network):
    publication = publish(cast, channel)
    start = publication.published_at + HOUR + MINUTE
    network.failure = (429, {"Retry-After": format_datetime(start + HOUR, usegmt=True)})
    with time_machine.travel(start, tick=False):
        metrics_collect_due()
    channel.refresh_from_db()
    assert abs(channel.metrics_paused_until - (start + HOUR)) < dt.timedelta(seconds=2)


def test_a_server_error_is_recorded_and_the_next_round_tries_again(cast, channel, network):
    publication = publish(cast, channel)
    network.failure = (500, {})
    with time_machine.travel(publication.published_at + HOUR + MINUTE) as traveller:
        assert metrics_collect_due() == {"read": 0, "failed": 1, "postponed": 0}
        publication.refresh_from_db()
        channel.refresh_from_db()
        assert "Mastodon is unavailable (HTTP 500)" in publication.metrics_error
        assert channel.metrics_error == publication.metrics_error
        assert channel.metrics_checked_at is not None
        assert publication.metrics_round == 1
        assert publication.metrics_due_at == publication.published_at + 6 * HOUR

        network.failure = None
        traveller.move_to(publication.published_at + 6 * HOUR + MINUTE)
        assert metrics_collect_due()["read"] == 1
    assert reload(publication).metrics_error == ""
    assert reload(channel).metrics_error == ""


def test_after_the_last_round_a_failure_gives_up_and_keeps_the_message(cast, channel, network):
    publication = publish(cast, channel)
    Publication.objects.filter(pk=publication.pk).update(
        metrics_round=3, metrics_due_at=publication.published_at + dt.timedelta(days=7)
    )
    network.failure = (404, {})
    with time_machine.travel(publication.published_at + dt.timedelta(days=7, minutes=1)):
        metrics_collect_due()
        publication.refresh_from_db()
        assert publication.metrics_due_at is None
        assert "Mastodon refused the request" in publication.metrics_error
        assert metrics_collect_due()["failed"] == 0  # never asked again
    assert len(network.reads) == 1


def test_the_channels_page_says_when_metrics_were_read(client, cast, channel, network):
    publication = publish(cast, channel)
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        metrics_collect_due()
    client.force_login(cast.viewer)
    page = client.get("/channels/").content.decode()
    assert "Metrics: last read" in page


def test_the_channels_page_shows_why_metrics_fail(client, cast, channel, network):
    publication = publish(cast, channel)
    network.failure = (500, {})
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        metrics_collect_due()
    client.force_login(cast.viewer)
    page = client.get("/channels/").content.decode()
    assert "Metrics failing:" in page
    assert "Mastodon is unavailable (HTTP 500)" in page


def test_the_channels_page_shows_a_rate_limit_pause(client, cast, channel, network):
    channel.metrics_paused_until = timezone.now() + HOUR
    channel.save()
    client.force_login(cast.viewer)
    page = client.get("/channels/").content.decode()
    assert "Metrics paused by the network" in page
    assert "Metrics failing" not in page


# --- followers ----------------------------------------------------------------------------


def test_follower_counts_are_read_once_a_day(cast, channel, network):
    publish(cast, channel)
    start = timezone.now()
    with time_machine.travel(start):
        assert followers_collect_due()["read"] == 1
        assert followers_collect_due()["read"] == 0
    network.followers = 125
    with time_machine.travel(start + 23 * HOUR):
        assert followers_collect_due()["read"] == 0
    with time_machine.travel(start + 24 * HOUR + MINUTE):
        assert followers_collect_due()["read"] == 1
    series = FollowerSnapshot.objects.filter(channel=channel).values_list("count", flat=True)
    assert list(series) == [120, 125]
    assert reload(channel).metrics_checked_at is not None


def test_a_disconnected_channel_is_not_asked_for_metrics_nor_followers(cast, channel, network):
    publication = publish(cast, channel)
    Channel.objects.filter(pk=channel.pk).update(
        disconnected_at=timezone.now(), disconnected_reason="HTTP 401: revoked"
    )
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        assert metrics_collect_due()["read"] == 0
        assert followers_collect_due()["read"] == 0
    assert network.reads == []
    assert reload(publication).metrics_round == 0  # its round waits for the reconnect


def test_a_channel_that_never_published_is_not_asked_for_followers(cast, channel, network):
    assert followers_collect_due()["read"] == 0
    assert network.reads == []


def test_a_rate_limited_follower_count_is_read_after_the_pause(cast, channel, network):
    publish(cast, channel)
    start = timezone.now()
    network.failure = (429, {"Retry-After": "600"})
    with time_machine.travel(start, tick=False):
        assert followers_collect_due()["postponed"] == 1
    network.failure = None
    with time_machine.travel(start + 11 * MINUTE):
        assert followers_collect_due()["read"] == 1


def test_bluesky_followers_come_from_the_profile(httpserver):
    did = "did:plc:acme"
    httpserver.expect_request(
        "/xrpc/app.bsky.actor.getProfile", query_string={"actor": did}
    ).respond_with_json(
        {
            "did": did,
            "handle": "acme.bsky.social",
            "followersCount": 310,
            "followsCount": 12,
            "postsCount": 40,
        }
    )
    with httpx.Client() as http:
        session = Session(
            kind="bluesky",
            base_url=httpserver.url_for("/").rstrip("/"),
            handle="acme.bsky.social",
            credentials={"accessJwt": "jwt", "did": did},
            http=http,
        )
        assert BlueskyAdapter().followers(session) == 310


def test_x_followers_come_from_the_users_public_metrics(httpserver):
    httpserver.expect_request(
        "/2/users/me", query_string="user.fields=public_metrics"
    ).respond_with_json(
        {
            "data": {
                "id": "9",
                "username": "acme",
                "public_metrics": {
                    "followers_count": 2048,
                    "following_count": 10,
                    "tweet_count": 500,
                    "listed_count": 3,
                },
            }
        }
    )
    with httpx.Client() as http:
        session = Session(
            kind="x",
            base_url=httpserver.url_for("/").rstrip("/"),
            handle="@acme",
            credentials={"access_token": "t", "expires_at": 2**40},
            http=http,
        )
        assert XAdapter().followers(session) == 2048


# --- publishing is never held up ----------------------------------------------------------


def test_a_post_due_while_metrics_fail_is_still_published(cast, channel, network):
    first = publish(cast, channel)
    network.failure = (500, {})
    Publication.objects.filter(pk=first.pk).update(metrics_due_at=timezone.now() - MINUTE)
    second = approved_post(cast, [channel])
    make_due(second)

    assert metrics_collect_due()["failed"] == 1
    assert run_engine() == [P.PUBLISHED]
    assert Publication.objects.get(post=second).state == P.PUBLISHED


# --- cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("posts", [2, 8])
def test_a_batch_costs_the_same_few_queries_however_many_posts(
    cast, channel, network, django_assert_max_num_queries, posts
):
    for _ in range(posts):
        approved_post(cast, [channel])
    for publication in Publication.objects.all():
        make_due(publication.post)
    assert run_engine() == [P.PUBLISHED] * posts
    with time_machine.travel(timezone.now() + HOUR + MINUTE), django_assert_max_num_queries(10):
        assert metrics_collect_due()["read"] == posts
    assert PublicationMetric.objects.count() == posts * 3


# --- Threads and LinkedIn -----------------------------------------------------------------

THREADS_USER = "802500000002"
THREADS_MEDIA = "17920238422030506"
LINKEDIN_ORG = "urn:li:organization:8025"
LINKEDIN_SHARE = "urn:li:share:6844785523593134080"


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class FakeThreads:
    """graph.threads.net: the container flow to publish, then media insights (a lifetime
    ``values`` series per metric) and the user's followers_count (a ``total_value``).
    ``throttled`` answers reads with Graph's rate-limit error (code 4) and a 429."""

    def __init__(self, server: Any) -> None:
        self.throttled = False
        self.reads: list[str] = []
        self.insights = {"views": 950, "likes": 41, "replies": 6, "reposts": 3, "quotes": 2}
        self.followers = 1320
        server.expect_request(f"/{THREADS_USER}/threads", method="POST").respond_with_json(
            {"id": "container-1"}
        )
        server.expect_request("/container-1", method="GET").respond_with_json(
            {"id": "container-1", "status": "FINISHED"}
        )
        server.expect_request(f"/{THREADS_USER}/threads_publish", method="POST").respond_with_json(
            {"id": THREADS_MEDIA}
        )
        server.expect_request(f"/{THREADS_MEDIA}", method="GET").respond_with_json(
            {"id": THREADS_MEDIA, "permalink": "https://www.threads.net/@acme/post/C1"}
        )
        server.expect_request(f"/{THREADS_MEDIA}/insights").respond_with_handler(self.media)
        server.expect_request(f"/{THREADS_USER}/threads_insights").respond_with_handler(self.user)

    def media(self, request: Request) -> Response:
        self.reads.append(request.full_path)
        if self.throttled:
            return self._throttle()
        names = request.args["metric"].split(",")
        return _json(
            {
                "data": [
                    {
                        "name": name,
                        "period": "lifetime",
                        "values": [{"value": self.insights[name]}],
                        "title": name.title(),
                        "description": f"The number of {name} of your post.",
                        "id": f"{THREADS_MEDIA}/insights/{name}/lifetime",
                    }
                    for name in names
                ]
            }
        )

    def user(self, request: Request) -> Response:
        self.reads.append(request.full_path)
        if self.throttled:
            return self._throttle()
        return _json(
            {
                "data": [
                    {
                        "name": "followers_count",
                        "period": "day",
                        "title": "followers_count",
                        "description": "This is the total number of followers on Threads.",
                        "total_value": {"value": self.followers},
                        "id": f"{THREADS_USER}/insights/followers_count/day",
                    }
                ]
            }
        )

    @staticmethod
    def _throttle() -> Response:
        error = {
            "message": "(#4) Application request limit reached",
            "type": "OAuthException",
            "code": 4,
            "fbtrace_id": "AbCdEf",
        }
        return _json({"error": error}, status=429)


class FakeLinkedIn:
    """api.linkedin.com for an organization: posts, the share statistics of its posts and
    its follower count (networkSizes). ``throttled``: reads answer 429 with no Retry-After,
    as LinkedIn does when a daily limit is reached."""

    def __init__(self, server: Any) -> None:
        self.throttled = False
        self.reads: list[Request] = []
        server.expect_request("/rest/posts", method="POST").respond_with_response(
            Response(status=201, headers={"x-restli-id": LINKEDIN_SHARE})
        )
        server.expect_request("/rest/organizationalEntityShareStatistics").respond_with_handler(
            self.statistics
        )
        # Sent URL-encoded (urn%3Ali%3A...); the server sees the path decoded.
        server.expect_request(f"/rest/networkSizes/{LINKEDIN_ORG}").respond_with_handler(
            self.network_size
        )

    def statistics(self, request: Request) -> Response:
        self.reads.append(request)
        if self.throttled:
            return self._throttle()
        totals = {
            "uniqueImpressionsCount": 610,
            "shareCount": 4,
            "engagement": 0.0375,
            "clickCount": 18,
            "likeCount": 27,
            "impressionCount": 800,
            "commentCount": 5,
        }
        element = {
            "totalShareStatistics": totals,
            "share": LINKEDIN_SHARE,
            "organizationalEntity": LINKEDIN_ORG,
        }
        return _json({"paging": {"count": 10, "start": 0, "links": []}, "elements": [element]})

    def network_size(self, request: Request) -> Response:
        self.reads.append(request)
        if self.throttled:
            return self._throttle()
        return _json({"firstDegreeSize": 4812})

    @staticmethod
    def _throttle() -> Response:
        return _json({"status": 429, "message": "Resource level throttle limit reached"}, 429)


@pytest.fixture
def threads_network(httpserver) -> FakeThreads:
    return FakeThreads(httpserver)


@pytest.fixture
def threads_channel(cast, httpserver) -> Channel:
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.THREADS,
        name="Threads",
        handle="@acme",
        base_url=httpserver.url_for("/").rstrip("/"),
        credentials={"threads_user_id": THREADS_USER, "access_token": "threads-token"},
    )


@pytest.fixture
def linkedin_network(httpserver) -> FakeLinkedIn:
    return FakeLinkedIn(httpserver)


@pytest.fixture
def linkedin_channel(cast, httpserver) -> Channel:
    return ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.LINKEDIN,
        name="LinkedIn",
        handle="acme",
        base_url=httpserver.url_for("/").rstrip("/"),
        credentials={"author_urn": LINKEDIN_ORG, "access_token": "li-token"},
    )


def test_threads_insights_are_stored_under_our_names(cast, threads_channel, threads_network):
    publication = publish(cast, threads_channel)
    assert publication.external_id == THREADS_MEDIA
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        assert metrics_collect_due()["read"] == 1
    assert latest(publication) == {
        "views": 950,
        "likes": 41,
        "replies": 6,
        "reposts": 3,
        "quotes": 2,
    }
    (read,) = threads_network.reads
    assert "metric=views%2Clikes%2Creplies%2Creposts%2Cquotes" in read
    assert reload(threads_channel).metrics_error == ""


def test_threads_followers_come_from_the_users_insights(cast, threads_channel, threads_network):
    publish(cast, threads_channel)
    assert followers_collect_due()["read"] == 1
    assert FollowerSnapshot.objects.get(channel=threads_channel).count == 1320
    assert threads_network.reads == [f"/{THREADS_USER}/threads_insights?metric=followers_count"]


def test_a_threads_rate_limit_pauses_the_channel(cast, threads_channel, threads_network):
    from planner.channels.meta import THROTTLE_DELAY

    publication = publish(cast, threads_channel)
    due = publication.metrics_due_at
    start = publication.published_at + HOUR + MINUTE
    threads_network.throttled = True
    with time_machine.travel(start, tick=False):
        assert metrics_collect_due() == {"read": 0, "failed": 0, "postponed": 1}
    channel = reload(threads_channel)
    assert channel.metrics_paused_until == start + dt.timedelta(seconds=THROTTLE_DELAY)
    assert channel.metrics_error == ""
    assert reload(publication).metrics_due_at == due
    with time_machine.travel(start + 5 * MINUTE, tick=False):
        assert followers_collect_due() == {"read": 0, "failed": 0, "postponed": 0}
    assert len(threads_network.reads) == 1  # paused: not asked again
    threads_network.throttled = False
    with time_machine.travel(channel.metrics_paused_until + MINUTE):
        assert metrics_collect_due()["read"] == 1
    assert latest(publication)["likes"] == 41


def test_linkedin_share_statistics_are_stored_under_our_names(
    cast, linkedin_channel, linkedin_network
):
    publication = publish(cast, linkedin_channel)
    assert publication.external_id == LINKEDIN_SHARE
    with time_machine.travel(publication.published_at + HOUR + MINUTE):
        assert metrics_collect_due()["read"] == 1
    assert latest(publication) == {"likes": 27, "reposts": 4, "replies": 5, "views": 800}
    (read,) = linkedin_network.reads
    assert read.args["q"] == "organizationalEntity"
    assert read.args["organizationalEntity"] == LINKEDIN_ORG
    assert read.args["shares"] == f"List({LINKEDIN_SHARE})"
    assert read.headers["LinkedIn-Version"]
    assert read.headers["Authorization"] == "Bearer li-token"


def test_linkedin_followers_come_from_the_organizations_network_size(
    cast, linkedin_channel, linkedin_network
):
    publish(cast, linkedin_channel)
    assert followers_collect_due()["read"] == 1
    assert FollowerSnapshot.objects.get(channel=linkedin_channel).count == 4812
    (read,) = linkedin_network.reads
    assert read.args["edgeType"] == "COMPANY_FOLLOWED_BY_MEMBER"


def test_a_linkedin_rate_limit_pauses_the_channel_until_midnight_utc(
    cast, linkedin_channel, linkedin_network
):
    publish(cast, linkedin_channel)
    linkedin_network.throttled = True
    midnight = (timezone.now() + dt.timedelta(days=2)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = midnight - dt.timedelta(hours=2, minutes=30)
    with time_machine.travel(start, tick=False):
        assert followers_collect_due() == {"read": 0, "failed": 0, "postponed": 1}
    channel = reload(linkedin_channel)
    assert channel.metrics_paused_until == midnight
    assert channel.metrics_error == ""
    assert not FollowerSnapshot.objects.exists()
    linkedin_network.throttled = False
    with time_machine.travel(midnight + 5 * MINUTE):
        assert followers_collect_due()["read"] == 1
