"""Facebook Pages, Instagram and Threads, against a real HTTP server on 127.0.0.1.

The server answers in the Graph API's documented shapes, including the
container state machine of Instagram and Threads.
"""

from __future__ import annotations

import dataclasses
import json
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
from planner.channels.meta import (
    NO_PUBLIC_URL,
    THROTTLE_DELAY,
    FacebookAdapter,
    InstagramAdapter,
    ThreadsAdapter,
)

PAGE = "802500000001"
POST_ID = f"{PAGE}_1234567890"
IG_USER = "17841480250001"
THREADS_USER = "802500000002"
CONTAINER = "17889455560051444"
MEDIA_ID = "17920238422030506"
TEXT = "Trailhead 2 is here."

facebook = FacebookAdapter()


@pytest.fixture
def instagram() -> InstagramAdapter:
    adapter = InstagramAdapter()
    adapter.poll_attempts = 3
    adapter.poll_interval = 0.0
    return adapter


@pytest.fixture
def threads() -> ThreadsAdapter:
    adapter = ThreadsAdapter()
    adapter.poll_interval = 0.0
    return adapter


def session_for(server: HTTPServer, http: httpx.Client, kind: str, **credentials: Any) -> Session:
    defaults = {
        "facebook": {"page_id": PAGE, "page_access_token": "page-token"},
        "instagram": {
            "ig_user_id": IG_USER,
            "access_token": "ig-token",
        },
        "threads": {"threads_user_id": THREADS_USER, "access_token": "threads-token"},
    }[kind]
    return Session(kind, server.url_for("/"), "", {**defaults, **credentials}, http)


def graph_error(code: int, subcode: int | None = None, **extra: Any) -> dict:
    error = {"message": f"(#{code}) Something went wrong", "type": "OAuthException", "code": code}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": {**error, "fbtrace_id": "AbCdEf", **extra}}


def requests(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log]


def paths(server: HTTPServer) -> list[str]:
    return [f"{request.method} {request.path}" for request in requests(server)]


# --- Facebook ----------------------------------------------------------------------------


def test_facebook_posts_the_message_to_the_page_feed(httpserver, http):
    httpserver.expect_request(f"/{PAGE}/feed", method="POST").respond_with_json({"id": POST_ID})
    outcome = facebook.publish(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert outcome == Published(POST_ID, f"https://www.facebook.com/{POST_ID}")
    (request,) = requests(httpserver)
    assert request.form.to_dict() == {"message": TEXT}
    assert request.headers["Authorization"] == "Bearer page-token"
    assert "page-token" not in request.full_path  # never in a URL, so never in a log


@pytest.mark.parametrize(
    ("status", "error", "expected", "reauth"),
    [
        (400, graph_error(190, 463), Permanent, True),  # token expired
        (400, graph_error(200), Permanent, True),  # permission missing
        (400, graph_error(100), Permanent, False),  # invalid parameter
        (400, graph_error(506), Unknown, None),  # duplicate status message
        (400, graph_error(4), Transient, None),  # app rate limit
        (400, graph_error(17), Transient, None),  # user rate limit
        (400, graph_error(32), Transient, None),  # page rate limit
        (400, graph_error(613), Transient, None),  # custom rate limit
        (400, graph_error(80001), Transient, None),  # Pages business use case limit
        (500, graph_error(2, is_transient=True), Unknown, None),  # may have posted
        (500, graph_error(1), Unknown, None),
    ],
)
def test_facebook_graph_errors_mean_what_the_graph_docs_say(
    httpserver, http, status, error, expected, reauth
):
    httpserver.expect_request(f"/{PAGE}/feed").respond_with_json(error, status=status)
    outcome = facebook.publish(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert isinstance(outcome, expected)
    assert f"Graph code {error['error']['code']}" in outcome.reason
    if reauth is not None:
        assert outcome.reauth is reauth


def test_a_throttled_call_waits_as_long_as_meta_estimates(httpserver, http):
    usage = {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    httpserver.expect_request(f"/{PAGE}/feed").respond_with_json(
        graph_error(80001), status=400, headers={"X-Business-Use-Case-Usage": json.dumps(usage)}
    )
    outcome = facebook.publish(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert outcome == Transient(outcome.reason, 7 * 60.0)


def test_a_throttled_call_without_an_estimate_waits_a_quarter_hour(httpserver, http):
    httpserver.expect_request(f"/{PAGE}/feed").respond_with_json(graph_error(4), status=400)
    outcome = facebook.publish(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert isinstance(outcome, Transient)
    assert outcome.retry_after == THROTTLE_DELAY


def test_facebook_server_error_without_a_graph_error_is_unknown(httpserver, http):
    httpserver.expect_request(f"/{PAGE}/feed").respond_with_data("Bad gateway", status=502)
    outcome = facebook.publish(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)


def test_facebook_no_answer_after_sending_is_unknown(httpserver):
    release = threading.Event()

    def late(_request: Request) -> Response:
        release.wait(5)
        return Response(json.dumps({"id": POST_ID}), content_type="application/json")

    httpserver.expect_request(f"/{PAGE}/feed").respond_with_handler(late)
    with httpx.Client(timeout=httpx.Timeout(0.1, connect=1.0)) as impatient:
        outcome = facebook.publish(
            session_for(httpserver, impatient, "facebook"), Outgoing(text=TEXT)
        )
    release.set()
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:  # let the late answer land here
        time.sleep(0.01)
    assert isinstance(outcome, Unknown)


def test_facebook_refused_connection_is_transient(http):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = Session("facebook", f"http://127.0.0.1:{port}/", "", {"page_id": PAGE}, http)
    assert isinstance(facebook.publish(session, Outgoing(text=TEXT)), Transient)


def test_facebook_reconcile_matches_the_pages_published_posts_by_text(httpserver, http):
    httpserver.expect_request(f"/{PAGE}/published_posts", method="GET").respond_with_json(
        {
            "data": [
                {"id": f"{PAGE}_1", "message": "Older", "created_time": "2026-11-24T08:00:00+0000"},
                {"id": POST_ID, "message": TEXT, "created_time": "2026-11-25T08:00:00+0000"},
            ],
            "paging": {"cursors": {"before": "a", "after": "b"}},
        }
    )
    outcome = facebook.reconcile(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert outcome == Published(POST_ID, f"https://www.facebook.com/{POST_ID}")
    assert requests(httpserver)[0].args["fields"] == "id,message,created_time"


def test_facebook_reconcile_says_not_there_when_no_post_matches(httpserver, http):
    httpserver.expect_request(f"/{PAGE}/published_posts").respond_with_json({"data": []})
    outcome = facebook.reconcile(session_for(httpserver, http, "facebook"), Outgoing(text=TEXT))
    assert isinstance(outcome, NotThere)


def test_facebook_delete_and_metrics(httpserver, http):
    httpserver.expect_request(f"/{POST_ID}", method="DELETE").respond_with_json({"success": True})
    httpserver.expect_request(f"/{POST_ID}", method="GET").respond_with_json(
        {
            "id": POST_ID,
            "shares": {"count": 3},
            "reactions": {"data": [], "summary": {"total_count": 41}},
            "comments": {"data": [], "summary": {"total_count": 5}},
        }
    )
    session = session_for(httpserver, http, "facebook")
    facebook.delete(session, Outgoing(text=TEXT, external_id=POST_ID))
    metrics = facebook.metrics(session, Outgoing(text=TEXT, external_id=POST_ID))
    assert metrics == {"likes": 41, "reposts": 3, "replies": 5}


def test_facebook_delete_refused_raises(httpserver, http):
    httpserver.expect_request(f"/{POST_ID}").respond_with_json(graph_error(190), status=400)
    with pytest.raises(AdapterError) as caught:
        facebook.delete(
            session_for(httpserver, http, "facebook"), Outgoing(text=TEXT, external_id=POST_ID)
        )
    assert caught.value.outcome.reauth


# --- Instagram ---------------------------------------------------------------------------


@pytest.fixture
def photo(settings, tmp_path) -> MediaFile:
    settings.MEDIA_ROOT = str(tmp_path)
    path = tmp_path / "media" / "1" / "c0ffee" / "summit photo.jpg"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"jpeg")
    # The engine gives a file its signed address (planner/publishing/media_links.py).
    return MediaFile(str(path), "image/jpeg", 4, alt_text="A pack on a summit", url=SIGNED_URL)


SIGNED_URL = "https://maillon.example/public/media/7.3:1abc:sig/summit-photo.jpg"


def container_status(state: str, **extra: str) -> dict:
    return {"status_code": state, "id": CONTAINER, **extra}


def test_instagram_creates_a_container_waits_for_it_then_publishes_it(
    httpserver, http, instagram, photo
):
    httpserver.expect_ordered_request(f"/{IG_USER}/media", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    httpserver.expect_ordered_request(f"/{CONTAINER}").respond_with_json(
        container_status("IN_PROGRESS")
    )
    httpserver.expect_ordered_request(f"/{CONTAINER}").respond_with_json(
        container_status("FINISHED")
    )
    httpserver.expect_ordered_request(f"/{IG_USER}/media_publish", method="POST").respond_with_json(
        {"id": MEDIA_ID}
    )
    httpserver.expect_ordered_request(f"/{MEDIA_ID}").respond_with_json(
        {"permalink": "https://www.instagram.com/p/CairnTH2/", "id": MEDIA_ID}
    )
    outcome = instagram.publish(
        session_for(httpserver, http, "instagram"), Outgoing(text=TEXT, media=(photo,))
    )
    assert outcome == Published(MEDIA_ID, "https://www.instagram.com/p/CairnTH2/")
    create, status, _, publish, _ = requests(httpserver)
    assert create.form.to_dict() == {
        "image_url": SIGNED_URL,
        "caption": TEXT,
        "alt_text": "A pack on a summit",
    }
    assert create.headers["Authorization"] == "Bearer ig-token"
    assert status.args["fields"] == "status_code,status"
    assert publish.form.to_dict() == {"creation_id": CONTAINER}
    httpserver.check_assertions()


def test_instagram_gives_up_on_a_container_still_in_progress_without_publishing(
    httpserver, http, instagram, photo
):
    httpserver.expect_request(f"/{IG_USER}/media", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    httpserver.expect_request(f"/{CONTAINER}").respond_with_json(container_status("IN_PROGRESS"))
    outcome = instagram.publish(
        session_for(httpserver, http, "instagram"), Outgoing(text=TEXT, media=(photo,))
    )
    assert isinstance(outcome, Transient)
    assert "nothing was published" in outcome.reason
    assert paths(httpserver) == [f"POST /{IG_USER}/media"] + [f"GET /{CONTAINER}"] * 3


def test_instagram_a_container_in_error_is_refused_with_metas_reason(
    httpserver, http, instagram, photo
):
    httpserver.expect_request(f"/{IG_USER}/media").respond_with_json({"id": CONTAINER})
    httpserver.expect_request(f"/{CONTAINER}").respond_with_json(
        container_status("ERROR", status="Error: Media download has failed.")
    )
    outcome = instagram.publish(
        session_for(httpserver, http, "instagram"), Outgoing(text=TEXT, media=(photo,))
    )
    assert isinstance(outcome, Permanent)
    assert "Media download has failed" in outcome.reason


def test_instagram_rate_limit_after_publish_is_unknown_because_it_may_have_posted(
    httpserver, http, instagram, photo
):
    httpserver.expect_request(f"/{IG_USER}/media").respond_with_json({"id": CONTAINER})
    httpserver.expect_request(f"/{CONTAINER}").respond_with_json(container_status("FINISHED"))
    httpserver.expect_request(f"/{IG_USER}/media_publish").respond_with_json(
        graph_error(4, 2207051), status=400
    )
    outcome = instagram.publish(
        session_for(httpserver, http, "instagram"), Outgoing(text=TEXT, media=(photo,))
    )
    assert isinstance(outcome, Unknown)


def test_instagram_needs_the_files_address(httpserver, http, instagram, photo):
    session = session_for(httpserver, http, "instagram")
    no_address = dataclasses.replace(photo, url="")
    outcome = instagram.publish(session, Outgoing(text=TEXT, media=(no_address,)))
    assert outcome == Permanent(NO_PUBLIC_URL)
    assert httpserver.log == []
    assert "public_media_base_url" not in instagram.credential_fields


def test_instagram_reuses_an_earlier_attempts_container_and_never_publishes_twice(
    httpserver, http, instagram, photo
):
    httpserver.expect_request(f"/{CONTAINER}").respond_with_json(container_status("PUBLISHED"))
    httpserver.expect_request(f"/{IG_USER}/media", method="GET").respond_with_json(
        {"data": [{"id": MEDIA_ID, "caption": TEXT, "permalink": "https://www.instagram.com/p/X/"}]}
    )
    message = Outgoing(text=TEXT, media=(photo,), platform_key=CONTAINER)
    outcome = instagram.publish(session_for(httpserver, http, "instagram"), message)
    assert outcome == Published(MEDIA_ID, "https://www.instagram.com/p/X/")
    assert paths(httpserver) == [f"GET /{CONTAINER}", f"GET /{IG_USER}/media"]


def test_instagram_reconcile_with_a_container_that_never_published_is_not_there(
    httpserver, http, instagram
):
    httpserver.expect_request(f"/{CONTAINER}").respond_with_json(container_status("FINISHED"))
    message = Outgoing(text=TEXT, platform_key=CONTAINER)
    outcome = instagram.reconcile(session_for(httpserver, http, "instagram"), message)
    assert isinstance(outcome, NotThere)


def test_instagram_reconcile_without_a_container_matches_recent_media_by_caption(
    httpserver, http, instagram
):
    httpserver.expect_request(f"/{IG_USER}/media", method="GET").respond_with_json(
        {"data": [{"id": MEDIA_ID, "caption": f"{TEXT}\n", "permalink": "https://ig/p/X/"}]}
    )
    outcome = instagram.reconcile(session_for(httpserver, http, "instagram"), Outgoing(text=TEXT))
    assert outcome == Published(MEDIA_ID, "https://ig/p/X/")
    assert requests(httpserver)[0].args["fields"] == "id,caption,permalink"


def test_instagram_refuses_a_post_without_an_image(instagram):
    assert instagram.validate(TEXT) == ["This network needs at least one image or video."]


def test_instagram_takes_jpeg_only():
    png = MediaFile("a.png", "image/png", 10)
    assert InstagramAdapter().validate(TEXT, (png,)) == ["image/png files are not accepted here."]


def test_instagram_caption_allows_2200_characters_and_30_hashtags(photo):
    instagram = InstagramAdapter()
    assert instagram.validate("a" * 2200, (photo,)) == []
    assert instagram.validate("a" * 2201, (photo,)) == [
        "Characters (Instagram): 2201 of 2200 (1 too many)."
    ]
    tags = " ".join(f"#tag{n}" for n in range(31))
    assert instagram.validate(tags, (photo,)) == ["Hashtags (Instagram): 31 of 30 (1 too many)."]


# --- Threads -----------------------------------------------------------------------------


def test_threads_creates_a_text_container_then_publishes_it(httpserver, http, threads):
    httpserver.expect_ordered_request(f"/{THREADS_USER}/threads", method="POST").respond_with_json(
        {"id": CONTAINER}
    )
    httpserver.expect_ordered_request(f"/{CONTAINER}").respond_with_json(
        {"status": "FINISHED", "id": CONTAINER}
    )
    httpserver.expect_ordered_request(
        f"/{THREADS_USER}/threads_publish", method="POST"
    ).respond_with_json({"id": MEDIA_ID})
    httpserver.expect_ordered_request(f"/{MEDIA_ID}").respond_with_json(
        {"permalink": "https://www.threads.net/@cairn.outdoor/post/Cx", "id": MEDIA_ID}
    )
    outcome = threads.publish(session_for(httpserver, http, "threads"), Outgoing(text=TEXT))
    assert outcome == Published(MEDIA_ID, "https://www.threads.net/@cairn.outdoor/post/Cx")
    create, status, publish, _ = requests(httpserver)
    assert create.form.to_dict() == {"media_type": "TEXT", "text": TEXT}
    assert create.headers["Authorization"] == "Bearer threads-token"
    assert status.args["fields"] == "status,error_message"
    assert publish.form.to_dict() == {"creation_id": CONTAINER}
    httpserver.check_assertions()


def test_threads_a_failed_publish_call_is_unknown(httpserver, http, threads):
    httpserver.expect_request(f"/{THREADS_USER}/threads").respond_with_json({"id": CONTAINER})
    httpserver.expect_request(f"/{CONTAINER}").respond_with_json({"status": "FINISHED"})
    httpserver.expect_request(f"/{THREADS_USER}/threads_publish").respond_with_json(
        graph_error(2, is_transient=True), status=500
    )
    outcome = threads.publish(session_for(httpserver, http, "threads"), Outgoing(text=TEXT))
    assert isinstance(outcome, Unknown)


def test_threads_too_many_links_is_refused_by_validation_and_by_threads():
    links = " ".join(f"https://cairn.example/{n}" for n in range(6))
    assert ThreadsAdapter().validate(links) == ["Links (Threads): 6 of 5 (1 too many)."]
    five = " ".join(f"https://cairn.example/{n}" for n in range(5))
    assert ThreadsAdapter().validate(five) == []


def test_threads_allows_500_characters():
    assert ThreadsAdapter().validate("a" * 500) == []
    assert ThreadsAdapter().validate("a" * 501) == [
        "Characters (Threads): 501 of 500 (1 too many)."
    ]


def test_threads_delete_removes_the_post(httpserver, http, threads):
    httpserver.expect_request(f"/{MEDIA_ID}", method="DELETE").respond_with_json(
        {"success": True, "deleted_id": MEDIA_ID}
    )
    threads.delete(
        session_for(httpserver, http, "threads"), Outgoing(text=TEXT, external_id=MEDIA_ID)
    )
    assert paths(httpserver) == [f"DELETE /{MEDIA_ID}"]


def test_threads_reconcile_matches_recent_posts_by_text(httpserver, http, threads):
    httpserver.expect_request(f"/{THREADS_USER}/threads", method="GET").respond_with_json(
        {"data": [{"id": MEDIA_ID, "text": TEXT, "permalink": "https://www.threads.net/p/1"}]}
    )
    outcome = threads.reconcile(session_for(httpserver, http, "threads"), Outgoing(text=TEXT))
    assert outcome == Published(MEDIA_ID, "https://www.threads.net/p/1")
    assert requests(httpserver)[0].args["fields"] == "id,text,permalink"


# --- Threads: insights ------------------------------------------------------------------


def test_threads_metrics_read_the_media_insights_under_our_names(httpserver, http, threads):
    httpserver.expect_request(
        f"/{MEDIA_ID}/insights", query_string={"metric": "views,likes,replies,reposts,quotes"}
    ).respond_with_json(
        {
            "data": [
                {"name": "views", "period": "lifetime", "values": [{"value": 950}]},
                {"name": "likes", "period": "lifetime", "values": [{"value": 41}]},
                {"name": "replies", "period": "lifetime", "values": [{"value": 6}]},
                # A metric may come as a total rather than a series.
                {"name": "reposts", "period": "lifetime", "total_value": {"value": 3}},
                {"name": "quotes", "period": "lifetime", "values": []},
                {"name": "shares", "period": "lifetime", "values": [{"value": 9}]},
            ]
        }
    )
    session = session_for(httpserver, http, "threads")
    counts = threads.metrics(session, Outgoing(text=TEXT, external_id=MEDIA_ID))
    # No value for quotes: left out, not zero; shares is not in the table.
    assert counts == {"likes": 41, "reposts": 3, "replies": 6, "views": 950}
    assert requests(httpserver)[0].headers["Authorization"] == "Bearer threads-token"


def test_threads_followers_read_the_users_total_value(httpserver, http, threads):
    httpserver.expect_request(
        f"/{THREADS_USER}/threads_insights", query_string={"metric": "followers_count"}
    ).respond_with_json(
        {
            "data": [
                {
                    "name": "followers_count",
                    "period": "day",
                    "total_value": {"value": 1320},
                    "id": f"{THREADS_USER}/insights/followers_count/day",
                }
            ]
        }
    )
    assert threads.followers(session_for(httpserver, http, "threads")) == 1320


def test_threads_insights_without_the_permission_ask_to_reconnect(httpserver, http, threads):
    httpserver.expect_request(f"/{MEDIA_ID}/insights").respond_with_json(
        graph_error(10, message="Application does not have permission for this action"),
        status=403,
    )
    with pytest.raises(AdapterError) as raised:
        threads.metrics(
            session_for(httpserver, http, "threads"), Outgoing(text=TEXT, external_id=MEDIA_ID)
        )
    assert isinstance(raised.value.outcome, Permanent)
    assert raised.value.outcome.reauth


def test_threads_rate_limited_insights_wait_as_meta_says(httpserver, http, threads):
    httpserver.expect_request(f"/{THREADS_USER}/threads_insights").respond_with_json(
        graph_error(4), status=429, headers={"Retry-After": "120"}
    )
    with pytest.raises(AdapterError) as raised:
        threads.followers(session_for(httpserver, http, "threads"))
    assert raised.value.outcome == Transient(
        "HTTP 429: (#4) Something went wrong (Graph code 4)", 120.0
    )
