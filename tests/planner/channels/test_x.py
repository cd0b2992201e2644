"""X (API v2), against a real HTTP server on 127.0.0.1 answering in X's documented shapes."""

from __future__ import annotations

import base64
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
from planner.channels.x import XAdapter, comparable, expanded_text

x = XAdapter()
POST_ID = "1445880548472328192"
TEXT = "Trailhead 2 is here. Repairs free for life."
CREDENTIALS = {
    "client_id": "client-1",
    "client_secret": "secret-1",
    "access_token": "access-1",
    "refresh_token": "refresh-1",
}
TOKENS = {
    "token_type": "bearer",
    "expires_in": 7200,
    "access_token": "access-2",
    "scope": "tweet.write tweet.read users.read offline.access media.write",
    "refresh_token": "refresh-2",
}
DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


def session_for(
    server: HTTPServer, http: httpx.Client, saved: list | None = None, **credentials: Any
) -> Session:
    saved = [] if saved is None else saved
    return Session(
        kind="x",
        base_url=server.url_for("/"),
        handle="@cairn",
        credentials={**CREDENTIALS, **credentials},
        http=http,
        save_credentials=lambda new: saved.append((dict(new), len(server.log))),
    )


def created(post_id: str = POST_ID, text: str = TEXT) -> dict:
    return {"data": {"id": post_id, "text": text}}


def requests(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log]


def wait_for_answers(server: HTTPServer, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(server.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)


# --- publishing --------------------------------------------------------------------------


def test_it_posts_the_text_and_returns_the_post_id_and_url(httpserver, http):
    httpserver.expect_request("/2/tweets", method="POST").respond_with_json(created(), status=201)
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert outcome == Published(POST_ID, f"https://x.com/i/web/status/{POST_ID}")
    (request,) = requests(httpserver)
    assert request.headers["Authorization"] == "Bearer access-1"
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {"text": TEXT}


def test_it_uploads_images_with_their_alt_text_then_attaches_them(httpserver, http, tmp_path):
    photo = tmp_path / "summit.png"
    photo.write_bytes(b"\x89PNG fake image")
    media = MediaFile(str(photo), "image/png", photo.stat().st_size, alt_text="A pack on a summit")
    httpserver.expect_ordered_request("/2/media/upload", method="POST").respond_with_json(
        {"data": {"id": "1146654567674912769", "media_key": "3_1146654567674912769"}}
    )
    httpserver.expect_ordered_request("/2/media/metadata", method="POST").respond_with_json(
        {"data": {"associated_metadata": {"alt_text": {"text": "A pack on a summit"}}}}
    )
    httpserver.expect_ordered_request("/2/tweets", method="POST").respond_with_json(
        created(), status=201
    )
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT, media=(media,)))
    assert isinstance(outcome, Published)
    upload, metadata, tweet = requests(httpserver)
    assert upload.form["media_category"] == "tweet_image"
    assert upload.form["media_type"] == "image/png"
    assert upload.files["media"].read() == b"\x89PNG fake image"
    assert metadata.get_json() == {
        "id": "1146654567674912769",
        "metadata": {"alt_text": {"text": "A pack on a summit"}},
    }
    assert tweet.get_json() == {"text": TEXT, "media": {"media_ids": ["1146654567674912769"]}}


def test_a_failed_image_upload_is_transient_because_nothing_was_posted(httpserver, http, tmp_path):
    photo = tmp_path / "summit.jpg"
    photo.write_bytes(b"jpeg")
    httpserver.expect_request("/2/media/upload").respond_with_json({"title": "oops"}, status=500)
    outcome = x.publish(
        session_for(httpserver, http),
        Outgoing(text=TEXT, media=(MediaFile(str(photo), "image/jpeg", 4),)),
    )
    assert isinstance(outcome, Transient)
    assert [r.path for r in requests(httpserver)] == ["/2/media/upload"]


# --- tokens ------------------------------------------------------------------------------


def test_a_token_about_to_expire_is_refreshed_first_and_the_rotated_pair_saved_before_use(
    httpserver, http
):
    httpserver.expect_ordered_request("/2/oauth2/token", method="POST").respond_with_json(TOKENS)
    httpserver.expect_ordered_request("/2/tweets", method="POST").respond_with_json(
        created(), status=201
    )
    saved: list = []
    session = session_for(httpserver, http, saved, expires_at=int(time.time()) + 120)
    assert isinstance(x.publish(session, Outgoing(text=TEXT)), Published)
    token, tweet = requests(httpserver)
    assert token.form.to_dict() == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": "client-1",
    }
    basic = base64.b64encode(b"client-1:secret-1").decode()
    assert token.headers["Authorization"] == f"Basic {basic}"
    (stored, requests_seen), *_ = saved
    assert requests_seen == 1  # persisted before the post was sent with it
    assert stored["access_token"] == "access-2"
    assert stored["refresh_token"] == "refresh-2"
    assert time.time() + 7000 < stored["expires_at"] <= time.time() + 7200
    assert tweet.headers["Authorization"] == "Bearer access-2"


def test_a_token_with_time_left_is_not_refreshed(httpserver, http):
    httpserver.expect_request("/2/tweets").respond_with_json(created(), status=201)
    session = session_for(httpserver, http, expires_at=int(time.time()) + 3600)
    assert isinstance(x.publish(session, Outgoing(text=TEXT)), Published)
    assert [r.path for r in requests(httpserver)] == ["/2/tweets"]


def test_a_refresh_without_a_new_refresh_token_keeps_the_stored_one(httpserver, http):
    without = {key: value for key, value in TOKENS.items() if key != "refresh_token"}
    httpserver.expect_request("/2/oauth2/token").respond_with_json(without)
    httpserver.expect_request("/2/tweets").respond_with_json(created(), status=201)
    saved: list = []
    session = session_for(httpserver, http, saved, expires_at=int(time.time()) - 10)
    assert isinstance(x.publish(session, Outgoing(text=TEXT)), Published)
    (stored, _), *_ = saved
    assert "refresh_token" not in stored
    assert session.credentials["refresh_token"] == "refresh-1"
    assert session.credentials["access_token"] == "access-2"


def test_a_401_refreshes_the_token_once_and_sends_again(httpserver, http):
    httpserver.expect_ordered_request("/2/tweets").respond_with_json(
        {"title": "Unauthorized", "status": 401}, status=401
    )
    httpserver.expect_ordered_request("/2/oauth2/token").respond_with_json(TOKENS)
    httpserver.expect_ordered_request("/2/tweets").respond_with_json(created(), status=201)
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Published)
    assert requests(httpserver)[-1].headers["Authorization"] == "Bearer access-2"
    httpserver.check_assertions()


def test_a_second_401_after_refreshing_means_the_channel_must_be_reconnected(httpserver, http):
    unauthorized = {"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
    httpserver.expect_request("/2/tweets").respond_with_json(unauthorized, status=401)
    httpserver.expect_request("/2/oauth2/token").respond_with_json(TOKENS)
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert [r.path for r in requests(httpserver)] == ["/2/tweets", "/2/oauth2/token", "/2/tweets"]


def test_a_refused_refresh_means_the_channel_must_be_reconnected(httpserver, http):
    httpserver.expect_request("/2/oauth2/token").respond_with_json(
        {
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid.",
        },
        status=400,
    )
    saved: list = []
    session = session_for(httpserver, http, saved, expires_at=int(time.time()))
    outcome = x.publish(session, Outgoing(text=TEXT))
    assert isinstance(outcome, Permanent)
    assert outcome.reauth
    assert "token was invalid" in outcome.reason
    assert saved == []


# --- failures ----------------------------------------------------------------------------


def test_429_waits_until_the_rate_limit_window_resets(httpserver, http):
    reset = int(time.time()) + 120
    httpserver.expect_request("/2/tweets").respond_with_json(
        {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        status=429,
        headers={
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Transient)
    assert 110 <= outcome.retry_after <= 120


def test_429_from_an_exhausted_daily_cap_waits_for_the_daily_reset(httpserver, http):
    now = int(time.time())
    httpserver.expect_request("/2/tweets").respond_with_json(
        {"title": "Too Many Requests", "status": 429},
        status=429,
        headers={
            "x-rate-limit-reset": str(now + 60),
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(now + 5000),
        },
    )
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Transient)
    assert 4990 <= outcome.retry_after <= 5000


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_after_sending_is_an_unknown_outcome(httpserver, http, status):
    httpserver.expect_request("/2/tweets").respond_with_json(
        {"title": "Server Error"}, status=status
    )
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)


def test_a_duplicate_content_403_means_probably_published(httpserver, http):
    httpserver.expect_request("/2/tweets").respond_with_json(DUPLICATE, status=403)
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)
    assert "probably published" in outcome.reason


def test_another_403_is_a_refusal(httpserver, http):
    httpserver.expect_request("/2/tweets").respond_with_json(
        {
            "title": "Forbidden",
            "detail": "You are not permitted to perform this action.",
            "status": 403,
        },
        status=403,
    )
    outcome = x.publish(session_for(httpserver, http), Outgoing(text=TEXT))
    assert isinstance(outcome, Permanent)
    assert not outcome.reauth


def test_no_answer_after_sending_is_an_unknown_outcome(httpserver):
    release = threading.Event()

    def late(_request: Request) -> Response:
        release.wait(5)
        return Response("{}", status=201, content_type="application/json")

    httpserver.expect_request("/2/tweets").respond_with_handler(late)
    with httpx.Client(timeout=httpx.Timeout(0.1, connect=1.0)) as impatient:
        outcome = x.publish(session_for(httpserver, impatient), Outgoing(text=TEXT))
    release.set()
    wait_for_answers(httpserver, 1)  # so that the late answer cannot leak into another test
    assert isinstance(outcome, Unknown)
    assert "ReadTimeout" in outcome.reason


def test_a_refused_connection_is_transient(http):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = Session("x", f"http://127.0.0.1:{port}/", "@cairn", dict(CREDENTIALS), http)
    assert isinstance(x.publish(session, Outgoing(text=TEXT)), Transient)


# --- reconciliation, deletion, metrics ---------------------------------------------------


def timeline(*posts: dict) -> dict:
    return {"data": list(posts), "meta": {"result_count": len(posts)}}


def test_reconcile_finds_the_post_by_its_text_with_links_and_media_expanded(httpserver, http):
    text = "Trailhead 2 is here: https://cairn.example/trailhead?utm=x & more"
    posted = {
        "id": POST_ID,
        "edit_history_tweet_ids": [POST_ID],
        "text": "Trailhead 2 is here: https://t.co/AbC123 &amp; more https://t.co/MeDiA9",
        "entities": {
            "urls": [
                {
                    "url": "https://t.co/AbC123",
                    "expanded_url": "https://cairn.example/trailhead?utm=x",
                },
                {
                    "url": "https://t.co/MeDiA9",
                    "expanded_url": f"https://x.com/CairnOutdoor/status/{POST_ID}/photo/1",
                    "media_key": "3_1146654567674912769",
                },
            ]
        },
    }
    httpserver.expect_request("/2/users/me").respond_with_json(
        {"data": {"id": "2244994945", "name": "Cairn Outdoor", "username": "CairnOutdoor"}}
    )
    httpserver.expect_request("/2/users/2244994945/tweets").respond_with_json(
        timeline({"id": "1", "text": "An older post"}, posted)
    )
    saved: list = []
    outcome = x.reconcile(session_for(httpserver, http, saved), Outgoing(text=text))
    assert outcome == Published(POST_ID, f"https://x.com/i/web/status/{POST_ID}")
    assert saved[0][0] == {"user_id": "2244994945"}  # cached for next time
    listing = requests(httpserver)[-1]
    assert listing.args["max_results"] == "100"
    assert listing.args["tweet.fields"] == "entities"


def test_reconcile_uses_the_cached_user_id(httpserver, http):
    httpserver.expect_request("/2/users/42/tweets").respond_with_json(
        timeline({"id": POST_ID, "text": TEXT})
    )
    outcome = x.reconcile(session_for(httpserver, http, user_id="42"), Outgoing(text=TEXT))
    assert isinstance(outcome, Published)
    assert [r.path for r in requests(httpserver)] == ["/2/users/42/tweets"]


def test_reconcile_says_not_there_when_no_recent_post_has_the_text(httpserver, http):
    httpserver.expect_request("/2/users/42/tweets").respond_with_json({"meta": {"result_count": 0}})
    outcome = x.reconcile(session_for(httpserver, http, user_id="42"), Outgoing(text=TEXT))
    assert isinstance(outcome, NotThere)


def test_reconcile_raises_when_x_cannot_be_read(httpserver, http):
    httpserver.expect_request("/2/users/42/tweets").respond_with_json({}, status=503)
    with pytest.raises(AdapterError) as caught:
        x.reconcile(session_for(httpserver, http, user_id="42"), Outgoing(text=TEXT))
    assert isinstance(caught.value.outcome, Transient)


def test_comparing_ignores_schemes_html_escapes_and_spacing():
    assert comparable("Fish &amp; chips  at\nhttps://a.example") == comparable(
        "Fish & chips at a.example"
    )
    assert expanded_text({"text": "no links"}) == "no links"


def test_delete_removes_the_post_and_accepts_one_already_gone(httpserver, http):
    httpserver.expect_ordered_request(f"/2/tweets/{POST_ID}", method="DELETE").respond_with_json(
        {"data": {"deleted": True}}
    )
    httpserver.expect_ordered_request(f"/2/tweets/{POST_ID}", method="DELETE").respond_with_json(
        {"title": "Not Found Error", "status": 404}, status=404
    )
    session = session_for(httpserver, http)
    x.delete(session, Outgoing(text=TEXT, external_id=POST_ID))
    x.delete(session, Outgoing(text=TEXT, external_id=POST_ID))
    httpserver.check_assertions()


def test_metrics_are_read_from_public_metrics(httpserver, http):
    httpserver.expect_request(
        f"/2/tweets/{POST_ID}", query_string="tweet.fields=public_metrics"
    ).respond_with_json(
        {
            "data": {
                "id": POST_ID,
                "text": TEXT,
                "public_metrics": {
                    "retweet_count": 3,
                    "reply_count": 2,
                    "like_count": 40,
                    "quote_count": 1,
                    "bookmark_count": 5,
                    "impression_count": 1200,
                },
            }
        }
    )
    metrics = x.metrics(session_for(httpserver, http), Outgoing(text=TEXT, external_id=POST_ID))
    assert metrics == {
        "likes": 40,
        "reposts": 3,
        "replies": 2,
        "quotes": 1,
        "bookmarks": 5,
        "views": 1200,
    }


def test_check_connection_names_the_account(httpserver, http):
    httpserver.expect_request("/2/users/me").respond_with_json(
        {"data": {"id": "2244994945", "name": "Cairn Outdoor", "username": "CairnOutdoor"}}
    )
    assert x.check_connection(session_for(httpserver, http)) == "@CairnOutdoor"


# --- validation --------------------------------------------------------------------------


def test_280_weighted_characters_pass_and_281_are_refused():
    assert x.validate("a" * 280) == []
    assert x.validate("a" * 281) == ["Characters (X): 281 of 280 (1 too many)."]


def test_an_emoji_counts_as_two_characters():
    assert x.validate("🏔️" * 140) == []
    assert x.validate("🏔️" * 140 + "a") == ["Characters (X): 281 of 280 (1 too many)."]


def test_a_link_counts_as_23_characters_whatever_its_length():
    long_link = "https://cairn.example/" + "x" * 300
    assert x.counts(f"{'a' * 256} {long_link}")[0].value == 280


def test_four_images_or_one_gif_or_one_video():
    video = MediaFile("clip.mp4", "video/mp4", 1000, duration=10.0)
    gif = MediaFile("loop.gif", "image/gif", 1000)
    image = MediaFile("a.png", "image/png", 1000)
    assert x.validate("Clip", (video,)) == []
    assert x.validate("Loop", (gif,)) == []
    assert x.validate("Four", (image,) * 4) == []
    assert x.validate("Mixed", (video, image)) == [
        "A video must be the only file of the post here, with no other media."
    ]
    assert x.validate("Mixed", (gif, image)) == [
        "A GIF must be the only file of the post here, with no other media."
    ]
