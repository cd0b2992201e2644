"""A stand-in for Bluesky's video service (video.bsky.app), on pytest-httpserver.

It speaks the three calls the Bluesky app makes, as https://docs.bsky.app/docs/tutorials/video
describes them:

- ``GET /xrpc/app.bsky.video.getUploadLimits`` (a service-auth token for
  ``aud=did:web:video.bsky.app``, ``lxm=app.bsky.video.getUploadLimits``);
- ``POST /xrpc/app.bsky.video.uploadVideo?did=&name=`` with the bytes (a token for
  ``aud=<the PDS's did:web>``, ``lxm=com.atproto.repo.uploadBlob``, issued to that ``did``),
  answering the job status at the top level, or 409 ``already_exists`` for bytes it has;
- ``GET /xrpc/app.bsky.video.getJobStatus?jobId=`` (``{"jobStatus": {...}}``).

The tokens are the PDS's own (com.atproto.server.getServiceAuth): the stand-in reads their
claims (it does not check the signature, which needs the account's DID document) and
refuses a missing token, a wrong audience or method, an expired one or one issued to another
account. Processing moves a job through JOB_STATE_ENCODING to JOB_STATE_COMPLETED after
``polls_before_done`` polls; on completion the stand-in uploads the video to the account's
real PDS (``com.atproto.repo.uploadBlob``) and the blob the PDS returns is the job's ``blob``.

The real service uploads with the service token it was given. The local PDS answers such a
token with a 500 (it cannot resolve its own accounts' did:plc documents here: getSession
returns no ``didDoc`` either), so the stand-in logs in as the account with the app password
it is given at start-up and uploads with that session instead.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.peers.bluesky_pds import LocalPds

SERVICE_DID = "did:web:video.bsky.app"
XRPC = "/xrpc/app.bsky.video."


def claims(request: Request) -> dict:
    """The JWT's payload, or {} when there is no bearer token that reads as one."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return {}
    parts = header.removeprefix("Bearer ").split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        return json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return {}


class VideoService:
    def __init__(
        self,
        server: HTTPServer,
        pds: LocalPds,
        pds_did: str = "did:web:localhost",
        *,
        polls_before_done: int = 1,
        fail: str = "",
        can_upload: bool = True,
    ):
        self.server = server
        self.pds = pds
        self.pds_did = pds_did  # the audience an upload token must name
        self.polls_before_done = polls_before_done
        self.fail = fail  # a job fails with this message
        self.can_upload = can_upload
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.jobs: dict[str, dict] = {}
        self.refused: list[str] = []  # why each refused call was refused
        server.expect_request(XRPC + "getUploadLimits", method="GET").respond_with_handler(
            self.limits
        )
        server.expect_request(XRPC + "uploadVideo", method="POST").respond_with_handler(self.upload)
        server.expect_request(XRPC + "getJobStatus", method="GET").respond_with_handler(self.status)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _refuse(self, request: Request, audience: str, method: str) -> Response | None:
        found = claims(request)
        why = ""
        if not found:
            why = "no service-auth token"
        elif found.get("aud") != audience:
            why = f"aud {found.get('aud')!r} is not {audience!r}"
        elif found.get("lxm") != method:
            why = f"lxm {found.get('lxm')!r} is not {method!r}"
        elif float(found.get("exp", 0)) < time.time():
            why = "the token has expired"
        elif "did" in request.args and found.get("iss") != request.args["did"]:
            why = "the token was issued to another account"
        if not why:
            return None
        self.refused.append(why)
        return self._json({"error": "Unauthorized", "message": why}, 401)

    def limits(self, request: Request) -> Response:
        if refused := self._refuse(request, SERVICE_DID, "app.bsky.video.getUploadLimits"):
            return refused
        if not self.can_upload:
            return self._json(
                {"canUpload": False, "message": "You have uploaded too many videos today"}
            )
        return self._json(
            {"canUpload": True, "remainingDailyVideos": 25, "remainingDailyBytes": 10**10}
        )

    def upload(self, request: Request) -> Response:
        if refused := self._refuse(request, self.pds_did, "com.atproto.repo.uploadBlob"):
            return refused
        data = request.get_data()
        did = request.args["did"]
        digest = hashlib.sha256(data).hexdigest()
        with self.lock:
            for job in self.jobs.values():
                if (job["did"], job["sha256"]) == (did, digest):
                    body = {**self.public(job), "error": "already_exists"}
                    body["message"] = "Video already processed"
                    return self._json(body, 409)
            job_id = f"job{next(self.ids)}"
            self.jobs[job_id] = {
                "jobId": job_id,
                "did": did,
                "sha256": digest,
                "name": request.args.get("name", ""),
                "type": request.headers.get("Content-Type", ""),
                "bytes": data,
                "token": request.headers["Authorization"].removeprefix("Bearer "),
                "polls": 0,
                "state": "JOB_STATE_CREATED",
            }
            return self._json(self.public(self.jobs[job_id]))

    def status(self, request: Request) -> Response:
        job = self.jobs.get(request.args.get("jobId", ""))
        if job is None:
            return self._json({"error": "NotFound", "message": "no such job"}, 404)
        with self.lock:
            job["polls"] += 1
            if job["state"] in ("JOB_STATE_CREATED", "JOB_STATE_ENCODING"):
                self._process(job)
        return self._json({"jobStatus": self.public(job)})

    def _process(self, job: dict) -> None:
        if job["polls"] <= self.polls_before_done:
            job["state"], job["progress"] = "JOB_STATE_ENCODING", 50
        elif self.fail:
            job["state"], job["error"], job["message"] = "JOB_STATE_FAILED", "failed", self.fail
        else:
            login = httpx.post(
                self.pds.xrpc("com.atproto.server.createSession"),
                json={"identifier": self.pds.handle, "password": self.pds.app_password},
                timeout=30.0,
            ).json()
            answer = httpx.post(
                self.pds.xrpc("com.atproto.repo.uploadBlob"),
                content=job["bytes"],
                headers={
                    "Authorization": f"Bearer {login['accessJwt']}",
                    "Content-Type": job["type"],
                },
                timeout=30.0,
            )
            if answer.status_code != 200:
                job["state"], job["error"] = "JOB_STATE_FAILED", "pds_upload"
                job["message"] = f"the PDS refused the blob: {answer.text}"
            else:
                job["state"], job["progress"] = "JOB_STATE_COMPLETED", 100
                job["blob"] = answer.json()["blob"]

    def public(self, job: dict) -> dict:
        keys = ("jobId", "did", "state", "progress", "blob", "error", "message")
        return {key: job[key] for key in keys if key in job}
