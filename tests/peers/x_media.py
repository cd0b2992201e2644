"""A stand-in for X's v2 media upload and post creation, on pytest-httpserver: it keeps
what it was sent (segments, bytes, STATUS polls, the posts with their media ids)."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


class XMedia:
    """X's media upload, v2: ``POST /2/media/upload`` (one image), ``/initialize``,
    ``/{id}/append``, ``/{id}/finalize``, ``GET /2/media/upload?command=STATUS``."""

    def __init__(
        self,
        server: HTTPServer,
        *,
        polls_before_done: int = 1,
        fail: str = "",
        processing_seconds: float | None = None,
    ):
        self.server = server
        self.lock = threading.Lock()
        self.ids = itertools.count(1880028106020515840)
        self.uploads: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.polls_before_done = polls_before_done
        self.fail = fail  # an error message: processing fails with it
        # When given, processing takes this long after FINALIZE (instead of a poll count).
        self.processing_seconds = processing_seconds
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
        upload["finalized"] = time.monotonic()
        info = {"state": "pending", "check_after_secs": 1}
        return self._json({"data": {"id": media_id, "processing_info": info}})

    def status(self, request: Request) -> Response:
        assert request.args["command"] == "STATUS"
        media_id = request.args["media_id"]
        if media_id not in self.uploads:
            return self._json({"errors": [{"message": "Invalid media id"}]}, 400)
        polls = self.polls[media_id] = self.polls.get(media_id, 0) + 1
        if self.processing_seconds is not None:
            elapsed = time.monotonic() - self.uploads[media_id]["finalized"]
            polls = self.polls_before_done + (1 if elapsed >= self.processing_seconds else 0)
        if self.fail:
            info = {"state": "failed", "error": {"name": "InvalidMedia", "message": self.fail}}
        elif polls > self.polls_before_done:
            info = {"state": "succeeded", "progress_percent": 100}
        else:
            info = {"state": "in_progress", "check_after_secs": 1, "progress_percent": 40}
        return self._json({"data": {"id": media_id, "processing_info": info}})

    def processed(self, media_id: str) -> bool:
        upload = self.uploads[media_id]
        if self.processing_seconds is not None:
            return time.monotonic() - upload["finalized"] >= self.processing_seconds
        return self.polls.get(media_id, 0) > self.polls_before_done

    def tweet(self, request: Request) -> Response:
        body = request.get_json()
        for media_id in body.get("media", {}).get("media_ids", []):
            upload = self.uploads[media_id]
            if upload["segments"] and not self.processed(media_id):
                return self._json({"detail": "Your media IDs are invalid."}, 400)
        self.tweets.append(body)
        return self._json({"data": {"id": "1445880548472328192", "text": body["text"]}}, 201)
