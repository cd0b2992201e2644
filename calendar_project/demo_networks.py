"""A local stand-in for the social networks, so that `make run`'s demo visibly publishes.

The demo channels (``manage.py seed_demo``) point at this server, one path per
network (``/mastodon``, ``/bluesky``, ``/x``, ``/linkedin``, ``/facebook``,
``/instagram``, ``/threads``) and one webhook URL each under ``/slack``,
``/discord``, ``/teams`` and ``/webhook``. It answers the calls Maillon's
adapters make, in the shape of the real APIs, just far enough for a post to
go out, be retracted, or pass a connection test. It checks no token and
publishes nothing anywhere, and it always answers clearly, so it does not
imitate reading posts back (reconciliation after an unclear outcome). What it
receives is kept in memory and shown at ``GET /``, newest first.

Standard library only, bound to 127.0.0.1. Usage:
``python -m calendar_project.demo_networks [--port 8025]``
"""

from __future__ import annotations

import argparse
import contextlib
import html
import itertools
import json
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORT = 8025
LABELS = {
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "x": "X",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "slack": "Slack",
    "discord": "Discord",
    "teams": "Microsoft Teams",
    "webhook": "Website webhook",
}
DID = "did:plc:cairndemo8025"
Reply = tuple[int, Any, dict[str, str]]  # status, JSON body (or text, or None), headers


@dataclass
class Received:
    id: str
    network: str  # a key of LABELS
    text: str
    at: datetime
    media: int = 0
    title: str = ""
    deleted: bool = False


class Inbox:
    """What the demo networks received, shared by the request threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[Received] = []
        self.keys: dict[str, Received] = {}  # idempotency key -> the post it created
        self.containers: dict[str, dict[str, Any]] = {}  # Instagram and Threads, phase one
        self.numbers = itertools.count(100_001)

    def new_id(self) -> str:
        with self.lock:
            return str(next(self.numbers))

    def add(self, network: str, text: str, *, key: str = "", **extra: Any) -> Received:
        """Record a post, once per ``key`` (a resend with the same key gets the first)."""
        with self.lock:
            if key and key in self.keys:
                return self.keys[key]
            post = Received(str(next(self.numbers)), network, text, datetime.now(), **extra)
            self.posts.append(post)
            if key:
                self.keys[key] = post
        print(f"{LABELS[network]} received: {' '.join(text.split())[:90]}", flush=True)
        return post

    def get(self, post_id: str) -> Received | None:
        with self.lock:
            return next((p for p in self.posts if p.id == post_id and not p.deleted), None)

    def find(self, key: str) -> Received | None:
        with self.lock:
            post = self.keys.get(key)
        return post if post and not post.deleted else None

    def delete(self, post_id: str) -> Received | None:
        post = self.get(post_id)
        if post:
            post.deleted = True
        return post


@dataclass
class Request:
    method: str
    parts: list[str]  # the path after the network's own prefix
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def arg(self, name: str) -> str:
        return (self.query.get(name) or [""])[0]

    def json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def form(self) -> dict[str, list[str]]:
        """URL-encoded or multipart fields (of a file, its name)."""
        kind = self.headers.get("Content-Type", "")
        if not kind.startswith("multipart/"):
            return parse_qs(self.body.decode(errors="replace"))
        head = f"Content-Type: {kind}\r\n\r\n".encode()
        fields: dict[str, list[str]] = {}
        for part in BytesParser(policy=HTTP).parsebytes(head + self.body).iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            value = part.get_filename() or part.get_payload(decode=True).decode(errors="replace")
            fields.setdefault(str(name), []).append(value)
        return fields

    def field(self, name: str) -> str:
        return (self.form().get(name) or [""])[0]


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.inbox = Inbox()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def link(self, post: Received) -> str:
        return f"{self.url}/#post-{post.id}"


# --- the networks, each answering the calls its adapter makes ------------------------------


def _token() -> dict[str, Any]:
    return {"token_type": "bearer", "access_token": "demo-access", "expires_in": 7200}


def mastodon(req: Request, demo: DemoServer) -> Reply | None:
    def status(post: Received) -> dict[str, Any]:
        content = "<p>" + html.escape(post.text).replace("\n", "<br>") + "</p>"
        media = [{"id": f"{post.id}{n}", "type": "image"} for n in range(post.media)]
        return {
            "id": post.id,
            "url": demo.link(post),
            "content": content,
            "media_attachments": media,
        }

    match req.method, req.parts:
        case "POST", ["api", "v1", "statuses"]:
            key = req.headers.get("Idempotency-Key", "")
            media = len(req.form().get("media_ids[]", []))
            post = demo.inbox.add(
                "mastodon", req.field("status"), key=key and "m:" + key, media=media
            )
            return 200, status(post), {}
        case "POST", ["api", "v2", "media"]:
            return 200, {"id": demo.inbox.new_id(), "type": "image", "url": demo.url}, {}
        case "GET", ["api", "v1", "accounts", "verify_credentials"]:
            return 200, {"id": "1", "username": "cairn", "acct": "cairn"}, {}
        case "DELETE", ["api", "v1", "statuses", post_id]:
            if demo.inbox.delete(post_id):
                return 200, {}, {}
            return 404, {"error": "Record not found"}, {}
    return None


def bluesky(req: Request, demo: DemoServer) -> Reply | None:
    nsid = req.parts[1] if len(req.parts) == 2 and req.parts[0] == "xrpc" else ""
    body = req.json()
    rkey = body.get("rkey") or req.arg("rkey")
    uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
    if nsid.startswith("com.atproto.server.") and nsid.endswith("Session"):
        handle = body.get("identifier") or "cairn-outdoor.bsky.social"
        tokens = {"accessJwt": "demo-access", "refreshJwt": "demo-refresh"}
        return 200, {"did": DID, "handle": handle, **tokens}, {}
    if nsid == "com.atproto.identity.resolveHandle":
        return 200, {"did": DID}, {}
    # Bluesky's video service (BLUESKY_VIDEO_SERVICE_URL points here): processed at once.
    if nsid == "com.atproto.server.getServiceAuth":
        return 200, {"token": "demo-service-token"}, {}
    if nsid == "app.bsky.video.getUploadLimits":
        return 200, {"canUpload": True}, {}
    if nsid == "app.bsky.video.uploadVideo":
        kind = req.headers.get("Content-Type", "")
        blob = {"$type": "blob", "ref": {"$link": "bafkreidemo" + demo.inbox.new_id()}}
        blob = {**blob, "mimeType": kind, "size": len(req.body)}
        job = {"jobId": demo.inbox.new_id(), "did": DID, "state": "JOB_STATE_COMPLETED"}
        return 200, {**job, "blob": blob}, {}
    if nsid == "com.atproto.repo.uploadBlob":
        kind = req.headers.get("Content-Type", "")
        blob = {"$type": "blob", "ref": {"$link": "bafkreidemo" + demo.inbox.new_id()}}
        return 200, {"blob": {**blob, "mimeType": kind, "size": len(req.body)}}, {}
    if nsid == "com.atproto.repo.putRecord":
        record = body.get("record") or {}
        embed = record.get("embed") or {}
        images = len(embed.get("images") or []) or (1 if embed.get("video") else 0)
        demo.inbox.add("bluesky", record.get("text", ""), key="b:" + rkey, media=images)
        return 200, {"uri": uri, "cid": "bafyreidemo" + rkey}, {}
    if nsid == "com.atproto.repo.deleteRecord":
        if post := demo.inbox.find("b:" + rkey):
            demo.inbox.delete(post.id)
        return 200, {}, {}
    return None


def x(req: Request, demo: DemoServer) -> Reply | None:
    match req.method, req.parts:
        case "POST", ["2", "oauth2", "token"]:
            return 200, {**_token(), "refresh_token": "demo-refresh"}, {}
        case "POST", ["2", "tweets"]:
            body = req.json()
            media = len((body.get("media") or {}).get("media_ids") or [])
            post = demo.inbox.add("x", body.get("text", ""), media=media)
            return 201, {"data": {"id": post.id, "text": post.text}}, {}
        case "POST", ["2", "media", "upload"]:
            return 200, {"data": {"id": demo.inbox.new_id()}}, {}
        # The chunked upload of GIFs and videos: processed at once.
        case "POST", ["2", "media", "upload", "initialize"]:
            return 200, {"data": {"id": demo.inbox.new_id(), "expires_after_secs": 86400}}, {}
        case "POST", ["2", "media", "upload", _, "append"]:
            return 204, None, {}
        case "POST", ["2", "media", "upload", media_id, "finalize"]:
            return 200, {"data": {"id": media_id}}, {}
        case "GET", ["2", "media", "upload"]:
            info = {"state": "succeeded", "progress_percent": 100}
            return 200, {"data": {"id": req.arg("media_id"), "processing_info": info}}, {}
        case "POST", ["2", "media", "metadata"]:
            return 200, {"data": {"associated_metadata": True}}, {}
        case "GET", ["2", "users", "me"]:
            return 200, {"data": {"id": "8025", "username": "CairnOutdoor"}}, {}
        case "DELETE", ["2", "tweets", post_id]:
            if demo.inbox.delete(post_id):
                return 200, {"data": {"deleted": True}}, {}
            return 404, {"title": "Not Found Error"}, {}
    return None


def _little_to_plain(little: str) -> str:
    """LinkedIn's "little" text as people read it: hashtag templates and escapes undone."""
    text = re.sub(r"\{hashtag\|\\?[#\uff03]\|([^}]*)\}", r"#\1", little)
    return re.sub(r"\\(.)", r"\1", text)


def linkedin(req: Request, demo: DemoServer) -> Reply | None:
    match req.method, req.parts:
        case "POST", ["oauth", "v2", "accessToken"]:
            return 200, _token(), {}
        case "POST", ["rest", "posts"]:
            body = req.json()
            little = str(body.get("commentary") or "")
            content = body.get("content") or {}
            media = len((content.get("multiImage") or {}).get("images") or []) or (
                1 if content.get("media") else 0
            )
            post = demo.inbox.add("linkedin", _little_to_plain(little), media=media)
            return 201, None, {"x-restli-id": f"urn:li:share:{post.id}"}
        # Media: upload addresses on this server; everything is AVAILABLE at once.
        case "POST", ["rest", "images"]:
            urn = f"urn:li:image:D{demo.inbox.new_id()}"
            upload = f"{demo.url}/linkedin/upload/{urn}"
            return 200, {"value": {"image": urn, "uploadUrl": upload}}, {}
        case "POST", ["rest", "videos"] if req.arg("action") == "initializeUpload":
            urn = f"urn:li:video:D{demo.inbox.new_id()}"
            size = int((req.json().get("initializeUploadRequest") or {}).get("fileSizeBytes") or 0)
            part = {"uploadUrl": f"{demo.url}/linkedin/upload/{urn}", "firstByte": 0}
            value = {
                "video": urn,
                "uploadToken": "",
                "uploadInstructions": [{**part, "lastByte": max(0, size - 1)}],
            }
            return 200, {"value": value}, {}
        case "POST", ["rest", "videos"]:
            return 200, None, {}
        case "PUT", ["upload", urn]:
            return 201, None, {"ETag": f"demo-{urn}"}
        case "GET", ["rest", "images" | "videos", urn]:
            return 200, {"id": urn, "status": "AVAILABLE"}, {}
        case "DELETE", ["rest", "posts", urn]:
            return (204, None, {}) if demo.inbox.delete(urn.rpartition(":")[2]) else None
    return None


def graph(network: str) -> Callable[[Request, DemoServer], Reply | None]:
    """Facebook Pages, and the two-phase containers of Instagram and Threads."""
    text_field = {"facebook": "message", "instagram": "caption", "threads": "text"}[network]

    def route(req: Request, demo: DemoServer) -> Reply | None:
        inbox = demo.inbox
        match req.method, req.parts:
            case "POST", [_, "feed"]:
                form = req.form()
                media = sum(1 for name in form if name.startswith("attached_media["))
                return 200, {"id": inbox.add(network, req.field("message"), media=media).id}, {}
            case "POST", [_, "photos"] if req.field("published") == "false":
                return 200, {"id": inbox.new_id()}, {}
            case "POST", [_, "photos"]:
                post = inbox.add(network, req.field("message"), media=1)
                return 200, {"id": inbox.new_id(), "post_id": post.id}, {}
            # The resumable video upload, in one transfer, processed at once.
            case "POST", [_, "videos"] if req.field("upload_phase") == "start":
                video, upload, size = inbox.new_id(), inbox.new_id(), req.field("file_size")
                inbox.containers[upload] = {"size": size or "0"}
                body = {"video_id": video, "upload_session_id": upload, "start_offset": "0"}
                return 200, {**body, "end_offset": size or "0"}, {}
            case "POST", [_, "videos"] if req.field("upload_phase") == "transfer":
                size = inbox.containers.get(req.field("upload_session_id"), {}).get("size", "0")
                return 200, {"start_offset": size, "end_offset": size}, {}
            case "POST", [_, "videos"] if req.field("upload_phase") == "finish":
                inbox.add(network, req.field("description"), media=1)
                return 200, {"success": True}, {}
            case "GET", [_] if req.arg("fields") == "status":
                return 200, {"status": {"video_status": "ready"}}, {}
            case "POST", [_, "videos"]:
                return 200, {"id": inbox.add(network, req.field("description"), media=1).id}, {}
            case "POST", [_, "media" | "threads"]:
                container = inbox.new_id()
                children = [c for c in req.field("children").split(",") if c]
                media = len(children) or (
                    1 if req.field("image_url") or req.field("video_url") else 0
                )
                text = req.field(text_field)
                inbox.containers[container] = {"text": text, "media": media, "state": "FINISHED"}
                return 200, {"id": container}, {}
            case "POST", [_, "media_publish" | "threads_publish"]:
                container = inbox.containers.get(req.field("creation_id"))
                if not container or container["state"] != "FINISHED":
                    error = {
                        "message": "Invalid creation_id",
                        "type": "OAuthException",
                        "code": 100,
                    }
                    return 400, {"error": error}, {}
                container["state"] = "PUBLISHED"
                post = inbox.add(network, container["text"], media=container["media"])
                return 200, {"id": post.id}, {}
            case "GET", [object_id]:
                if container := inbox.containers.get(object_id):
                    state = container["state"]
                    return 200, {"id": object_id, "status_code": state, "status": state}, {}
                if post := inbox.get(object_id):
                    return 200, {"id": object_id, "permalink": demo.link(post)}, {}
                profile = {"name": "Cairn Outdoor", "username": "cairn.outdoor"}
                return 200, {"id": object_id, **profile}, {}
            case "DELETE", [object_id]:
                inbox.delete(object_id)
                return 200, {"success": True}, {}
        return None

    return route


def slack(req: Request, demo: DemoServer) -> Reply | None:
    if req.method != "POST":
        return None
    demo.inbox.add("slack", html.unescape(str(req.json().get("text") or "")))
    return 200, "ok", {}


def discord(req: Request, demo: DemoServer) -> Reply | None:
    match req.method, req.parts:
        case "POST", ["api", "webhooks", _, _]:
            payload = req.json() or json.loads(req.field("payload_json") or "{}")
            media = len(payload.get("attachments") or [])
            post = demo.inbox.add("discord", str(payload.get("content") or ""), media=media)
            if req.arg("wait") != "true":
                return 204, None, {}
            return 200, {"id": post.id, "channel_id": "8025", "content": post.text}, {}
        case "GET", ["api", "webhooks", hook_id, _]:
            return 200, {"id": hook_id, "type": 1, "name": "Cairn news"}, {}
        case "DELETE", ["api", "webhooks", _, _, "messages", message_id]:
            if demo.inbox.delete(message_id):
                return 204, None, {}
            return 404, {"message": "Unknown Message", "code": 10008}, {}
    return None


def teams(req: Request, demo: DemoServer) -> Reply | None:
    if req.method != "POST":
        return None
    try:
        text = req.json()["attachments"][0]["content"]["body"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return 400, {"error": {"code": "InvalidRequestContent", "message": "No card text."}}, {}
    demo.inbox.add("teams", str(text))
    return 202, None, {}


def webhook(req: Request, demo: DemoServer) -> Reply | None:
    if req.method != "POST":
        return None
    if not req.headers.get("X-Maillon-Signature"):
        return 401, {"error": "The delivery is not signed."}, {}
    body = req.json()
    delivery = req.headers.get("X-Maillon-Delivery") or str(body.get("id") or "")
    post = demo.inbox.add(
        "webhook",
        str(body.get("text") or ""),
        key="w:" + delivery,
        title=str(body.get("title") or ""),
        media=len(body.get("media") or []),
    )
    return 200, {"id": delivery, "url": demo.link(post)}, {}


ROUTES: dict[str, Callable[[Request, DemoServer], Reply | None]] = {
    "mastodon": mastodon,
    "bluesky": bluesky,
    "x": x,
    "linkedin": linkedin,
    "facebook": graph("facebook"),
    "instagram": graph("instagram"),
    "threads": graph("threads"),
    "slack": slack,
    "discord": discord,
    "teams": teams,
    "webhook": webhook,
}


# --- the page ------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo networks: what Maillon published</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
  color: #1d2430; }}
article {{ border: 1px solid #d5dae1; border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }}
article p {{ white-space: pre-wrap; margin: .25rem 0 0; }}
.network {{ font-weight: 600; }} .meta, .note {{ color: #5b6573; }}
.deleted p {{ text-decoration: line-through; color: #5b6573; }}
</style></head><body>
<h1>Demo networks: what Maillon published</h1>
<p class="note">A local stand-in for the social networks, started by <code>make run</code> for
the demo channels: nothing here left your computer, and it is forgotten when the server stops.
Approved posts appear here at their time. This page refreshes every 5 seconds.</p>
<p class="meta">{count}</p>
{posts}
</body></html>
"""


def page(inbox: Inbox) -> str:
    with inbox.lock:
        posts = list(reversed(inbox.posts))
    items = []
    for post in posts:
        notes = [post.at.strftime("%Y-%m-%d %H:%M:%S")]
        if post.media:
            notes.append(f"{post.media} attachment{'s' if post.media > 1 else ''}")
        if post.deleted:
            notes.append("deleted by Maillon (retracted)")
        title = f" · {html.escape(post.title)}" if post.title else ""
        items.append(
            f'<article id="post-{post.id}"{" class=deleted" if post.deleted else ""}>'
            f'<span class="network">{LABELS[post.network]}</span>{title} '
            f'<span class="meta">· {" · ".join(notes)}</span>'
            f"<p>{html.escape(post.text)}</p></article>"
        )
    count = f"{len(posts)} received so far." if posts else "Nothing received yet."
    return PAGE.format(count=count, posts="\n".join(items))


# --- HTTP ----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"

    def handle_request(self) -> None:
        url = urlsplit(self.path)
        parts = [unquote(part) for part in url.path.split("/") if part]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "GET" and not parts:
            return self.answer(200, page(self.server.inbox), {}, "text/html; charset=utf-8")
        route = ROUTES.get(parts[0]) if parts else None
        request = Request(self.command, parts[1:], parse_qs(url.query), self.headers, body)
        reply = route(request, self.server) if route else None
        if reply is None and self.command == "GET" and "html" in self.headers.get("Accept", ""):
            reply = (303, None, {"Location": "/"})  # e.g. a demo post's link, from Maillon
        if reply is None:
            message = f"The demo networks do not imitate {self.command} {url.path}."
            reply = (404, {"error": "NotFound", "message": message}, {})
        self.answer(*reply)

    do_GET = do_POST = do_PUT = do_DELETE = handle_request

    def answer(self, status: int, body: Any, headers: dict[str, str], kind: str = "") -> None:
        if isinstance(body, str):
            data, kind = body.encode(), kind or "text/plain; charset=utf-8"
        else:
            data = b"" if body is None else json.dumps(body).encode()
            kind = kind or "application/json"
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # each post received is printed instead (Inbox.add)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    options = parser.parse_args(argv)
    try:
        server = DemoServer(options.port)
    except OSError as exc:
        print(f"Cannot listen on 127.0.0.1:{options.port}: {exc.strerror}.", file=sys.stderr)
        return 1
    print(f"Demo networks on {server.url}/ (what Maillon publishes shows there).", flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches every process
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
