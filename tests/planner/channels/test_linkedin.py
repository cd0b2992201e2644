"""LinkedIn (Posts API), against a real HTTP server on 127.0.0.1 answering in LinkedIn's shapes."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from planner.channels.base import (
    AdapterError,
    MediaFile,
    NotThere,
    Outgoing,
    Permanent,
    Published,
    Session,
    Transient,
    Unknown,
)
from planner.channels.linkedin import (
    API_VERSION,
    LinkedInAdapter,
    little_text,
    until_midnight_utc,
    visible_text,
)

linkedin = LinkedInAdapter()
AUTHOR = "urn:li:organization:8025"
URN = "urn:li:share:6844785523593134080"
TEXT = "Trailhead 2 is here."
CREDENTIALS = {"author_urn": AUTHOR, "access_token": "access-1"}


def session_for(
    server: HTTPServer, http: httpx.Client, saved: list | None = None, **credentials: Any
) -> Session:
    saved = [] if saved is None else saved
    return Session(
        kind="linkedin",
        base_url=server.url_for("/"),
        handle="cairn-outdoor",
        credentials={**CREDENTIALS, **credentials},
        http=http,
        save_credentials=saved.append,
    )


def created(urn: str = URN) -> Response:
    return Response(status=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})


def requests(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log]


def wait_for_answers(server: HTTPServer, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(server.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)


# --- publishing --------------------------------------------------------------------------


def test_it_creates_a_public_post_and_returns_its_urn_and_url(httpserver, http):
    httpserver.expect_request("/rest/posts", method="POST").respond_with_response(created())
    outcome = linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert outcome == Published(URN, f"https://www.linkedin.com/feed/update/{URN}/")
    (request,) = requests(httpserver)
    assert request.headers["Authorization"] == "Bearer access-1"
    assert request.headers["LinkedIn-Version"] == API_VERSION
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.get_json() == {
        "author": AUTHOR,
        "commentary": TEXT,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }


def test_the_commentary_is_sent_in_little_text_format(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_response(created())
    text = "Repairs (free) for life_ #Trailhead2"
    linkedin.publish(session_for(httpserver, http), Outgoing(text=text))
    commentary = requests(httpserver)[0].get_json()["commentary"]
    assert commentary == r"Repairs \(free\) for life\_ {hashtag|\#|Trailhead2}"


def test_a_channel_can_pin_another_api_version(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_response(created())
    session = session_for(httpserver, http, linkedin_version="202608")
    linkedin.publish(session, Outgoing(text=TEXT))
    assert requests(httpserver)[0].headers["LinkedIn-Version"] == "202608"


def test_a_201_without_an_id_is_an_unknown_outcome(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_response(Response(status=201))
    outcome = linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)


# --- tokens ------------------------------------------------------------------------------


def test_a_401_without_a_refresh_token_means_reconnect(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_json(
        {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN"}, status=401
    )
    outcome = linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert [r.path for r in requests(httpserver)] == ["/rest/posts"]


def test_a_401_with_a_refresh_token_refreshes_once_and_sends_again(httpserver, http):
    httpserver.expect_ordered_request("/rest/posts").respond_with_json(
        {"status": 401, "code": "EXPIRED_ACCESS_TOKEN"}, status=401
    )
    httpserver.expect_ordered_request("/oauth/v2/accessToken", method="POST").respond_with_json(
        {
            "access_token": "access-2",
            "expires_in": 5183999,
            "refresh_token": "refresh-2",
            "refresh_token_expires_in": 31536000,
        }
    )
    httpserver.expect_ordered_request("/rest/posts").respond_with_response(created())
    saved: list = []
    session = session_for(
        httpserver,
        http,
        saved,
        refresh_token="refresh-1",
        client_id="client-1",
        client_secret="secret-1",
    )
    assert isinstance(linkedin.publish(session, Outgoing(text=TEXT)), Published)
    token = requests(httpserver)[1]
    assert token.form.to_dict() == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": "client-1",
        "client_secret": "secret-1",
    }
    assert "Authorization" not in token.headers
    assert saved[0]["access_token"] == "access-2"
    assert saved[0]["refresh_token"] == "refresh-2"
    assert requests(httpserver)[2].headers["Authorization"] == "Bearer access-2"


def test_the_real_token_endpoint_is_on_www_linkedin_com():
    seen: list[str] = []

    def transport(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/oauth/v2/accessToken":
            return httpx.Response(200, json={"access_token": "access-2", "expires_in": 60 * 86400})
        return httpx.Response(201, headers={"x-restli-id": URN})

    with httpx.Client(transport=httpx.MockTransport(transport)) as client:
        session = Session(
            "linkedin",
            LinkedInAdapter.default_base_url,
            "",
            {**CREDENTIALS, "refresh_token": "r", "expires_at": 1},
            client,
        )
        assert isinstance(linkedin.publish(session, Outgoing(text=TEXT)), Published)
    assert seen == [
        "https://www.linkedin.com/oauth/v2/accessToken",
        "https://api.linkedin.com/rest/posts",
    ]


# --- failures ----------------------------------------------------------------------------


def test_a_duplicate_422_means_probably_published(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_json(
        {"message": f"Content is a duplicate of {URN}", "status": 422}, status=422
    )
    outcome = linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)
    assert "probably published" in outcome.reason


def test_another_422_is_a_refusal(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_json(
        {"message": "ERROR :: /commentary :: is too long", "status": 422}, status=422
    )
    assert isinstance(
        linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT)), Permanent
    )


def test_429_without_retry_after_waits_until_midnight_utc(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_json(
        {
            "message": "Resource level throttle APPLICATION DAY limit for calls to this "
            "resource is reached.",
            "status": 429,
        },
        status=429,
    )
    outcome = linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Transient)
    assert abs(outcome.retry_after - until_midnight_utc()) < 5


def test_midnight_utc_is_counted_from_the_current_time():
    eleven_pm = 1_767_222_000  # 2025-12-31 23:00:00 UTC
    assert until_midnight_utc(eleven_pm) == 3600


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_after_sending_is_an_unknown_outcome(httpserver, http, status):
    httpserver.expect_request("/rest/posts").respond_with_json({"status": status}, status=status)
    outcome = linkedin.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)


def test_no_answer_after_sending_is_an_unknown_outcome(httpserver):
    release = threading.Event()

    def late(_request: Request) -> Response:
        release.wait(5)
        return created()

    httpserver.expect_request("/rest/posts").respond_with_handler(late)
    with httpx.Client(timeout=httpx.Timeout(0.1, connect=1.0)) as impatient:
        outcome = linkedin.publish(session_for(httpserver, impatient), Outgoing(text=TEXT))
    release.set()
    wait_for_answers(httpserver, 1)  # so that the late answer cannot leak into another test
    assert isinstance(outcome, Unknown)


def test_a_refused_connection_is_transient(http):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = Session("linkedin", f"http://127.0.0.1:{port}/", "", dict(CREDENTIALS), http)
    assert isinstance(linkedin.publish(session, Outgoing(text=TEXT)), Transient)


# --- reconciliation and deletion ---------------------------------------------------------


def test_reconcile_finds_the_post_among_the_authors_posts(httpserver, http):
    text = "Repairs (free) for life #Trailhead2"
    httpserver.expect_request("/rest/posts", method="GET").respond_with_json(
        {
            "paging": {"start": 0, "count": 20, "links": []},
            "elements": [
                {"id": "urn:li:share:1", "author": AUTHOR, "commentary": "Older"},
                {
                    "id": URN,
                    "author": AUTHOR,
                    "commentary": r"Repairs \(free\) for life {hashtag|\#|Trailhead2}",
                    "lifecycleState": "PUBLISHED",
                },
            ],
        }
    )
    outcome = linkedin.reconcile(session_for(httpserver, http), Outgoing(text=text))
    assert outcome == Published(URN, f"https://www.linkedin.com/feed/update/{URN}/")
    (request,) = requests(httpserver)
    assert request.headers["X-RestLi-Method"] == "FINDER"
    assert request.query_string.decode() == (
        "q=author&author=urn%3Ali%3Aorganization%3A8025&count=20&sortBy=LAST_MODIFIED"
    )


def test_reconcile_says_not_there_when_no_recent_post_has_the_text(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_json({"paging": {}, "elements": []})
    outcome = linkedin.reconcile(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, NotThere)


def test_reconcile_cannot_tell_without_permission_to_read_posts(httpserver, http):
    httpserver.expect_request("/rest/posts").respond_with_json(
        {"status": 403, "code": "ACCESS_DENIED"}, status=403
    )
    assert linkedin.reconcile(session_for(httpserver, http), Outgoing(text=TEXT)) is None


def test_delete_sends_the_encoded_urn_and_accepts_a_post_already_gone(httpserver, http):
    httpserver.expect_ordered_request(f"/rest/posts/{URN}", method="DELETE").respond_with_response(
        Response(status=204)
    )
    httpserver.expect_ordered_request(f"/rest/posts/{URN}", method="DELETE").respond_with_json(
        {"status": 404}, status=404
    )
    session = session_for(httpserver, http)
    linkedin.delete(session, Outgoing(text=TEXT, external_id=URN))
    linkedin.delete(session, Outgoing(text=TEXT, external_id=URN))
    request = requests(httpserver)[0]
    assert request.environ["REQUEST_URI"] == "/rest/posts/urn%3Ali%3Ashare%3A6844785523593134080"
    assert request.headers["X-RestLi-Method"] == "DELETE"
    httpserver.check_assertions()


def test_a_refused_delete_raises(httpserver, http):
    httpserver.expect_request(f"/rest/posts/{URN}").respond_with_json({"status": 403}, status=403)
    with pytest.raises(AdapterError) as caught:
        linkedin.delete(session_for(httpserver, http), Outgoing(text=TEXT, external_id=URN))
    assert isinstance(caught.value.outcome, Permanent)


# --- little text and validation ----------------------------------------------------------


def test_every_reserved_character_is_escaped():
    assert little_text(r"| { } @ [ ] ( ) < > # \ * _ ~") == (
        r"\| \{ \} \@ \[ \] \( \) \< \> \# \\ \* \_ \~"
    )


def test_hashtags_stay_hashtags_and_mentions_stay_plain_text():
    assert little_text("Go #trail_running with @alice") == (
        r"Go {hashtag|\#|trail\_running} with \@alice"
    )


def test_a_fragment_in_a_link_is_not_a_hashtag():
    assert (
        little_text("See https://cairn.example/a_b#top") == r"See https://cairn.example/a\_b\#top"
    )


def test_visible_text_undoes_the_little_format():
    text = "Repairs (free) for life_ #Trailhead2 @alice https://a.example/#x"
    assert visible_text(little_text(text)) == text


def test_3000_characters_pass_and_3001_are_refused():
    assert linkedin.validate("a" * 3000) == []
    assert linkedin.validate("a" * 3001) == ["Characters (LinkedIn): 3001 of 3000 (1 too many)."]


def test_up_to_20_images_or_one_video():
    photo = MediaFile("summit.jpg", "image/jpeg", 1000)
    clip = MediaFile("clip.mp4", "video/mp4", 1000, duration=12.0)
    assert linkedin.validate("Look", (photo,) * 20) == []
    assert linkedin.validate("Look", (photo,) * 21) == ["At most 20 media files (21 attached)."]
    assert linkedin.validate("Look", (clip,)) == []
    assert linkedin.validate("Look", (clip, photo)) == [
        "A video must be the only file of the post here, with no other media."
    ]


# --- metrics and followers ----------------------------------------------------------------

MEMBER = "urn:li:person:8675309"


def test_a_member_posts_counts_come_from_its_social_actions(httpserver, http):
    httpserver.expect_request(f"/rest/socialActions/{URN}", method="GET").respond_with_json(
        {
            "target": URN,
            "likesSummary": {
                "totalLikes": 12,
                "aggregatedTotalLikes": 12,
                "likedByCurrentUser": False,
            },
            "commentsSummary": {"totalFirstLevelComments": 3, "aggregatedTotalComments": 4},
        }
    )
    session = session_for(httpserver, http, author_urn=MEMBER)
    assert linkedin.metrics(session, Outgoing(text=TEXT, external_id=URN)) == {
        "likes": 12,
        "replies": 4,
    }
    (request,) = requests(httpserver)
    assert request.headers["LinkedIn-Version"] == API_VERSION
    assert "/rest/socialActions/urn%3Ali%3Ashare%3A" in request.environ["REQUEST_URI"]


def test_an_organization_ugc_post_is_asked_for_by_its_kind(httpserver, http):
    ugc = "urn:li:ugcPost:7012345678901234567"
    httpserver.expect_request("/rest/organizationalEntityShareStatistics").respond_with_json(
        {"elements": [{"totalShareStatistics": {"likeCount": 2, "impressionCount": 90}}]}
    )
    counts = linkedin.metrics(session_for(httpserver, http), Outgoing(text=TEXT, external_id=ugc))
    assert counts == {"likes": 2, "views": 90}
    (request,) = requests(httpserver)
    assert request.args["ugcPosts"] == f"List({ugc})"
    assert "shares" not in request.args


def test_a_member_has_no_follower_count_and_linkedin_is_not_asked(httpserver, http):
    assert linkedin.followers(session_for(httpserver, http, author_urn=MEMBER)) is None
    assert requests(httpserver) == []


def test_a_rate_limited_read_waits_until_midnight_utc(httpserver, http):
    httpserver.expect_request(f"/rest/networkSizes/{AUTHOR}").respond_with_json(
        {"status": 429, "message": "Resource level throttle limit reached"}, status=429
    )
    with pytest.raises(AdapterError) as raised:
        linkedin.followers(session_for(httpserver, http))
    outcome = raised.value.outcome
    assert isinstance(outcome, Transient)
    assert abs(outcome.retry_after - until_midnight_utc()) < 5


def test_a_refused_read_is_permanent(httpserver, http):
    httpserver.expect_request(f"/rest/socialActions/{URN}").respond_with_json(
        {"status": 403, "message": "Not enough permissions to access: socialActions.GET"},
        status=403,
    )
    with pytest.raises(AdapterError) as raised:
        linkedin.metrics(
            session_for(httpserver, http, author_urn=MEMBER), Outgoing(text=TEXT, external_id=URN)
        )
    assert isinstance(raised.value.outcome, Permanent)
