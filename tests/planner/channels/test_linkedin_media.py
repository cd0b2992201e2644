"""LinkedIn media: images through the Images API, video through the Videos API (parts,
ETags, finalize, status until AVAILABLE), against a stand-in on 127.0.0.1 that speaks
those protocols and keeps the bytes and the post it received."""

from __future__ import annotations

import itertools
import json
import re
import threading

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from planner.channels.base import Outgoing, Permanent, Published, Session, Transient
from planner.channels.linkedin import LinkedInAdapter
from tests.planner.channels import samples

AUTHOR = "urn:li:organization:8025"
URN = "urn:li:share:6844785523593134080"
TEXT = "Trailhead 2, on the trail."
PART = 4096  # bytes per video part the stand-in asks for


class LinkedInMedia:
    def __init__(self, server: HTTPServer, *, polls_before_available: int = 1, fail: str = ""):
        self.server = server
        self.lock = threading.Lock()
        self.numbers = itertools.count(100)
        self.images: dict[str, bytes] = {}
        self.videos: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.polls_before_available = polls_before_available
        self.fail = fail
        self.posts: list[dict] = []
        server.expect_request("/rest/images", method="POST").respond_with_handler(self.init_image)
        server.expect_request("/rest/documents", method="POST").respond_with_handler(
            self.init_document
        )
        server.expect_request("/rest/videos", method="POST").respond_with_handler(self.video_action)
        server.expect_request(re.compile(r"/upload/image/.+"), method="PUT").respond_with_handler(
            self.put_image
        )
        server.expect_request(re.compile(r"/upload/video/.+"), method="PUT").respond_with_handler(
            self.put_part
        )
        server.expect_request(
            re.compile(r"/rest/(images|videos|documents)/.+"), method="GET"
        ).respond_with_handler(self.status)
        server.expect_request("/rest/posts", method="POST").respond_with_handler(self.post)

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def init_image(self, request: Request) -> Response:
        assert request.args["action"] == "initializeUpload"
        assert request.get_json() == {"initializeUploadRequest": {"owner": AUTHOR}}
        urn = f"urn:li:image:C4E10AQ{next(self.numbers)}"
        self.images[urn] = b""
        value = {
            "uploadUrlExpiresAt": 1650567510704,
            "uploadUrl": self.server.url_for(f"/upload/image/{urn}"),
            "image": urn,
        }
        return self._json({"value": value})

    def init_document(self, request: Request) -> Response:
        assert request.args["action"] == "initializeUpload"
        assert request.get_json() == {"initializeUploadRequest": {"owner": AUTHOR}}
        urn = f"urn:li:document:D4E10AQ{next(self.numbers)}"
        self.images[urn] = b""
        upload = self.server.url_for(f"/upload/image/{urn}")
        return self._json(
            {"value": {"uploadUrlExpiresAt": 1650567510704, "uploadUrl": upload, "document": urn}}
        )

    def put_image(self, request: Request) -> Response:
        urn = request.path.removeprefix("/upload/image/")
        assert request.headers["Authorization"] == "Bearer access-1"
        self.images[urn] = request.get_data()
        return Response(status=201)

    def video_action(self, request: Request) -> Response:
        body = request.get_json()
        if request.args["action"] == "initializeUpload":
            ask = body["initializeUploadRequest"]
            assert ask["owner"] == AUTHOR
            size = ask["fileSizeBytes"]
            urn = f"urn:li:video:C5F10AQ{next(self.numbers)}"
            self.videos[urn] = {"size": size, "parts": {}, "finalized": None}
            instructions = [
                {
                    "uploadUrl": self.server.url_for(f"/upload/video/{urn}/{n}"),
                    "firstByte": first,
                    "lastByte": min(first + PART, size) - 1,
                }
                for n, first in enumerate(range(0, size, PART))
            ]
            value = {
                "uploadUrlsExpireAt": 1650567510704,
                "video": urn,
                "uploadInstructions": instructions,
                "uploadToken": "token-1",
            }
            return self._json({"value": value})
        assert request.args["action"] == "finalizeUpload"
        ask = body["finalizeUploadRequest"]
        video = self.videos[ask["video"]]
        assert ask["uploadToken"] == "token-1"
        video["finalized"] = ask["uploadedPartIds"]
        return Response(status=200)

    def put_part(self, request: Request) -> Response:
        urn, number = request.path.removeprefix("/upload/video/").rsplit("/", 1)
        self.videos[urn]["parts"][int(number)] = request.get_data()
        return Response(status=200, headers={"ETag": f"/etag/{urn}/{number}"})

    def status(self, request: Request) -> Response:
        kind, urn = request.path.split("/")[2:4]
        if kind in ("images", "documents"):
            return self._json({"id": urn, "status": "AVAILABLE"})
        video = self.videos.get(urn)
        if video is None:
            return self._json({"message": "Not found", "status": 404}, 404)
        polls = self.polls[urn] = self.polls.get(urn, 0) + 1
        if video["finalized"] is None:
            return self._json({"id": urn, "status": "WAITING_UPLOAD"})
        if self.fail:
            return self._json(
                {"id": urn, "status": "PROCESSING_FAILED", "processingFailureReason": self.fail}
            )
        ready = polls > self.polls_before_available
        return self._json({"id": urn, "status": "AVAILABLE" if ready else "PROCESSING"})

    def post(self, request: Request) -> Response:
        self.posts.append(request.get_json())
        return Response(status=201, headers={"x-restli-id": URN})


def session_for(server: HTTPServer, http, keys: list[str]) -> Session:
    return Session(
        kind="linkedin",
        base_url=server.url_for("/"),
        handle="cairn-outdoor",
        credentials={"author_urn": AUTHOR, "access_token": "access-1"},
        http=http,
        save_platform_key=keys.append,
    )


linkedin = LinkedInAdapter()


def test_one_image_is_uploaded_then_attached_with_its_alt_text(httpserver, http, tmp_path):
    stand_in = LinkedInMedia(httpserver)
    photo = samples.image(tmp_path, "summit.jpg", alt="A pack on a summit")
    outcome = linkedin.publish(
        session_for(httpserver, http, []), Outgoing(text=TEXT, media=(photo,))
    )
    assert isinstance(outcome, Published), outcome
    ((urn, content),) = stand_in.images.items()
    assert content == samples.contents(photo)
    (post,) = stand_in.posts
    assert post["content"] == {"media": {"id": urn, "altText": "A pack on a summit"}}
    assert post["author"] == AUTHOR


def test_several_images_make_a_multi_image_post_in_their_order(httpserver, http, tmp_path):
    stand_in = LinkedInMedia(httpserver)
    photos = [
        samples.image(tmp_path, f"p{n}.png", colour=c)
        for n, c in enumerate(("red", "green", "blue"))
    ]
    outcome = linkedin.publish(
        session_for(httpserver, http, []), Outgoing(text=TEXT, media=tuple(photos))
    )
    assert isinstance(outcome, Published), outcome
    urns = list(stand_in.images)
    assert [stand_in.images[u] for u in urns] == [samples.contents(p) for p in photos]
    (post,) = stand_in.posts
    assert post["content"] == {"multiImage": {"images": [{"id": u} for u in urns]}}


def test_a_video_goes_up_in_parts_is_finalized_with_their_etags_then_posted_once_available(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = LinkedInMedia(httpserver, polls_before_available=1)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    outcome = linkedin.publish(
        session_for(httpserver, http, keys),
        Outgoing(text=TEXT, media=(clip,), title="Trailhead 2"),
    )
    assert isinstance(outcome, Published), outcome
    ((urn, video),) = stand_in.videos.items()
    content = samples.contents(clip)
    assert video["size"] == len(content)
    parts = video["parts"]
    assert len(parts) == -(-len(content) // PART) >= 3
    assert b"".join(parts[n] for n in sorted(parts)) == content
    assert video["finalized"] == [f"/etag/{urn}/{n}" for n in sorted(parts)]
    assert stand_in.polls[urn] == 2  # PROCESSING, then AVAILABLE
    (post,) = stand_in.posts
    assert post["content"] == {"media": {"id": urn, "title": "Trailhead 2"}}
    assert keys == [f"li-video:{urn}"]


def test_failed_video_processing_is_a_permanent_refusal(httpserver, http, tmp_path, settings):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = LinkedInMedia(httpserver, fail="VIDEO_CODEC_UNSUPPORTED")
    outcome = linkedin.publish(
        session_for(httpserver, http, []), Outgoing(text=TEXT, media=(samples.video(tmp_path),))
    )
    assert isinstance(outcome, Permanent)
    assert "VIDEO_CODEC_UNSUPPORTED" in outcome.reason
    assert stand_in.posts == []


def test_a_slow_video_is_transient_and_the_next_attempt_waits_for_the_same_one(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 1
    stand_in = LinkedInMedia(httpserver, polls_before_available=3)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    first = linkedin.publish(
        session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(clip,))
    )
    assert isinstance(first, Transient), first
    assert first.retry_after
    assert stand_in.posts == []
    (urn,) = stand_in.videos
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    second = linkedin.publish(
        session_for(httpserver, http, keys),
        Outgoing(text=TEXT, media=(clip,), platform_key=keys[-1]),
    )
    assert isinstance(second, Published), second
    assert list(stand_in.videos) == [urn]  # one upload only
    assert stand_in.posts[0]["content"]["media"]["id"] == urn


def test_a_video_with_other_media_is_refused_before_any_upload(httpserver, http, tmp_path):
    stand_in = LinkedInMedia(httpserver)
    media = (samples.video(tmp_path), samples.image(tmp_path))
    outcome = linkedin.publish(session_for(httpserver, http, []), Outgoing(text=TEXT, media=media))
    assert isinstance(outcome, Permanent)
    assert stand_in.videos == {} and stand_in.images == {} and stand_in.posts == []


def test_a_document_is_uploaded_and_posted_with_the_post_title(httpserver, http, tmp_path):
    stand_in = LinkedInMedia(httpserver)
    pdf = samples.document(tmp_path)
    outcome = linkedin.publish(
        session_for(httpserver, http, []),
        Outgoing(text=TEXT, media=(pdf,), title="Trailhead 2 field guide"),
    )
    assert isinstance(outcome, Published), outcome
    ((urn, content),) = stand_in.images.items()
    assert urn.startswith("urn:li:document:")
    assert content == samples.contents(pdf) and content.startswith(b"%PDF")
    (post,) = stand_in.posts
    assert post["content"] == {"media": {"id": urn, "title": "Trailhead 2 field guide"}}
