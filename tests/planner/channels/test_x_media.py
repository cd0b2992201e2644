"""X media: images in one request, GIFs and video through the chunked upload (initialize,
append every segment, finalize, STATUS polled while X processes), against a stand-in on
127.0.0.1 that speaks the v2 media upload protocol and keeps what it was sent."""

from __future__ import annotations

import itertools
import json
import re
import threading

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from planner.channels.base import Outgoing, Permanent, Published, Session, Transient
from planner.channels.x import XAdapter
from tests.planner.channels import samples

TEXT = "Trailhead 2 in motion."


class XMedia:
    """X's media upload, v2: ``POST /2/media/upload`` (one image), ``/initialize``,
    ``/{id}/append``, ``/{id}/finalize``, ``GET /2/media/upload?command=STATUS``."""

    def __init__(self, server: HTTPServer, *, polls_before_done: int = 1, fail: str = ""):
        self.server = server
        self.lock = threading.Lock()
        self.ids = itertools.count(1880028106020515840)
        self.uploads: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.polls_before_done = polls_before_done
        self.fail = fail  # an error message: processing fails with it
        self.tweets: list[dict] = []
        server.expect_request("/2/media/upload", method="POST").respond_with_handler(self.image)
        server.expect_request("/2/media/upload/initialize", method="POST").respond_with_handler(
            self.initialize
        )
        server.expect_request(
            re.compile(r"/2/media/upload/\d+/append"), method="POST"
        ).respond_with_handler(self.append)
        server.expect_request(
            re.compile(r"/2/media/upload/\d+/finalize"), method="POST"
        ).respond_with_handler(self.finalize)
        server.expect_request("/2/media/upload", method="GET").respond_with_handler(self.status)
        server.expect_request("/2/media/metadata", method="POST").respond_with_json({"data": {}})
        server.expect_request("/2/tweets", method="POST").respond_with_handler(self.tweet)

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def image(self, request: Request) -> Response:
        media_id = str(next(self.ids))
        upload = request.files["media"].read()
        self.uploads[media_id] = {
            "category": request.form["media_category"],
            "bytes": upload,
            "segments": [],
        }
        return self._json({"data": {"id": media_id, "media_key": f"3_{media_id}"}})

    def initialize(self, request: Request) -> Response:
        body = request.get_json()
        media_id = str(next(self.ids))
        with self.lock:
            self.uploads[media_id] = {
                "category": body["media_category"],
                "type": body["media_type"],
                "total": body["total_bytes"],
                "segments": [],
                "finalized": False,
            }
        return self._json({"data": {"id": media_id, "expires_after_secs": 86400}})

    def append(self, request: Request) -> Response:
        media_id = request.path.split("/")[4]
        upload = self.uploads.get(media_id)
        if upload is None:
            return self._json({"errors": [{"message": "unknown media"}]}, 400)
        index = int(request.form["segment_index"])
        upload["segments"].append((index, request.files["media"].read()))
        return Response(status=204)

    def finalize(self, request: Request) -> Response:
        media_id = request.path.split("/")[4]
        upload = self.uploads[media_id]
        upload["bytes"] = b"".join(part for _, part in sorted(upload["segments"]))
        if len(upload["bytes"]) != upload["total"]:
            return self._json({"errors": [{"message": "size mismatch"}]}, 400)
        upload["finalized"] = True
        info = {"state": "pending", "check_after_secs": 1}
        return self._json({"data": {"id": media_id, "processing_info": info}})

    def status(self, request: Request) -> Response:
        assert request.args["command"] == "STATUS"
        media_id = request.args["media_id"]
        if media_id not in self.uploads:
            return self._json({"errors": [{"message": "Invalid media id"}]}, 400)
        polls = self.polls[media_id] = self.polls.get(media_id, 0) + 1
        if self.fail:
            info = {"state": "failed", "error": {"name": "InvalidMedia", "message": self.fail}}
        elif polls > self.polls_before_done:
            info = {"state": "succeeded", "progress_percent": 100}
        else:
            info = {"state": "in_progress", "check_after_secs": 1, "progress_percent": 40}
        return self._json({"data": {"id": media_id, "processing_info": info}})

    def tweet(self, request: Request) -> Response:
        body = request.get_json()
        for media_id in body.get("media", {}).get("media_ids", []):
            upload = self.uploads[media_id]
            if upload["segments"] and self.polls.get(media_id, 0) <= self.polls_before_done:
                return self._json({"detail": "Your media IDs are invalid."}, 400)
        self.tweets.append(body)
        return self._json({"data": {"id": "1445880548472328192", "text": body["text"]}}, 201)


def session_for(server: HTTPServer, http, keys: list[str]) -> Session:
    return Session(
        kind="x",
        base_url=server.url_for("/"),
        handle="@cairn",
        credentials={"access_token": "access-1"},
        http=http,
        save_platform_key=keys.append,
    )


def chunked(size: int = 4096) -> XAdapter:
    adapter = XAdapter()
    adapter.chunk_size = size  # small segments, so that a short clip makes several
    return adapter


def test_a_video_goes_up_in_segments_is_polled_until_processed_then_posted(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, polls_before_done=1)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    outcome = chunked().publish(
        session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(clip,))
    )
    assert isinstance(outcome, Published), outcome
    ((media_id, upload),) = stand_in.uploads.items()
    content = samples.contents(clip)
    assert upload["category"] == "tweet_video"
    assert upload["type"] == "video/mp4"
    assert upload["bytes"] == content
    assert [index for index, _ in upload["segments"]] == list(range(-(-len(content) // 4096)))
    assert len(upload["segments"]) >= 3
    assert stand_in.polls[media_id] == 2  # in progress, then succeeded
    assert stand_in.tweets == [{"text": TEXT, "media": {"media_ids": [media_id]}}]
    assert keys == [f"x-media:p{media_id}"]


def test_a_gif_is_a_tweet_gif_and_images_still_go_up_in_one_request(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, polls_before_done=0)
    photo = samples.image(tmp_path, "summit.png", alt="A pack on a summit")
    gif = samples.image(tmp_path, "loop.gif", alt="A blinking lamp")
    outcome = chunked().publish(
        session_for(httpserver, http, []), Outgoing(text=TEXT, media=(photo, gif))
    )
    assert isinstance(outcome, Published), outcome
    (image_id, image_upload), (gif_id, gif_upload) = stand_in.uploads.items()
    assert image_upload["category"] == "tweet_image"
    assert image_upload["segments"] == []
    assert image_upload["bytes"] == samples.contents(photo)
    assert gif_upload["category"] == "tweet_gif"
    assert gif_upload["bytes"] == samples.contents(gif)
    assert stand_in.tweets[0]["media"] == {"media_ids": [image_id, gif_id]}
    metadata = [r.get_json() for r, _ in httpserver.log if r.path == "/2/media/metadata"]
    assert [m["metadata"]["alt_text"]["text"] for m in metadata] == [
        "A pack on a summit",
        "A blinking lamp",
    ]


def test_failed_processing_is_a_permanent_refusal_in_x_s_words(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, fail="Unsupported video format")
    keys: list[str] = []
    outcome = chunked().publish(
        session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(samples.video(tmp_path),))
    )
    assert isinstance(outcome, Permanent)
    assert "Unsupported video format" in outcome.reason
    assert stand_in.tweets == []
    assert keys[-1] == ""  # nothing left to resume


def test_processing_longer_than_the_budget_is_transient_and_the_next_attempt_resumes(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 1
    stand_in = XMedia(httpserver, polls_before_done=3)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    adapter = chunked()
    first = adapter.publish(session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(clip,)))
    assert isinstance(first, Transient)
    assert first.retry_after and first.retry_after > 0
    assert "still being processed" in first.reason
    assert stand_in.tweets == []
    (media_id,) = stand_in.uploads
    assert keys == [f"x-media:p{media_id}"]

    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    second = adapter.publish(
        session_for(httpserver, http, keys),
        Outgoing(text=TEXT, media=(clip,), platform_key=keys[-1]),
    )
    assert isinstance(second, Published), second
    assert list(stand_in.uploads) == [media_id]  # not uploaded a second time
    inits = [r for r, _ in httpserver.log if r.path.endswith("/initialize")]
    assert len(inits) == 1
    assert stand_in.tweets == [{"text": TEXT, "media": {"media_ids": [media_id]}}]


def test_media_x_no_longer_knows_is_uploaded_again(httpserver, http, tmp_path, settings):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, polls_before_done=0)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    outcome = chunked().publish(
        session_for(httpserver, http, keys),
        Outgoing(text=TEXT, media=(clip,), platform_key="x-media:p42"),
    )
    assert isinstance(outcome, Published), outcome
    (media_id,) = stand_in.uploads
    assert stand_in.uploads[media_id]["bytes"] == samples.contents(clip)
    assert keys == [f"x-media:p{media_id}"]


@pytest.mark.parametrize(
    "mime, category", [("image/gif", "tweet_gif"), ("video/mp4", "tweet_video")]
)
def test_the_media_category_follows_the_file_type(mime, category):
    from planner.channels.x import media_category

    assert media_category(mime) == category
    assert media_category("image/jpeg") == "tweet_image"
