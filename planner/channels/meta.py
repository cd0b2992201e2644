"""Meta's networks: Facebook Pages, Instagram and Threads, over one small Graph helper.

None of them has an idempotency key. Facebook posts in one call: a 5xx or a
lost answer is ``Unknown`` and reconciliation reads the Page's published posts
back. Instagram and Threads publish in two phases: a *container* (which
publishes nothing, and expires unpublished after 24 hours), then
``*_publish`` with its id. Only that last call can post, and a container
publishes at most once, so the container id is the idempotency handle: when
``Outgoing.platform_key`` holds one from an earlier attempt, publish and
reconcile look at its status first. The container id is persisted as soon as it
exists (``Session.save_platform_key``), before the attempt goes on.

The token travels in the Authorization header, never in the URL, so it
cannot end up in logs.

Media. Facebook: one photo is one ``/{page}/photos`` call (the text as caption);
several are uploaded unpublished, then attached to one ``/feed`` post
(``attached_media``); a video goes to ``/{page}/videos`` (``file_url`` when the file
has a public address, else its bytes); a link in a text-only post is sent as ``link``
for its preview. Instagram and Threads download media by URL: the file's signed
address served by Maillon, valid for that publication only (``MediaFile.url``, see
planner/publishing/media_links.py). One image or video is one container (a video is a Reel
on Instagram); several make a carousel (Instagram 10, Threads 20): one item container
each (``is_carousel_item``), all polled until FINISHED, then a CAROUSEL container with
their ids as ``children``, in order. Polling shares one budget per attempt
(planner/channels/processing.py); past it the attempt is Transient, and the next one
resumes from the persisted ids: the items' (``children:<id>,...``, while the carousel
does not exist yet, when they fit in the key) or the final container's.
"""

from __future__ import annotations

import dataclasses
import json
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx

from planner.channels import authorization, processing
from planner.channels.base import (
    RENEW_AHEAD,
    Adapter,
    AdapterError,
    Expiry,
    Limits,
    MediaFile,
    NotThere,
    Outcome,
    Outgoing,
    Permanent,
    PostBudget,
    Published,
    Session,
    Transient,
    Unknown,
    classify_response,
    epoch,
    error_text,
    numeric_fields,
    retry_after_seconds,
    send,
)
from planner.channels.counting import Count, graphemes, urls

GRAPH_VERSION = "v25.0"
GRAPH_VIDEO_URL = f"https://graph-video.facebook.com/{GRAPH_VERSION}"
RECONCILE_COUNT = 25
# Graph error codes (https://developers.facebook.com/docs/graph-api/guides/error-handling).
AUTH_CODES = frozenset({102, 190})  # token expired, revoked or invalid
PERMISSION_CODES = frozenset({10, *range(200, 300)})  # a permission is missing
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})  # app, user, page, BUC
TRANSIENT_CODES = frozenset({1, 2})
DUPLICATE_CODE = 506
# Instagram's "Application request limit reached", known to follow a *successful* publish.
LIMIT_AFTER_PUBLISH = 2207051
THROTTLE_DELAY = 15 * 60.0  # when Meta gives no estimate
# An earlier attempt's carousel items, persisted before the carousel itself exists.
CHILDREN_KEY = "children"
# Container states in which nothing has been published (the others: PUBLISHED).
UNPUBLISHED = frozenset({"IN_PROGRESS", "FINISHED", "EXPIRED", "ERROR"})

Failure = Transient | Permanent | Unknown


# --- the Graph helper ------------------------------------------------------------------


def graph(
    session: Session, token_key: str, method: str, path: str, *, idempotent: bool, **kwargs: Any
) -> dict[str, Any] | Failure:
    """One Graph call: the JSON object answered, or what the failure means."""
    token = session.credentials.get(token_key) or ""
    headers = {"Authorization": f"Bearer {token}"}
    url = session.url(path)
    response = send(session, method, url, idempotent=idempotent, headers=headers, **kwargs)
    if not isinstance(response, httpx.Response):
        return response  # Transient or Unknown: send() never answers Published
    return graph_answer(response, idempotent)


def graph_answer(response: httpx.Response, idempotent: bool) -> dict[str, Any] | Failure:
    """A Graph answer's JSON object, or what its error means (an error may come with 200)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    error = body.get("error")
    if response.status_code >= 400 or isinstance(error, dict):
        return graph_failure(response, error if isinstance(error, dict) else {}, idempotent)
    return body


def graph_failure(response: httpx.Response, error: Mapping[str, Any], idempotent: bool) -> Failure:
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    message = error.get("message") or error_text(response)
    reason = f"HTTP {response.status_code}: {message}"
    if code:
        reason += f" (Graph code {code}, subcode {subcode})" if subcode else f" (Graph code {code})"
    if code in AUTH_CODES:
        return Permanent(f"The access was revoked or expired: reconnect. {reason}", reauth=True)
    if code in PERMISSION_CODES:
        return Permanent(f"A permission is missing: reconnect. {reason}", reauth=True)
    if code == DUPLICATE_CODE:
        return Unknown(f"Refused as a duplicate: probably published already: verify. {reason}")
    if code in THROTTLE_CODES:
        if subcode == LIMIT_AFTER_PUBLISH and not idempotent:
            return Unknown(f"Rate limited, possibly after publishing: verify. {reason}")
        return Transient(reason, throttle_delay(response.headers))
    if code in TRANSIENT_CODES or error.get("is_transient"):
        return Transient(reason) if idempotent else Unknown(reason)
    # Other codes: what the HTTP status says, in Meta's words.
    failed = classify_response(response, idempotent=idempotent)
    if isinstance(failed, Transient):
        # Without an idempotency key, even a 503 may follow a post that went out.
        if response.status_code >= 500 and not idempotent:
            return Unknown(reason)
        return Transient(reason, failed.retry_after)
    if isinstance(failed, Unknown):
        return Unknown(reason)
    return Permanent(reason, reauth=isinstance(failed, Permanent) and failed.reauth)


# --- long-lived tokens ----------------------------------------------------------------
#
# Facebook Login gives a short-lived user token (an hour or two); ``fb_exchange_token``
# turns it into a long-lived one (about 60 days), and the Page tokens read with a
# long-lived user token (GET /me/accounts) do not expire: Facebook and Instagram
# channels hold such Page tokens, so there is nothing to renew (a revoked one is a
# Graph code 190: the channel is disconnected). Threads gives a short-lived token that
# ``th_exchange_token`` makes long-lived (60 days), and ``th_refresh_token`` extends by
# 60 days from the refresh, for a token at least a day old and not expired yet.

THREADS_MIN_AGE = 86400.0  # Threads refreshes only tokens at least 24 hours old


def long_lived_user_token(
    session: Session, *, app_id: str, app_secret: str, token: str
) -> dict[str, Any] | Failure:
    """Facebook: a short-lived user token exchanged for a long-lived one:
    ``{"access_token", "expires_at"}`` (expires_at in epoch seconds, 0 if not said)."""
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": app_id,
        "client_secret": app_secret,
        "fb_exchange_token": token,
    }
    return _token_answer(session, session.url("oauth/access_token"), params)


def threads_long_lived_token(
    session: Session, *, app_secret: str, token: str
) -> dict[str, Any] | Failure:
    """Threads: a short-lived token exchanged for a 60-day one (``th_exchange_token``)."""
    params = {"grant_type": "th_exchange_token", "client_secret": app_secret, "access_token": token}
    return _token_answer(session, _threads_root(session) + "/access_token", params)


def _threads_root(session: Session) -> str:
    """graph.threads.net without the API version: where its token endpoints are."""
    root = session.base_url.rstrip("/")
    head, _, last = root.rpartition("/")
    return head if last.startswith("v") and last[1:].replace(".", "").isdigit() else root


def _token_answer(session: Session, url: str, params: dict[str, str]) -> dict[str, Any] | Failure:
    # These endpoints take the tokens in the query string (Meta's design); the
    # response, not the request, is what Maillon keeps.
    response = send(session, "GET", url, idempotent=True, params=params)
    if not isinstance(response, httpx.Response):
        return (
            response if isinstance(response, Transient | Permanent) else Transient(response.reason)
        )
    body = graph_answer(response, True)
    if not isinstance(body, dict):
        return body
    if not body.get("access_token"):
        return Permanent("Meta answered without an access token.", reauth=True)
    try:
        expires_in = float(body.get("expires_in") or 0)
    except (TypeError, ValueError):
        expires_in = 0
    expires_at = int(time.time() + expires_in) if expires_in > 0 else 0
    return {"access_token": body["access_token"], "expires_at": expires_at}


def throttle_delay(headers: Mapping[str, str]) -> float:
    """Meta's estimate (minutes, in X-Business-Use-Case-Usage), else Retry-After, else 15 min."""
    waits = []
    try:
        usage = json.loads(headers.get("x-business-use-case-usage") or "{}")
    except ValueError:
        usage = {}
    for entries in usage.values() if isinstance(usage, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            minutes = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else 0
            if isinstance(minutes, int | float) and minutes > 0:
                waits.append(minutes * 60.0)
    return max(waits, default=0.0) or retry_after_seconds(headers) or THROTTLE_DELAY


def _checked(result: dict[str, Any] | Failure) -> dict[str, Any]:
    if isinstance(result, Failure):
        raise AdapterError(result)
    return result


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def same_text(remote: str, ours: str) -> bool:
    def comparable(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return comparable(remote) == comparable(ours)


# --- Facebook Pages ---------------------------------------------------------------------


class FacebookAdapter(Adapter):
    media_by_url = True
    kind = "facebook"
    default_base_url = f"https://graph.facebook.com/{GRAPH_VERSION}"
    oauth = authorization.META
    # Several photos (each uploaded unpublished, then attached) or 1 video.
    limits = Limits(
        max_media=10,
        media_types=(
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "video/mp4",
            "video/quicktime",
        ),
        max_media_bytes=10 * 1024 * 1024,
        max_videos=1,
        video_alone=True,
        max_video_bytes=1024 * 1024 * 1024,
        max_video_seconds=240 * 60,
    )
    can_delete = True
    credential_fields = ("page_id", "page_access_token")

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        # A Page token from a long-lived user token does not expire; a known end
        # (another kind of token pasted in) is told, and only a person can renew it.
        return Expiry(epoch(credentials.get("expires_at")))

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters (Facebook)", graphemes(text), 63206)]

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        """Text (with the first link's preview), one photo, several photos, or one video."""
        page = session.credentials.get("page_id", "")
        videos = [item for item in message.media if processing.is_video(item)]
        if videos:
            if len(message.media) > 1:
                return Permanent("Facebook takes one video per post, with nothing else.")
            return self._video(session, message, videos[0])
        if len(message.media) == 1:
            return self._photo(session, message, message.media[0])
        fields: dict[str, str] = {"message": message.text}
        if message.media:
            for index, item in enumerate(message.media):
                photo = self._photo_upload(session, item, {"published": "false"})
                if not isinstance(photo, dict):
                    return photo
                if not photo.get("id"):
                    return Transient("Facebook stored a photo without saying its id.")
                fields[f"attached_media[{index}]"] = json.dumps({"media_fbid": str(photo["id"])})
        elif links := urls(message.text):
            fields["link"] = links[0]  # Facebook shows this link's preview
        body = self._graph(session, "POST", f"{page}/feed", idempotent=False, data=fields)
        return _facebook_post(body)

    def _photo(self, session: Session, message: Outgoing, item: MediaFile) -> Outcome:
        """One photo with the text as its caption: a post on the Page in one call."""
        body = self._photo_upload(session, item, {"message": message.text}, idempotent=False)
        if isinstance(body, dict) and body.get("post_id"):
            body = {"id": body["post_id"]}
        return _facebook_post(body)

    def _photo_upload(
        self, session: Session, item: MediaFile, fields: dict[str, str], idempotent: bool = True
    ) -> dict[str, Any] | Failure:
        # An unpublished photo posts nothing: sending it again is safe.
        content = processing.read_bytes(item)
        if not isinstance(content, bytes):
            return content
        page = session.credentials.get("page_id", "")
        if item.alt_text:
            fields = {**fields, "alt_text_custom": item.alt_text}
        return self._graph(
            session,
            "POST",
            f"{page}/photos",
            idempotent=idempotent,
            data=fields,
            files={"source": (Path(item.path).name, content, item.mime_type)},
        )

    def _video(self, session: Session, message: Outgoing, item: MediaFile) -> Outcome:
        """``/{page}/videos`` by resumable upload (``_resumable_video``), even when the file
        has a signed address: the bytes go from Maillon's disk in parts, so a large video
        needs no single long request nor Facebook fetching it from Maillon."""
        fields = {"description": message.text}
        if message.title:
            fields["title"] = message.title
        return self._resumable_video(session, item, fields)

    def _resumable_video(
        self, session: Session, item: MediaFile, fields: dict[str, str]
    ) -> Outcome:
        """Graph's resumable upload: ``upload_phase=start`` with the size, ``transfer`` of
        the chunk between the offsets Facebook names until they meet, ``finish`` with the
        description (that publishes the video), then the video's ``status`` polled within the
        processing budget. A processing error is a permanent outcome in Facebook's words; a
        video still processing when the budget ends is published (Facebook shows it once
        processed) rather than sent again."""
        page = session.credentials.get("page_id", "")
        content = processing.read_bytes(item)
        if not isinstance(content, bytes):
            return content
        uploads = session
        if session.base_url.rstrip("/") == self.default_base_url:
            # Video bytes go to Graph's video host; META_API_URL (a test server) takes both.
            uploads = dataclasses.replace(session, base_url=GRAPH_VIDEO_URL)
        name = Path(item.path).name
        start = {"upload_phase": "start", "file_size": str(len(content))}
        body = self._graph(uploads, "POST", f"{page}/videos", idempotent=True, data=start)
        if not isinstance(body, dict):
            return body
        video_id, upload = str(body.get("video_id") or ""), str(body.get("upload_session_id") or "")
        if not video_id or not upload:
            return Transient(f"Facebook's answer to the upload of {name} could not be read.")
        offsets = (int(body.get("start_offset", 0)), int(body.get("end_offset", 0)))
        while offsets[0] < offsets[1]:
            chunk = content[offsets[0] : offsets[1]]
            data = {
                "upload_phase": "transfer",
                "upload_session_id": upload,
                "start_offset": str(offsets[0]),
            }
            files = {"video_file_chunk": (name, chunk, "application/octet-stream")}
            body = self._graph(
                uploads, "POST", f"{page}/videos", idempotent=True, data=data, files=files
            )
            if not isinstance(body, dict):
                return body
            moved = (int(body.get("start_offset", 0)), int(body.get("end_offset", 0)))
            if moved[0] <= offsets[0]:
                return Transient(f"Facebook did not take the next part of {name}; trying again.")
            offsets = moved
        finish = {"upload_phase": "finish", "upload_session_id": upload, **fields}
        body = self._graph(uploads, "POST", f"{page}/videos", idempotent=False, data=finish)
        if not isinstance(body, dict):
            return body
        if not body.get("success"):
            return Unknown(f"Facebook's answer to the end of the upload of {name} had no success.")
        budget = processing.Budget()
        while True:
            params = {"fields": "status"}
            body = self._graph(session, "GET", video_id, idempotent=True, params=params)
            status = body.get("status") if isinstance(body, dict) else None
            if isinstance(status, dict):
                state = str(status.get("video_status") or "")
                if state == "error":
                    return Permanent(
                        f"Facebook could not process the video {name}: {_video_error(status)}."
                    )
                if state in ("ready", "published"):
                    break
            if not budget.pause():
                break  # published, and Facebook shows it once processed
        return Published(video_id, f"https://www.facebook.com/{video_id}")

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        page = session.credentials.get("page_id", "")
        params = {"fields": "id,message,created_time", "limit": RECONCILE_COUNT}
        body = _checked(
            self._graph(session, "GET", f"{page}/published_posts", idempotent=True, params=params)
        )
        for post in body.get("data") or []:
            if same_text(str(post.get("message") or ""), message.text):
                return Published(str(post["id"]), f"https://www.facebook.com/{post['id']}")
        return NotThere(f"None of the Page's last {RECONCILE_COUNT} posts has this text.")

    def delete(self, session: Session, message: Outgoing) -> None:
        _checked(self._graph(session, "DELETE", message.external_id, idempotent=True))

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        fields = (
            "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        )
        params = {"fields": fields}
        post = _checked(
            self._graph(session, "GET", message.external_id, idempotent=True, params=params)
        )
        # Graph nests its counts; flattened here under the edge's own name.
        return {
            "reactions": int(
                (post.get("reactions") or {}).get("summary", {}).get("total_count", 0)
            ),
            "shares": int((post.get("shares") or {}).get("count", 0)),
            "comments": int((post.get("comments") or {}).get("summary", {}).get("total_count", 0)),
        }

    def followers(self, session: Session) -> int | None:
        page = session.credentials.get("page_id", "")
        params = {"fields": "followers_count"}
        body = _checked(self._graph(session, "GET", page, idempotent=True, params=params))
        count = body.get("followers_count")
        return count if isinstance(count, int) else None

    def check_connection(self, session: Session) -> str:
        page = session.credentials.get("page_id", "")
        params = {"fields": "name"}
        body = _checked(self._graph(session, "GET", page, idempotent=True, params=params))
        return str(body.get("name") or page)

    def _graph(
        self, session: Session, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any] | Failure:
        return graph(session, "page_access_token", method, path, **kwargs)


def _video_error(status: Mapping[str, Any]) -> str:
    """The words of a video's processing error (``processing_phase.errors``)."""
    for phase in ("processing_phase", "uploading_phase", "publishing_phase"):
        found = status.get(phase)
        errors = found.get("errors") if isinstance(found, dict) else None
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict) and error.get("message"):
                return str(error["message"])
    return "no reason given"


def _facebook_post(body: dict[str, Any] | Failure) -> Outcome:
    if not isinstance(body, dict):
        return body
    if not body.get("id"):
        return Unknown("Facebook accepted the post but its answer had no id.")
    return Published(str(body["id"]), f"https://www.facebook.com/{body['id']}")


# --- Instagram and Threads: containers ---------------------------------------------------


@dataclass(frozen=True)
class ContainerApi:
    """Where one network's two-phase publishing differs from the other's."""

    network: str
    user_key: str  # the credential holding the account id
    edge: str  # POST creates a container, GET lists published media
    publish_edge: str
    status_field: str  # Instagram: status_code; Threads: status
    detail_field: str  # why a container failed
    text_field: str  # caption / text, for reconciliation


class ContainerAdapter(Adapter):
    media_by_url = True  # Instagram and Threads download every image and video
    api: ClassVar[ContainerApi]
    # Container processing is polled at most this many times per container, this far
    # apart, and never longer in all than MEDIA_PROCESSING_WAIT_SECONDS; then publishing
    # is left for a later attempt (Transient), which resumes from the persisted ids.
    poll_attempts: int = 30
    poll_interval: float = 3.0
    sleep: Callable[[float], None] = staticmethod(time.sleep)
    max_carousel: ClassVar[int] = 10

    def container_fields(self, session: Session, message: Outgoing) -> dict[str, str] | Failure:
        """The fields of the one container of a post without several media."""
        raise NotImplementedError

    def item_fields(self, session: Session, item: MediaFile) -> dict[str, str] | Failure:
        """The fields of one carousel item's container."""
        url = self._media_url(session, item)
        if not isinstance(url, str):
            return url
        if processing.is_video(item):
            return {"media_type": "VIDEO", "video_url": url, "is_carousel_item": "true"}
        return {"image_url": url, "is_carousel_item": "true"}

    def prepare(
        self,
        session: Session,
        message: Outgoing,
        budget: processing.Budget | None = None,
        children: list[str] | None = None,
    ) -> str | Failure:
        """Create the post's container (phase one, which publishes nothing); its id, to
        persist. A carousel's items are created first (or ``children``, an earlier
        attempt's, reused) and must all be FINISHED before the carousel is made."""
        budget = budget or processing.Budget(sleep=self.sleep)
        if len(message.media) < 2:
            fields = self.container_fields(session, message)
            return fields if not isinstance(fields, dict) else self._create(session, fields)
        if len(message.media) > self.max_carousel:
            return Permanent(
                f"{self.api.network} takes at most {self.max_carousel} images or videos."
            )
        if not children or len(children) != len(message.media):
            children = []
            for item in message.media:
                fields = self.item_fields(session, item)
                if not isinstance(fields, dict):
                    return fields
                child = self._create(session, fields)
                if not isinstance(child, str):
                    return child
                children.append(child)
            session.save_platform_key(processing.ids_key(CHILDREN_KEY, children))
        for child in children:
            if waited := self._wait(session, child, budget):
                if isinstance(waited, Transient) and "expired" in waited.reason:
                    session.save_platform_key("")  # make new items next time
                return waited
        fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
        fields[self.api.text_field] = message.text
        return self._create(session, fields)

    def _create(self, session: Session, fields: dict[str, str]) -> str | Failure:
        body = self._graph(session, "POST", self._edge(session), idempotent=True, data=fields)
        if not isinstance(body, dict):
            return body
        if not body.get("id"):
            return Transient(f"{self.api.network} created no container.")
        return str(body["id"])

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        budget = processing.Budget(sleep=self.sleep)
        container = message.platform_key
        children = processing.saved_ids(container, CHILDREN_KEY)
        if children:  # an earlier attempt made the items, not the carousel yet
            container = ""
        if container:  # an earlier attempt's container: never publish twice
            status = self._status(session, container)
            if not isinstance(status, tuple):
                return status
            if status[0] == "PUBLISHED":
                return self._found_after_publishing(session, message, container)
            if status[0] in ("EXPIRED", "ERROR"):
                container = ""
        if not container:
            created = self.prepare(session, message, budget, children)
            if not isinstance(created, str):
                return created
            container = created
            session.save_platform_key(container)
        if waited := self._wait(session, container, budget):
            return waited
        body = self._graph(
            session,
            "POST",
            f"{self._user(session)}/{self.api.publish_edge}",
            idempotent=False,
            data={"creation_id": container},
        )
        if not isinstance(body, dict):
            return body
        if not body.get("id"):
            return Unknown(f"{self.api.network} published container {container} without an id.")
        return Published(str(body["id"]), self._permalink(session, str(body["id"])))

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        if processing.saved_ids(message.platform_key, CHILDREN_KEY):
            return NotThere("Only the carousel's items were made; the carousel was not published.")
        if message.platform_key:
            status = self._status(session, message.platform_key)
            if not isinstance(status, tuple):
                raise AdapterError(status)
            if status[0] in UNPUBLISHED:  # a container publishes nothing before PUBLISHED
                return NotThere(f"The container is {status[0]}, not published.")
        found = self._find(session, message)
        if found:
            return found
        if message.platform_key:  # published, but not visible yet: ask again later
            raise AdapterError(
                Transient("The container was published; the post is not visible yet.")
            )
        return NotThere(f"None of the account's last {RECONCILE_COUNT} posts has this text.")

    def check_connection(self, session: Session) -> str:
        user = self._user(session)
        params = {"fields": "username"}
        body = _checked(self._graph(session, "GET", user, idempotent=True, params=params))
        return f"@{body.get('username', '')}"

    # --- helpers ---------------------------------------------------------------------

    def _found_after_publishing(
        self, session: Session, message: Outgoing, container: str
    ) -> Published | Unknown:
        try:
            found = self._find(session, message)
        except AdapterError:
            found = None
        return found or Unknown(
            f"{self.api.network} published container {container}, but the post is not "
            "in the account's recent media yet: verify."
        )

    def _status(self, session: Session, container: str) -> tuple[str, str] | Failure:
        fields = f"{self.api.status_field},{self.api.detail_field}"
        params = {"fields": fields}
        body = self._graph(session, "GET", container, idempotent=True, params=params)
        if not isinstance(body, dict):
            return body
        state = str(body.get(self.api.status_field) or "")
        return state, str(body.get(self.api.detail_field) or "")

    def _wait(self, session: Session, container: str, budget: processing.Budget) -> Outcome | None:
        """None once the container is ready to publish; else why not."""
        for attempt in range(self.poll_attempts):
            status = self._status(session, container)
            if not isinstance(status, tuple):
                return status
            state, detail = status
            if state == "FINISHED":
                return None
            if state == "PUBLISHED":  # another attempt got there first: never publish twice
                return Unknown(f"{self.api.network} container {container} is already published.")
            if state == "ERROR":
                return Permanent(f"{self.api.network} could not process the post: {detail}")
            if state == "EXPIRED":
                return Transient(f"{self.api.network} container {container} expired.")
            if attempt + 1 == self.poll_attempts or not budget.pause(self.poll_interval):
                break
        return budget.exceeded(f"{self.api.network} container {container}")

    def _media_url(self, session: Session, item: MediaFile) -> str | Failure:
        """The file's public address: the signed one the engine gives for this publication."""
        if item.url:
            return item.url
        return Permanent(NO_PUBLIC_URL.replace("Instagram", self.api.network))

    def _find(self, session: Session, message: Outgoing) -> Published | None:
        fields = f"id,{self.api.text_field},permalink"
        params = {"fields": fields, "limit": RECONCILE_COUNT}
        body = _checked(
            self._graph(session, "GET", self._edge(session), idempotent=True, params=params)
        )
        for media in body.get("data") or []:
            if same_text(str(media.get(self.api.text_field) or ""), message.text):
                return Published(str(media["id"]), str(media.get("permalink") or ""))
        return None

    def _permalink(self, session: Session, media_id: str) -> str:
        # Best effort: the post is out whatever this answers.
        params = {"fields": "permalink"}
        body = self._graph(session, "GET", media_id, idempotent=True, params=params)
        return str(body.get("permalink") or "") if isinstance(body, dict) else ""

    def _user(self, session: Session) -> str:
        return str(session.credentials.get(self.api.user_key) or "")

    def _edge(self, session: Session) -> str:
        return f"{self._user(session)}/{self.api.edge}"

    def _graph(
        self, session: Session, method: str, path: str, **kwargs: Any
    ) -> dict[str, Any] | Failure:
        return graph(session, "access_token", method, path, **kwargs)


NO_PUBLIC_URL = (
    "Instagram downloads media from a public address, and this file has none: "
    "Maillon gives one while publishing (check SITE_URL is Maillon's public address)."
)


class InstagramAdapter(ContainerAdapter):
    kind = "instagram"
    # 50 API-published posts per rolling 24 hours (content_publishing_limit).
    post_budget = PostBudget(50, 24 * 3600)
    default_base_url = f"https://graph.facebook.com/{GRAPH_VERSION}"
    oauth = authorization.META
    # One image, a carousel of 2 to 10 images and videos mixed, or one video (a Reel,
    # 3 s to 15 min, 300 MB). Feed images between 4:5 and 1.91:1, JPEG, 8 MB.
    limits = Limits(
        max_media=10,
        media_types=("image/jpeg", "video/mp4", "video/quicktime"),
        max_media_bytes=8 * 1024 * 1024,
        requires_media=True,
        max_videos=10,
        video_alone=False,
        max_video_bytes=300 * 1024 * 1024,
        min_video_seconds=3,
        max_video_seconds=15 * 60,
        min_image_aspect=4 / 5,
        max_image_aspect=1.91,
    )
    credential_fields = ("ig_user_id", "access_token")

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        # Through Facebook Login the token is the Page's, which does not expire.
        return Expiry(epoch(credentials.get("expires_at")))

    api = ContainerApi(
        network="Instagram",
        user_key="ig_user_id",
        edge="media",
        publish_edge="media_publish",
        status_field="status_code",
        detail_field="status",
        text_field="caption",
    )

    def counts(self, text: str) -> list[Count]:
        hashtags = sum(1 for word in text.split() if word.startswith("#") and len(word) > 1)
        return [
            Count("Characters (Instagram)", graphemes(text), 2200),
            Count("Hashtags (Instagram)", hashtags, 30),
        ]

    def container_fields(self, session: Session, message: Outgoing) -> dict[str, str] | Failure:
        """One image, or one video as a Reel."""
        if not message.media:
            return Permanent("Instagram needs an image or a video.")
        item = message.media[0]
        url = self._media_url(session, item)
        if not isinstance(url, str):
            return url
        if processing.is_video(item):
            return {"media_type": "REELS", "video_url": url, "caption": message.text}
        fields = {"image_url": url, "caption": message.text}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        return fields

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        params = {"fields": "like_count,comments_count"}
        body = _checked(
            self._graph(session, "GET", message.external_id, idempotent=True, params=params)
        )
        return numeric_fields(body)

    def followers(self, session: Session) -> int | None:
        params = {"fields": "followers_count"}
        body = _checked(
            self._graph(session, "GET", self._user(session), idempotent=True, params=params)
        )
        count = body.get("followers_count")
        return count if isinstance(count, int) else None


class ThreadsAdapter(ContainerAdapter):
    kind = "threads"
    # 250 API-published posts per 24 hours (threads_publishing_limit).
    post_budget = PostBudget(250, 24 * 3600)
    default_base_url = "https://graph.threads.net/v1.0"
    oauth = authorization.THREADS
    # Text, one image or video, or a carousel of up to 20 mixed. Images JPEG/PNG, 8 MB,
    # up to 10:1; video MP4/MOV, 1 GB, 5 minutes.
    limits = Limits(
        max_media=20,
        media_types=("image/jpeg", "image/png", "video/mp4", "video/quicktime"),
        max_media_bytes=8 * 1024 * 1024,
        max_videos=20,
        video_alone=False,
        max_video_bytes=1024 * 1024 * 1024,
        max_video_seconds=5 * 60,
        min_image_aspect=1 / 10,
        max_image_aspect=10,
        min_video_aspect=1 / 100,
        max_video_aspect=10,
    )
    can_delete = True
    credential_fields = ("threads_user_id", "access_token")
    derived_credentials = ("expires_at", "renewed_at")

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        expires_at = epoch(credentials.get("expires_at"))
        return Expiry(expires_at, renews=expires_at is not None)

    def needs_renewal(self, credentials: Mapping[str, Any], now: float) -> bool:
        expires_at = epoch(credentials.get("expires_at"))
        renewed_at = epoch(credentials.get("renewed_at"))
        if expires_at is None or expires_at <= now:
            return False  # unknown end, or expired: only a reconnect helps
        old_enough = renewed_at is None or now - renewed_at >= THREADS_MIN_AGE
        return old_enough and expires_at - now < RENEW_AHEAD

    def renew(self, session: Session) -> Transient | Permanent | None:
        """``th_refresh_token``: 60 more days from now, for a token a day old or more."""
        used = session.credentials.get("access_token")
        with session.renewal_lock() as stored:
            if stored.get("access_token") and stored.get("access_token") != used:
                session.credentials.update(stored)
                return None  # renewed by another worker meanwhile
            params = {"grant_type": "th_refresh_token", "access_token": str(used or "")}
            url = _threads_root(session) + "/refresh_access_token"
            answer = _token_answer(session, url, params)
            if not isinstance(answer, dict):
                return (
                    answer
                    if isinstance(answer, Transient | Permanent)
                    else Transient(answer.reason)
                )
            session.update_credentials({**answer, "renewed_at": int(time.time())})
        return None

    api = ContainerApi(
        network="Threads",
        user_key="threads_user_id",
        edge="threads",
        publish_edge="threads_publish",
        status_field="status",
        detail_field="error_message",
        text_field="text",
    )
    max_carousel = 20

    def counts(self, text: str) -> list[Count]:
        return [
            Count("Characters (Threads)", graphemes(text), 500),
            Count("Links (Threads)", len(urls(text)), 5),
        ]

    def container_fields(self, session: Session, message: Outgoing) -> dict[str, str] | Failure:
        """Text alone, or with one image or one video."""
        if not message.media:
            return {"media_type": "TEXT", "text": message.text}
        item = message.media[0]
        url = self._media_url(session, item)
        if not isinstance(url, str):
            return url
        if processing.is_video(item):
            return {"media_type": "VIDEO", "video_url": url, "text": message.text}
        fields = {"media_type": "IMAGE", "image_url": url, "text": message.text}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        return fields

    def item_fields(self, session: Session, item: MediaFile) -> dict[str, str] | Failure:
        fields = super().item_fields(session, item)
        if isinstance(fields, dict) and "image_url" in fields:
            fields["media_type"] = "IMAGE"
        return fields

    def delete(self, session: Session, message: Outgoing) -> None:
        _checked(self._graph(session, "DELETE", message.external_id, idempotent=True))

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        # Needs threads_manage_insights. A media's counts come as ``values`` (lifetime).
        params = {"metric": THREADS_MEDIA_METRICS}
        path = f"{message.external_id}/insights"
        return insight_values(
            _checked(self._graph(session, "GET", path, idempotent=True, params=params))
        )

    def followers(self, session: Session) -> int | None:
        # A user's followers_count comes as ``total_value``, not a time series.
        params = {"metric": "followers_count"}
        path = f"{self._user(session)}/threads_insights"
        body = _checked(self._graph(session, "GET", path, idempotent=True, params=params))
        return insight_values(body).get("followers_count")


THREADS_MEDIA_METRICS = "views,likes,replies,reposts,quotes"


def insight_values(body: Mapping[str, Any]) -> dict[str, int]:
    """Threads insights, ``{"data": [{"name", "values": [{"value"}] | "total_value"}]}``,
    as ``{name: value}``; the last value of a series is the latest."""
    found: dict[str, int] = {}
    for entry in body.get("data") or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        total = entry.get("total_value")
        series = entry.get("values")
        value: Any = None
        if isinstance(total, dict):
            value = total.get("value")
        elif isinstance(series, list) and series and isinstance(series[-1], dict):
            value = series[-1].get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            found[str(entry["name"])] = value
    return found
