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
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from planner.channels import oauth
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
_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)


class XAdapter(Adapter):
    kind = "x"
    default_base_url = "https://api.x.com"
    # Images through the one-shot upload only; GIFs and video need the chunked flow.
    limits = Limits(
        max_media=4,
        media_types=("image/jpeg", "image/png", "image/webp"),
        max_media_bytes=5 * 1024 * 1024,
        max_alt_text=1000,
    )
    can_delete = True
    # Also stored: "expires_at" (epoch seconds) and "user_id" (cached by reconcile).
    credential_fields = ("client_id", "client_secret", "access_token", "refresh_token")
    derived_credentials = ("expires_at", "user_id")

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters (X)", x_length(text), MAX_LENGTH)]

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        # A rotating refresh chain has no published end: renewed on use (two-hour
        # access tokens), it lasts until the account holder revokes the app.
        if credentials.get("refresh_token"):
            return Expiry(None, renews=True)
        return Expiry(epoch(credentials.get("expires_at")))

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        media_ids = []
        for item in message.media:
            uploaded = self._upload(session, item)
            if not isinstance(uploaded, str):
                return uploaded
            media_ids.append(uploaded)
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

    def _upload(self, session: Session, item: MediaFile) -> str | Outcome:
        try:
            content = Path(item.path).read_bytes()
        except OSError as exc:
            return Permanent(f"The media file {Path(item.path).name} cannot be read: {exc}.")
        # An upload publishes nothing (unused media expire), so failures are retryable.
        response = self._call(
            session,
            "POST",
            "2/media/upload",
            idempotent=True,
            data={"media_category": "tweet_image", "media_type": item.mime_type},
            files={"media": (Path(item.path).name, content, item.mime_type)},
        )
        if not isinstance(response, httpx.Response):
            return response
        if failed := _failure(response, idempotent=True):
            return failed
        media_id = str((oauth.json_object(response).get("data") or {}).get("id") or "")
        if not media_id:
            return Transient("X's media upload answered without a media id.")
        if item.alt_text:
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}}
            response = self._call(
                session, "POST", "2/media/metadata", idempotent=True, json=metadata
            )
            if not isinstance(response, httpx.Response):
                return response
            if failed := _failure(response, idempotent=True):
                return failed
        return media_id

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
