"""A stand-in for Meta's Graph API publishing (Facebook Page photos, feed and videos;
Instagram and Threads containers) on pytest-httpserver. Like Meta, it downloads
``image_url`` / ``video_url`` / ``file_url`` from the address it is given, processes a
container over a few status reads (or a few seconds), and refuses to publish one that is
not FINISHED. It keeps what it received."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PAGE = "101112131415"
IG_USER = "17841480250001"
THREADS_USER = "802500000002"


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _graph_error(message: str, code: int = 100, status: int = 400) -> Response:
    return _json({"error": {"message": message, "type": "OAuthException", "code": code}}, status)


def download(url: str) -> bytes | None:
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return response.content if response.status_code == 200 else None


class FacebookPage:
    """Page photos, feed posts and videos. A video's bytes come by ``file_url`` or by
    resumable upload (``upload_phase`` start / transfer / finish, in chunks of
    ``chunk_bytes`` at the offsets this server names, a wrong offset refused as Graph does);
    the video is then processed over ``polls_before_ready`` reads of its ``status``, or
    fails with ``processing_error``."""

    def __init__(
        self,
        server: HTTPServer,
        *,
        chunk_bytes: int = 1024 * 1024,
        polls_before_ready: int = 0,
        processing_error: str = "",
    ):
        self.chunk_bytes = chunk_bytes
        self.polls_before_ready = polls_before_ready
        self.processing_error = processing_error
        self.sessions: dict[str, dict] = {}
        self.transfers: list[tuple[int, int]] = []  # (start_offset, chunk length) taken
        self.status_polls: dict[str, int] = {}
        self.ids = itertools.count(900)
        self.photos: dict[str, dict] = {}
        self.videos: list[dict] = []
        self.feed: list[dict] = []
        server.expect_request(f"/{PAGE}/photos", method="POST").respond_with_handler(self.photo)
        server.expect_request(f"/{PAGE}/feed", method="POST").respond_with_handler(self.post)
        server.expect_request(f"/{PAGE}/videos", method="POST").respond_with_handler(self.video)
        server.expect_request(re.compile(r"/\d+$"), method="GET").respond_with_handler(self.status)

    def photo(self, request: Request) -> Response:
        photo_id = str(next(self.ids))
        form = request.form.to_dict()
        self.photos[photo_id] = {"form": form, "bytes": request.files["source"].read()}
        if form.get("published") == "false":
            return _json({"id": photo_id})
        return _json({"id": photo_id, "post_id": f"{PAGE}_{photo_id}"})

    def post(self, request: Request) -> Response:
        form = request.form.to_dict()
        for key, value in form.items():
            attached = key.startswith("attached_media[")
            if attached and json.loads(value)["media_fbid"] not in self.photos:
                return _graph_error("Invalid media_fbid")
        self.feed.append(form)
        return _json({"id": f"{PAGE}_{next(self.ids)}"})

    def video(self, request: Request) -> Response:
        form = request.form.to_dict()
        phase = form.pop("upload_phase", "")
        if phase:
            return self.resumable(request, phase, form)
        if "file_url" in form:
            content = download(form["file_url"])
            if content is None:
                return _graph_error("Failed to fetch the video file")
        else:
            content = request.files["source"].read()
        video_id = str(next(self.ids))
        self.videos.append({"id": video_id, "form": form, "bytes": content})
        return _json({"id": video_id})

    def _offsets(self, upload: dict) -> dict:
        start = len(upload["bytes"])
        end = min(upload["size"], start + self.chunk_bytes)
        return {"start_offset": str(start), "end_offset": str(end)}

    def resumable(self, request: Request, phase: str, form: dict) -> Response:
        if phase == "start":
            video_id, session_id = str(next(self.ids)), str(next(self.ids))
            upload = {"video_id": video_id, "size": int(form["file_size"]), "bytes": b""}
            self.sessions[session_id] = upload
            body = {"video_id": video_id, "upload_session_id": session_id}
            return _json({**body, **self._offsets(upload)})
        upload = self.sessions.get(form.get("upload_session_id", ""))
        if upload is None:
            return _graph_error("Invalid upload session id", code=6000)
        if phase == "transfer":
            chunk = request.files["video_file_chunk"].read()
            offsets = self._offsets(upload)
            wanted = int(offsets["end_offset"]) - int(offsets["start_offset"])
            if form.get("start_offset") != offsets["start_offset"] or len(chunk) != wanted:
                return _graph_error("Upload failed: the start offset does not match", code=6001)
            self.transfers.append((int(form["start_offset"]), len(chunk)))
            upload["bytes"] += chunk
            return _json(self._offsets(upload))
        if phase == "finish":
            if len(upload["bytes"]) != upload["size"]:
                return _graph_error("The video file is incomplete", code=6001)
            self.videos.append({"id": upload["video_id"], "form": form, "bytes": upload["bytes"]})
            return _json({"success": True})
        return _graph_error(f"Unknown upload_phase {phase}")

    def status(self, request: Request) -> Response:
        video_id = request.path.strip("/")
        if not any(video["id"] == video_id for video in self.videos):
            return _graph_error("Unsupported get request", code=100)
        polls = self.status_polls[video_id] = self.status_polls.get(video_id, 0) + 1
        if polls <= self.polls_before_ready:
            status = {"video_status": "processing", "processing_phase": {"status": "in_progress"}}
        elif self.processing_error:
            errors = [{"code": 1363008, "message": self.processing_error}]
            status = {
                "video_status": "error",
                "processing_phase": {"status": "error", "errors": errors},
            }
        else:
            status = {"video_status": "ready", "processing_phase": {"status": "complete"}}
        return _json({"id": video_id, "status": status})


class Containers:
    """Instagram's or Threads' two-phase publishing."""

    def __init__(
        self,
        server: HTTPServer,
        kind: str,
        *,
        polls: int = 1,
        broken: str = "",
        processing_seconds: float | None = None,
    ):
        self.kind = kind
        self.user = IG_USER if kind == "instagram" else THREADS_USER
        edge, publish = (
            ("media", "media_publish") if kind == "instagram" else ("threads", "threads_publish")
        )
        self.status_field = "status_code" if kind == "instagram" else "status"
        self.detail_field = "status" if kind == "instagram" else "error_message"
        self.lock = threading.Lock()
        self.ids = itertools.count(17889455560051000)
        self.containers: dict[str, dict] = {}
        self.published: list[str] = []
        self.polls = polls  # status reads before a container is FINISHED
        self.broken = broken  # a file name whose download "fails" in processing
        # When given, a container is FINISHED this long after its creation (not by reads).
        self.processing_seconds = processing_seconds
        server.expect_request(f"/{self.user}/{edge}", method="POST").respond_with_handler(
            self.create
        )
        server.expect_request(f"/{self.user}/{publish}", method="POST").respond_with_handler(
            self.publish
        )
        server.expect_request(re.compile(r"/\d+$"), method="GET").respond_with_handler(self.read)

    def create(self, request: Request) -> Response:
        form = request.form.to_dict()
        container = {"form": form, "reads": 0, "bytes": None, "error": "", "at": time.monotonic()}
        url = form.get("image_url") or form.get("video_url")
        if form.get("media_type") == "CAROUSEL":
            children = form["children"].split(",")
            for child in children:
                found = self.containers.get(child)
                if not found or found["form"].get("is_carousel_item") != "true":
                    return _graph_error(f"Invalid child {child}")
                if not self.ready(found):
                    return _graph_error("The carousel item is not ready", code=9007)
        elif url:
            container["bytes"] = download(url)
            if container["bytes"] is None or (self.broken and url.endswith(self.broken)):
                container["error"] = "Error: Media download has failed."
        elif form.get("media_type") != "TEXT":
            return _graph_error("Missing media")
        container_id = str(next(self.ids))
        with self.lock:
            self.containers[container_id] = container
        return _json({"id": container_id})

    def read(self, request: Request) -> Response:
        object_id = request.path.strip("/")
        if object_id in self.published:
            return _json({"id": object_id, "permalink": f"https://example.com/p/{object_id}"})
        container = self.containers.get(object_id)
        if container is None:
            return _graph_error("Unsupported get request", status=404)
        container["reads"] += 1
        if container["error"]:
            state = "ERROR"
        elif container.get("published"):
            state = "PUBLISHED"
        elif self.ready(container):
            state = "FINISHED"
        else:
            state = "IN_PROGRESS"
        return _json(
            {"id": object_id, self.status_field: state, self.detail_field: container["error"]}
        )

    def ready(self, container: dict) -> bool:
        if self.processing_seconds is not None:
            return time.monotonic() - container["at"] >= self.processing_seconds
        return container["reads"] > self.polls

    def publish(self, request: Request) -> Response:
        container = self.containers.get(request.form["creation_id"])
        if container is None or not self.ready(container) or container["error"]:
            return _graph_error("Media ID is not available", code=9007)
        container["published"] = True
        media_id = str(next(self.ids))
        self.published.append(media_id)
        return _json({"id": media_id})

    def children_of(self, container_id: str) -> list[dict]:
        form = self.containers[container_id]["form"]
        return [self.containers[child] for child in form["children"].split(",")]
