"""LinkedIn (versioned REST Posts API), over plain httpx.

LinkedIn has no idempotency key: a 5xx or a lost answer is ``Unknown``. Its
``commentary`` is written in the "little" text format, where reserved
characters must be backslash-escaped or the post is mangled or cut; ``#tag``
becomes LinkedIn's hashtag template so that it stays a hashtag.

Reading posts back (for reconciliation) is the documented "find posts by
author" finder; it needs ``r_organization_social`` (or the restricted
``r_member_social``). Without that permission LinkedIn answers 403 and
reconcile says it cannot tell (None).

Media go up before the post: an image through the Images API (``initializeUpload``,
then the bytes PUT to the ``uploadUrl`` it answers) and is attached as ``content.media``
(one) or ``content.multiImage`` (several); a video through the Videos API
(``initializeUpload`` with ``fileSizeBytes``, each part PUT as the upload instructions
say, ``finalizeUpload`` with the parts' ETags), then its status is read until
``AVAILABLE`` within the attempt's budget (planner/channels/processing.py); a document
(PDF, Word, PowerPoint) through the Documents API, as an image is, with the post's title
(or the file's name). A video URN is kept in the publication's platform key, so an
attempt that ran out of time resumes waiting for the same video instead of uploading it
again.

LinkedIn retires API versions a year or so after release: the version is a
constant here, overridable per channel with a ``linkedin_version`` credential.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from planner.channels import authorization, oauth, processing
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
    Published,
    Session,
    Transient,
    Unknown,
    classify_response,
    epoch,
    error_text,
    numeric_fields,
    send,
)
from planner.channels.counting import URL_RE, Count, graphemes

API_VERSION = "202605"
TOKEN_URL = authorization.LINKEDIN.token_url
POST_URL = "https://www.linkedin.com/feed/update/{}/"
MAX_LENGTH = 3000
RECONCILE_COUNT = 20
ORGANIZATION = "urn:li:organization:"
# Documents (Documents API): shown as a swipeable document in the feed.
DOCUMENT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
VIDEO_KEY = "li-video"  # a video URN kept for the next attempt (Outgoing.platform_key)

_RESERVED_RE = re.compile(r"[|{}@\[\]()<>#\\*_~]")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
# The sign may be "#" or its full-width form U+FF03.
_HASHTAG_TEMPLATE_RE = re.compile(r"\{hashtag\|\\?[#\uFF03]\|([^}]*)\}")
_ESCAPED_RE = re.compile(r"\\([|{}@\[\]()<>#\\*_~])")


class LinkedInAdapter(Adapter):
    kind = "linkedin"
    default_base_url = "https://api.linkedin.com"
    # Up to 20 images (a multi-image post) or 1 video (3 s to 30 min, 500 MB)
    # [secondary: LinkedIn's Images and Videos API pages].
    limits = Limits(
        max_media=20,
        media_types=("image/jpeg", "image/png", "image/gif", "video/mp4"),
        max_media_bytes=10 * 1024 * 1024,
        max_videos=1,
        video_alone=True,
        max_video_bytes=500 * 1024 * 1024,
        min_video_seconds=3,
        max_video_seconds=30 * 60,
    )
    can_delete = True
    oauth = authorization.LINKEDIN
    # The refresh token and client pair are optional: LinkedIn gives refresh
    # tokens to approved partners only; without one a 401 means reconnect.
    credential_fields = (
        "author_urn",
        "access_token",
        "refresh_token",
        "client_id",
        "client_secret",
    )
    derived_credentials = ("expires_at", "refresh_expires_at")

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters (LinkedIn)", graphemes(text), MAX_LENGTH)]

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        # With a refresh token (approved partners), access tokens (60 days) are renewed
        # until the refresh token's own end (a year), which needs a person: reconnect.
        if credentials.get("refresh_token"):
            return Expiry(epoch(credentials.get("refresh_expires_at")), renews=True)
        return Expiry(epoch(credentials.get("expires_at")))

    def needs_renewal(self, credentials: Mapping[str, Any], now: float) -> bool:
        expires_at = epoch(credentials.get("expires_at"))
        return bool(credentials.get("refresh_token")) and (
            expires_at is not None and expires_at - now < RENEW_AHEAD
        )

    def renew(self, session: Session) -> Transient | Permanent | None:
        return oauth.refresh(session, self._token_endpoint(session))

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        body = {
            "author": session.credentials.get("author_urn", ""),
            "commentary": little_text(message.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = self._content(session, message)
        if isinstance(content, Transient | Permanent | Unknown):
            return content
        if content:
            body["content"] = content
        response = self._call(session, "POST", "rest/posts", idempotent=False, json=body)
        if not isinstance(response, httpx.Response):
            return response
        # LinkedIn refuses a repeated text with 422 "Content is a duplicate of urn:…".
        if response.status_code == 422 and "duplicate" in response.text.lower():
            return Unknown(
                "LinkedIn refused the text as a duplicate: probably published by an earlier "
                f"attempt: verify. ({error_text(response)})"
            )
        if failed := _failure(response, idempotent=False):
            return failed
        urn = response.headers.get("x-restli-id", "")
        if not urn:
            return Unknown("LinkedIn accepted the post but did not say its id.")
        return Published(urn, POST_URL.format(urn))

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        author = quote(str(session.credentials.get("author_urn", "")), safe="")
        path = f"rest/posts?q=author&author={author}&count={RECONCILE_COUNT}&sortBy=LAST_MODIFIED"
        response = self._call(
            session, "GET", path, idempotent=True, headers={"X-RestLi-Method": "FINDER"}
        )
        if isinstance(response, httpx.Response) and response.status_code == 403:
            return None  # no permission to read posts back: LinkedIn cannot tell us
        posts = oauth.json_object(oauth.checked(response)).get("elements") or []
        wanted = visible_text(little_text(message.text))
        for post in posts:
            if visible_text(str(post.get("commentary") or "")) == wanted and post.get("id"):
                return Published(str(post["id"]), POST_URL.format(post["id"]))
        return NotThere(f"None of the author's last {RECONCILE_COUNT} posts has this text.")

    def delete(self, session: Session, message: Outgoing) -> None:
        path = "rest/posts/" + quote(message.external_id, safe="")
        response = self._call(
            session, "DELETE", path, idempotent=True, headers={"X-RestLi-Method": "DELETE"}
        )
        if isinstance(response, httpx.Response) and response.status_code == 404:
            return  # already gone: the wanted end state
        oauth.checked(response)

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        """An organization's post: its share statistics (with impressions, needs
        r_organization_social); a member's post: its social actions (likes, comments)."""
        author = str(session.credentials.get("author_urn") or "")
        urn = message.external_id
        if author.startswith(ORGANIZATION):
            key = "ugcPosts" if urn.startswith("urn:li:ugcPost:") else "shares"
            path = (
                "rest/organizationalEntityShareStatistics?q=organizationalEntity"
                f"&organizationalEntity={quote(author, safe='')}&{key}=List({quote(urn, safe='')})"
            )
            elements = self._read(session, path).get("elements") or [{}]
            stats = elements[0].get("totalShareStatistics") if isinstance(elements[0], dict) else {}
            return numeric_fields(stats if isinstance(stats, dict) else {})
        body = self._read(session, "rest/socialActions/" + quote(urn, safe=""))
        counts: dict[str, int] = {}
        for summary in ("likesSummary", "commentsSummary"):
            part = body.get(summary)
            counts.update(numeric_fields(part if isinstance(part, dict) else {}))
        return counts

    def followers(self, session: Session) -> int | None:
        """An organization's followers; LinkedIn tells a member's to approved partners only."""
        author = str(session.credentials.get("author_urn") or "")
        if not author.startswith(ORGANIZATION):
            return None
        path = f"rest/networkSizes/{quote(author, safe='')}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        size = self._read(session, path).get("firstDegreeSize")
        return size if isinstance(size, int) and not isinstance(size, bool) else None

    # --- media ---------------------------------------------------------------------

    def _content(self, session: Session, message: Outgoing) -> dict[str, Any] | Outcome | None:
        """The post's ``content`` for its media, uploaded and processed; None without media."""
        if not message.media:
            return None
        videos = [item for item in message.media if processing.is_video(item)]
        if videos:
            if len(message.media) > 1:
                return Permanent("LinkedIn takes one video per post, with nothing else.")
            urn = self._video(session, message, videos[0])
            if not isinstance(urn, str):
                return urn
            return {"media": {"id": urn, **({"title": message.title} if message.title else {})}}
        budget = processing.Budget()
        documents = [item for item in message.media if item.mime_type in DOCUMENT_TYPES]
        if documents:
            if len(message.media) > 1:
                return Permanent("LinkedIn takes one document per post, with nothing else.")
            urn = self._image(session, documents[0], budget, kind="documents")
            if not isinstance(urn, str):
                return urn
            # A document post needs a title: the post's, else the file's name.
            return {"media": {"id": urn, "title": message.title or Path(documents[0].path).name}}
        images = []
        for item in message.media:
            urn = self._image(session, item, budget)
            if not isinstance(urn, str):
                return urn
            images.append({"id": urn, "altText": item.alt_text} if item.alt_text else {"id": urn})
        if len(images) == 1:
            return {"media": images[0]}
        return {"multiImage": {"images": images}}

    def _image(
        self, session: Session, item: MediaFile, budget: processing.Budget, kind: str = "images"
    ) -> str | Outcome:
        """An image (Images API) or a document (Documents API, the same protocol): its URN."""
        content = processing.read_bytes(item)
        if not isinstance(content, bytes):
            return content
        request = {"initializeUploadRequest": {"owner": session.credentials.get("author_urn", "")}}
        value = self._action(session, f"rest/{kind}?action=initializeUpload", request)
        if not isinstance(value, dict):
            return value
        field = kind[:-1]  # "image" / "document"
        urn, upload_url = str(value.get(field) or ""), str(value.get("uploadUrl") or "")
        if not urn or not upload_url:
            return Transient(f"LinkedIn's {field} upload answered without a URN or an address.")
        token = session.credentials.get("access_token") or ""
        headers = {"Authorization": f"Bearer {token}", "Content-Type": item.mime_type}
        uploaded = self._put(session, upload_url, content, headers)
        if not isinstance(uploaded, httpx.Response):
            return uploaded
        waited = self._available(session, kind, urn, budget)
        if isinstance(waited, _Gone):
            return Transient(f"LinkedIn lost {field} {urn} just after its upload.")
        return waited or urn

    def _video(self, session: Session, message: Outgoing, item: MediaFile) -> str | Outcome:
        budget = processing.Budget()
        saved = processing.saved_ids(message.platform_key, VIDEO_KEY)
        if saved:
            waited = self._available(session, "videos", saved[0], budget)
            if waited is None:
                return saved[0]
            if not isinstance(waited, _Gone):
                return waited
        content = processing.read_bytes(item)
        if not isinstance(content, bytes):
            return content
        request = {
            "initializeUploadRequest": {
                "owner": session.credentials.get("author_urn", ""),
                "fileSizeBytes": len(content),
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
        }
        value = self._action(session, "rest/videos?action=initializeUpload", request)
        if not isinstance(value, dict):
            return value
        urn = str(value.get("video") or "")
        instructions = value.get("uploadInstructions") or []
        if not urn or not instructions:
            return Transient("LinkedIn's video upload answered without a video or instructions.")
        etags = []
        for part in instructions:
            first, last = int(part.get("firstByte", 0)), int(part.get("lastByte", -1))
            headers = {"Content-Type": "application/octet-stream"}
            uploaded = self._put(
                session, str(part["uploadUrl"]), content[first : last + 1], headers
            )
            if not isinstance(uploaded, httpx.Response):
                return uploaded
            etag = uploaded.headers.get("etag", "")
            if not etag:
                return Transient("LinkedIn did not acknowledge a part of the video (no ETag).")
            etags.append(etag)
        request = {
            "finalizeUploadRequest": {
                "video": urn,
                "uploadToken": str(value.get("uploadToken") or ""),
                "uploadedPartIds": etags,
            }
        }
        finalized = self._action(session, "rest/videos?action=finalizeUpload", request)
        if not isinstance(finalized, dict):
            return finalized
        session.save_platform_key(processing.ids_key(VIDEO_KEY, [urn]))
        waited = self._available(session, "videos", urn, budget)
        if isinstance(waited, _Gone):
            return Transient(f"LinkedIn lost video {urn} just after its upload.")
        return waited or urn

    def _available(
        self, session: Session, kind: str, urn: str, budget: processing.Budget
    ) -> Outcome | _Gone | None:
        """None once LinkedIn says the image or video is AVAILABLE; else why not."""
        while True:
            response = self._call(
                session, "GET", f"rest/{kind}/{quote(urn, safe='')}", idempotent=True
            )
            if not isinstance(response, httpx.Response):
                return response
            if response.status_code == 404:
                return _Gone()
            if failed := _failure(response, idempotent=True):
                return failed
            body = oauth.json_object(response)
            status = str(body.get("status") or "")
            if status == "AVAILABLE":
                return None
            if status == "PROCESSING_FAILED":
                session.save_platform_key("")
                reason = body.get("processingFailureReason") or "no reason given"
                return Permanent(f"LinkedIn could not process {urn}: {reason}.")
            if not budget.pause():
                return budget.exceeded(f"LinkedIn {kind[:-1]} {urn}")

    def _action(self, session: Session, path: str, request: dict) -> dict[str, Any] | Outcome:
        """An upload action's ``value``; it publishes nothing, so failures are retryable."""
        response = self._call(session, "POST", path, idempotent=True, json=request)
        if not isinstance(response, httpx.Response):
            return response
        if failed := _failure(response, idempotent=True):
            return failed
        value = oauth.json_object(response).get("value")
        return value if isinstance(value, dict) else {}

    def _put(
        self, session: Session, url: str, content: bytes, headers: dict[str, str]
    ) -> httpx.Response | Outcome:
        response = send(session, "PUT", url, idempotent=True, content=content, headers=headers)
        if not isinstance(response, httpx.Response):
            return response
        if failed := _failure(response, idempotent=True):
            return failed
        return response

    def _read(self, session: Session, path: str) -> dict[str, Any]:
        """A GET's JSON object; a failure (a 429 waits until midnight UTC) raises."""
        response = self._call(session, "GET", path, idempotent=True)
        if not isinstance(response, httpx.Response):
            if isinstance(response, Published):
                return {}
            raise AdapterError(response)
        failed = _failure(response, idempotent=True)
        if isinstance(failed, Transient | Permanent | Unknown):
            raise AdapterError(failed)
        return oauth.json_object(response)

    def _call(
        self,
        session: Session,
        method: str,
        path: str,
        *,
        idempotent: bool,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response | Outcome:
        version = str(session.credentials.get("linkedin_version") or API_VERSION)
        all_headers = {
            "LinkedIn-Version": version,
            "X-Restli-Protocol-Version": "2.0.0",
            **(headers or {}),
        }
        return oauth.call(
            session,
            self._token_endpoint(session),
            method,
            session.url(path),
            idempotent=idempotent,
            headers=all_headers,
            **kwargs,
        )

    def _token_endpoint(self, session: Session) -> oauth.TokenEndpoint:
        # Tokens come from www.linkedin.com, not the API host; a test or demo
        # server at another base URL serves both.
        default = session.base_url.rstrip("/") == self.default_base_url
        token_url = TOKEN_URL if default else session.url("oauth/v2/accessToken")
        return oauth.TokenEndpoint(token_url, basic_auth=False)


class _Gone:
    """LinkedIn no longer knows a kept video: upload it again."""


def _failure(response: httpx.Response, *, idempotent: bool) -> Outcome | None:
    failed = classify_response(response, idempotent=idempotent)
    if isinstance(failed, Transient) and failed.retry_after is None and response.status_code == 429:
        # LinkedIn's daily limits reset at midnight UTC and it sends no Retry-After.
        return Transient(failed.reason, until_midnight_utc())
    # Without an idempotency key, even a 503 may follow a post that went out.
    if isinstance(failed, Transient) and response.status_code >= 500 and not idempotent:
        return Unknown(failed.reason)
    return failed


def until_midnight_utc(now: float | None = None) -> float:
    now = time.time() if now is None else now
    return 86400 - now % 86400


def little_text(text: str) -> str:
    """``text`` in LinkedIn's "little" format: reserved characters escaped, #tags as hashtags.

    Links are only escaped: a ``#fragment`` in a URL is not a hashtag.
    """
    parts = []
    position = 0
    for link in URL_RE.finditer(text):
        parts.append(_hashtags(text[position : link.start()]))
        parts.append(_escape(link.group(0)))
        position = link.end()
    parts.append(_hashtags(text[position:]))
    return "".join(parts)


def visible_text(little: str) -> str:
    """What a little-format text shows, whitespace collapsed: for comparing posts."""
    text = _HASHTAG_TEMPLATE_RE.sub(r"#\1", little)
    text = _ESCAPED_RE.sub(r"\1", text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _hashtags(text: str) -> str:
    parts = []
    position = 0
    for tag in _HASHTAG_RE.finditer(text):
        parts.append(_escape(text[position : tag.start()]))
        parts.append("{hashtag|\\#|" + _escape(tag.group(1)) + "}")
        position = tag.end()
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _escape(text: str) -> str:
    return _RESERVED_RE.sub(lambda match: "\\" + match.group(0), text)
