"""X (API v2) with an OAuth 2 user-context token, over plain httpx.

X has no idempotency key, so a post that may have gone out (a 5xx, a read
timeout) is ``Unknown`` and is reconciled, never sent again blindly. X also
refuses identical text with a 403 "duplicate content" that does not give the
existing post's id: after an earlier attempt that is a sign the post went
out, so it is ``Unknown`` ("probably published: verify"), never ``Permanent``.

Reconciliation reads the account's recent posts and compares their text with
ours. X rewrites links to t.co and appends a t.co link for attached media, so
links are expanded back from the post's entities (media links dropped) and
both sides are compared without URL schemes, HTML escapes or extra spaces.

Media (v2 endpoints, as the text calls): an image goes up in one request to
``/2/media/upload``; a GIF (``tweet_gif``) or a video (``tweet_video``) through the
chunked upload (``/2/media/upload/initialize``, ``/{id}/append`` per segment,
``/{id}/finalize``), then ``GET /2/media/upload?command=STATUS`` while X processes it,
within the attempt's budget (planner/channels/processing.py). The media ids are kept in
the publication's platform key, so an attempt that ran out of time resumes polling.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from planner.channels import authorization, oauth, processing
from planner.channels.base import (
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
    numeric_fields,
    retry_after_seconds,
)
from planner.channels.counting import Count, x_length

MAX_LENGTH = 280
POST_URL = "https://x.com/i/web/status/{}"
RECONCILE_COUNT = 100  # the most recent posts read back, the API's maximum page
# Daily caps answer 429 too; their reset is then the one that matters.
DAILY_LIMITS = ("x-user-limit-24hour", "x-app-limit-24hour")
KEY_PREFIX = "x-media"  # media ids kept for the next attempt (Outgoing.platform_key)
_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)


class XAdapter(Adapter):
    kind = "x"
    # POST /2/tweets: 100 per 15 minutes per user (docs.x.com rate limits).
    post_budget = PostBudget(100, 15 * 60)
    default_base_url = "https://api.x.com"
    # Images through the one-shot upload only; GIFs and video need the chunked flow.
    # Up to 4 images, or 1 GIF, or 1 video (https://docs.x.com/x-api/media: image 5 MB,
    # GIF 15 MB, video 512 MB; 140 s and 1:3..3:1 for accounts without Premium).
    limits = Limits(
        max_media=4,
        media_types=(
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
            "video/mp4",
            "video/quicktime",
        ),
        max_media_bytes=5 * 1024 * 1024,
        max_alt_text=1000,
        max_videos=1,
        video_alone=True,
        gif_alone=True,
        max_gif_bytes=15 * 1024 * 1024,
        max_video_bytes=512 * 1024 * 1024,
        min_video_seconds=0.5,
        max_video_seconds=140,
        min_video_aspect=1 / 3,
        max_video_aspect=3,
    )
    can_delete = True
    oauth = authorization.X
    # Also stored: "expires_at" (epoch seconds) and "user_id" (cached by reconcile).
    credential_fields = ("client_id", "client_secret", "access_token", "refresh_token")
    derived_credentials = ("expires_at", "user_id")
    # APPEND segments; X takes up to 5 MB each.
    chunk_size = 4 * 1024 * 1024

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters (X)", x_length(text), MAX_LENGTH)]

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        # A rotating refresh chain has no published end: renewed on use (two-hour
        # access tokens), it lasts until the account holder revokes the app.
        if credentials.get("refresh_token"):
            return Expiry(None, renews=True)
        return Expiry(epoch(credentials.get("expires_at")))

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        media_ids = self._media(session, message)
        if not isinstance(media_ids, list):
            return media_ids
        body: dict[str, Any] = {"text": message.text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        response = self._call(session, "POST", "2/tweets", idempotent=False, json=body)
        if not isinstance(response, httpx.Response):
            return response
        if response.status_code == 403 and "duplicate" in response.text.lower():
            return Unknown(
                "X refused the text as a duplicate: probably published by an earlier "
                "attempt: verify."
            )
        if failed := _failure(response, idempotent=False):
            return failed
        post_id = str((oauth.json_object(response).get("data") or {}).get("id") or "")
        if not post_id:
            return Unknown("X accepted the post but its answer had no id.")
        return Published(post_id, POST_URL.format(post_id))

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        user_id = self._user_id(session)
        params = {
            "max_results": RECONCILE_COUNT,
            "exclude": "replies,retweets",
            "tweet.fields": "entities",
        }
        response = oauth.checked(
            self._call(session, "GET", f"2/users/{user_id}/tweets", idempotent=True, params=params)
        )
        wanted = comparable(message.text)
        for post in oauth.json_object(response).get("data") or []:
            if comparable(expanded_text(post)) == wanted:
                return Published(str(post["id"]), POST_URL.format(post["id"]))
        return NotThere(f"None of the account's last {RECONCILE_COUNT} posts has this text.")

    def delete(self, session: Session, message: Outgoing) -> None:
        path = f"2/tweets/{message.external_id}"
        response = self._call(session, "DELETE", path, idempotent=True)
        if isinstance(response, httpx.Response) and response.status_code == 404:
            return  # already gone: the wanted end state
        oauth.checked(response)

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        path = f"2/tweets/{message.external_id}"
        params = {"tweet.fields": "public_metrics"}
        response = oauth.checked(self._call(session, "GET", path, idempotent=True, params=params))
        counts = (oauth.json_object(response).get("data") or {}).get("public_metrics") or {}
        return numeric_fields(counts) if isinstance(counts, dict) else {}

    def followers(self, session: Session) -> int | None:
        params = {"user.fields": "public_metrics"}
        response = oauth.checked(
            self._call(session, "GET", "2/users/me", idempotent=True, params=params)
        )
        user = oauth.json_object(response).get("data") or {}
        count = (user.get("public_metrics") or {}).get("followers_count")
        return count if isinstance(count, int) else None

    def check_connection(self, session: Session) -> str:
        user = self._me(session)
        return f"@{user.get('username', '')}"

    # --- helpers ---------------------------------------------------------------------

    def _media(self, session: Session, message: Outgoing) -> list[str] | Outcome:
        """The post's media ids, uploaded and processed; or why not (yet).

        An earlier attempt's ids (persisted as ``x-media:<id>,p<id>``, ``p`` marking the
        ones X processes) are polled again rather than uploaded a second time."""
        if not message.media:
            return []
        budget = processing.Budget()
        saved = processing.saved_ids(message.platform_key, KEY_PREFIX)
        if len(saved) == len(message.media):
            resumed = self._processed(session, saved, budget)
            if resumed is None:
                return [entry.removeprefix("p") for entry in saved]
            if not isinstance(resumed, _Expired):
                return resumed
        entries = []
        for item in message.media:
            uploaded = self._upload(session, item)
            if not isinstance(uploaded, str):
                return uploaded
            entries.append(uploaded)
        session.save_platform_key(processing.ids_key(KEY_PREFIX, entries))
        waited = self._processed(session, entries, budget)
        if isinstance(waited, _Expired):
            return Transient(f"X forgot media {waited.media_id} just after its upload.")
        if waited is not None:
            return waited
        return [entry.removeprefix("p") for entry in entries]

    def _processed(
        self, session: Session, entries: list[str], budget: processing.Budget
    ) -> Outcome | _Expired | None:
        """None once every media X processes has succeeded (STATUS polled)."""
        for entry in entries:
            if not entry.startswith("p"):
                continue
            media_id = entry[1:]
            while True:
                response = self._call(
                    session,
                    "GET",
                    "2/media/upload",
                    idempotent=True,
                    params={"command": "STATUS", "media_id": media_id},
                )
                if not isinstance(response, httpx.Response):
                    return response
                if response.status_code in (400, 404):  # expired or unknown: upload again
                    return _Expired(media_id)
                if failed := _failure(response, idempotent=True):
                    return failed
                data = oauth.json_object(response).get("data") or {}
                info = data.get("processing_info") or {}
                state = str(info.get("state") or "succeeded")
                if state == "succeeded":
                    break
                if state == "failed":
                    session.save_platform_key("")  # nothing worth resuming
                    error = info.get("error") or {}
                    detail = error.get("message") or error.get("name") or "no reason given"
                    return Permanent(f"X could not process media {media_id}: {detail}.")
                if not budget.pause(info.get("check_after_secs")):
                    return budget.exceeded(f"X media {media_id}")
        return None

    def _upload(self, session: Session, item: MediaFile) -> str | Outcome:
        """A media id ("p" + id when X processes it before use), or why not."""
        content = processing.read_bytes(item)
        if not isinstance(content, bytes):
            return content
        category = media_category(item.mime_type)
        if category == "tweet_image":
            media_id = self._upload_image(session, item, content)
            entry = media_id
        else:
            media_id, pending = self._upload_chunked(session, item, content, category)
            entry = ("p" + media_id) if pending and isinstance(media_id, str) else media_id
        if not isinstance(media_id, str):
            return media_id
        if item.alt_text and category != "tweet_video":
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}}
            response = self._call(
                session, "POST", "2/media/metadata", idempotent=True, json=metadata
            )
            if not isinstance(response, httpx.Response):
                return response
            if failed := _failure(response, idempotent=True):
                return failed
        return entry

    def _upload_image(self, session: Session, item: MediaFile, content: bytes) -> str | Outcome:
        # An upload publishes nothing (unused media expire), so failures are retryable.
        response = self._call(
            session,
            "POST",
            "2/media/upload",
            idempotent=True,
            data={"media_category": "tweet_image", "media_type": item.mime_type},
            files={"media": (Path(item.path).name, content, item.mime_type)},
        )
        return _media_id(response)

    def _upload_chunked(
        self, session: Session, item: MediaFile, content: bytes, category: str
    ) -> tuple[str | Outcome, bool]:
        """INITIALIZE, APPEND every segment, FINALIZE: the media id, and whether X
        processes it before it can be used (FINALIZE answered ``processing_info``)."""
        init = {
            "media_type": item.mime_type,
            "total_bytes": len(content),
            "media_category": category,
        }
        response = self._call(
            session, "POST", "2/media/upload/initialize", idempotent=True, json=init
        )
        media_id = _media_id(response)
        if not isinstance(media_id, str):
            return media_id, False
        for index, segment in enumerate(processing.chunks(content, self.chunk_size)):
            response = self._call(
                session,
                "POST",
                f"2/media/upload/{media_id}/append",
                idempotent=True,
                data={"segment_index": str(index)},
                files={"media": ("blob", segment, "application/octet-stream")},
            )
            if not isinstance(response, httpx.Response):
                return response, False
            if failed := _failure(response, idempotent=True):
                return failed, False
        response = self._call(
            session, "POST", f"2/media/upload/{media_id}/finalize", idempotent=True
        )
        if not isinstance(response, httpx.Response):
            return response, False
        if failed := _failure(response, idempotent=True):
            return failed, False
        info = (oauth.json_object(response).get("data") or {}).get("processing_info")
        return media_id, bool(info)

    def _user_id(self, session: Session) -> str:
        cached = session.credentials.get("user_id")
        user_id = str(cached or self._me(session).get("id") or "")
        if not user_id:
            raise AdapterError(Permanent("X did not say which account the token belongs to."))
        return user_id

    def _me(self, session: Session) -> dict[str, Any]:
        response = oauth.checked(self._call(session, "GET", "2/users/me", idempotent=True))
        user = oauth.json_object(response).get("data") or {}
        if user.get("id"):
            session.update_credentials({"user_id": str(user["id"])})
        return user

    def _call(
        self, session: Session, method: str, path: str, *, idempotent: bool, **kwargs: Any
    ) -> httpx.Response | Outcome:
        endpoint = oauth.TokenEndpoint(session.url("2/oauth2/token"), basic_auth=True)
        return oauth.call(
            session, endpoint, method, session.url(path), idempotent=idempotent, **kwargs
        )


@dataclass(frozen=True)
class _Expired:
    """X no longer knows a media id (expired, or never finished): upload again."""

    media_id: str


def media_category(mime_type: str) -> str:
    if mime_type == "image/gif":
        return "tweet_gif"
    if mime_type.startswith("video/"):
        return "tweet_video"
    return "tweet_image"


def _media_id(response: httpx.Response | Outcome) -> str | Outcome:
    if not isinstance(response, httpx.Response):
        return response
    if failed := _failure(response, idempotent=True):
        return failed
    media_id = str((oauth.json_object(response).get("data") or {}).get("id") or "")
    if not media_id:
        return Transient("X's media upload answered without a media id.")
    return media_id


def _failure(response: httpx.Response, *, idempotent: bool) -> Outcome | None:
    failed = classify_response(response, idempotent=idempotent)
    if isinstance(failed, Transient) and response.status_code == 429:
        return Transient(failed.reason, rate_limit_wait(response.headers))
    # X has answered 503 to posts it had created: without a key, that is unknown too.
    if isinstance(failed, Transient) and response.status_code >= 500 and not idempotent:
        return Unknown(failed.reason)
    return failed


def rate_limit_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until X lets us post again: an exhausted daily cap, else the 15-minute window."""
    now = time.time() if now is None else now
    for prefix in DAILY_LIMITS:
        reset = headers.get(f"{prefix}-reset")
        if headers.get(f"{prefix}-remaining") == "0" and reset and reset.isdigit():
            return max(0.0, float(reset) - now)
    return retry_after_seconds(headers, now)


def expanded_text(post: Mapping[str, Any]) -> str:
    """The post's text with t.co links expanded and the appended media links removed."""
    text = str(post.get("text") or "")
    for link in (post.get("entities") or {}).get("urls") or []:
        short = link.get("url")
        if short:
            text = text.replace(
                short, "" if link.get("media_key") else link.get("expanded_url", short)
            )
    return text


def comparable(text: str) -> str:
    text = html.unescape(unicodedata.normalize("NFC", text))
    return " ".join(_SCHEME_RE.sub("", text).split())
