"""Mastodon (and servers speaking its client API), over plain httpx.

Publishing is idempotent: every attempt sends the publication's own
``Idempotency-Key``, and the server answers a replay within an hour with the
status it created the first time. So a 5xx or a lost answer is worth sending
again (``Transient``), never a duplicate. The server keeps a key for one
hour: past that, the engine should reconcile rather than send again.

Reconciliation reads, it never posts: it lists the account's recent statuses
and looks for one with the same text and number of attachments. Re-posting
with the same key would also find the original, but only within the hour,
and when the first attempt did not land it would publish instead of answer;
after the hour it could publish a duplicate. The listing works at any age, at
the cost of matching text: Mastodon returns rendered HTML, so both sides are
reduced to their visible text, with whitespace collapsed and remote mentions
cut to ``@user`` as Mastodon displays them. It reads up to 120 statuses; an
account that posted more since cannot be answered for (None). An older post
with the very same text would be taken for this one: ``Outgoing`` carries no
time of the first attempt to stop the search at.
"""

from __future__ import annotations

import html
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

from planner.channels import authorization
from planner.channels.base import (
    Adapter,
    AdapterError,
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
    error_text,
    numeric_fields,
    send,
)
from planner.channels.counting import REMOTE_MENTION_RE, Count, mastodon_length

MAX_CHARACTERS = 500  # upstream default; instances may allow more
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime")
MAX_IMAGE_BYTES = 16 * 1024 * 1024  # upstream default; video has the larger limit below
# Media processed asynchronously (202) is polled this many times, this far apart.
POLL_ATTEMPTS = 30
POLL_INTERVAL = 2.0
# Reconciliation reads at most this many pages of the account's statuses.
RECONCILE_PAGE_SIZE = 40
RECONCILE_PAGES = 3


class MastodonAdapter(Adapter):
    kind = "mastodon"
    # 300 requests per 5 minutes per account (its headers say when media uploads,
    # 30 per 30 minutes, come first).
    post_budget = PostBudget(300, 5 * 60)
    # Upstream defaults: 4 attachments, images 16 MB, video 99 MB, and a video goes alone.
    limits = Limits(
        max_media=4,
        media_types=IMAGE_TYPES + VIDEO_TYPES,
        max_media_bytes=MAX_IMAGE_BYTES,
        max_alt_text=1500,
        max_videos=1,
        video_alone=True,
        max_video_bytes=99 * 1024 * 1024,
    )
    idempotent = True
    idempotency_window = 3600.0
    can_delete = True
    credential_fields = ("access_token",)
    oauth = authorization.MASTODON

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters", mastodon_length(text), MAX_CHARACTERS)]

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        headers = _auth(session)
        if headers is None:
            return _no_token()
        media_ids = []
        for item in message.media:
            uploaded = _upload(session, item)
            if not isinstance(uploaded, str):
                return uploaded
            media_ids.append(uploaded)
        # Without a key a replay could post twice, so the call is then not idempotent.
        idempotent = bool(message.idempotency_key)
        if idempotent:
            headers["Idempotency-Key"] = message.idempotency_key
        data: dict[str, Any] = {"status": message.text}
        if media_ids:
            data["media_ids[]"] = media_ids
        response = _call(
            session, "POST", "/api/v1/statuses", idempotent, headers=headers, data=data
        )
        if not isinstance(response, httpx.Response):
            return response
        if failed := _failure(response, "the post", idempotent):
            return failed
        body = _json(response)
        if not body.get("id"):
            reason = "Mastodon's answer could not be read."
            if idempotent:
                return Transient(reason + " Sending again with the same key cannot post twice.")
            return Unknown(reason + " The post may have been published.")
        if (
            idempotent
            and "content" in body
            and not _same_post(body, visible_text(message.text), len(message.media))
        ):
            # A replayed key answers with the status first posted under it: only the
            # text we sent counts as published.
            return Permanent(
                "Mastodon answered with an earlier post for this delivery, whose text "
                "differs from this version: the account shows the earlier one. Check it, "
                "then publish this version again."
            )
        return Published(str(body["id"]), body.get("url") or body.get("uri") or "")

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        account = _get(session, "/api/v1/accounts/verify_credentials")
        wanted = visible_text(message.text)
        path = f"/api/v1/accounts/{account['id']}/statuses"
        params: dict[str, Any] = {"limit": RECONCILE_PAGE_SIZE, "exclude_reblogs": "true"}
        for _ in range(RECONCILE_PAGES):
            page = _get(session, path, params=params)
            for status in page:
                if _same_post(status, wanted, len(message.media)):
                    return Published(str(status["id"]), status.get("url") or "")
            if len(page) < RECONCILE_PAGE_SIZE:
                return NotThere("No status on the account has this text.")
            params["max_id"] = page[-1]["id"]
        # The account posted more than we read: an older match cannot be ruled out.
        return None

    def delete(self, session: Session, message: Outgoing) -> None:
        response = _request(session, "DELETE", f"/api/v1/statuses/{message.external_id}")
        if response.status_code == 404:
            return  # already gone: the wanted end state
        if failed := _failure(response, "the deletion", idempotent=True):
            raise AdapterError(failed)

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        status = _get(session, f"/api/v1/statuses/{message.external_id}")
        return numeric_fields(status) if isinstance(status, dict) else {}

    def followers(self, session: Session) -> int | None:
        account = _get(session, "/api/v1/accounts/verify_credentials")
        count = account.get("followers_count") if isinstance(account, dict) else None
        return int(count) if isinstance(count, int) else None

    def check_connection(self, session: Session) -> str:
        account = _get(session, "/api/v1/accounts/verify_credentials")
        return f"@{account.get('username') or account.get('acct')}"


# --- matching for reconciliation ----------------------------------------------------


class _TextExtractor(HTMLParser):
    """The visible text of Mastodon's status HTML: <br> is a line, </p><p> a blank line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str) -> str:
    """Text as both sides are compared: whitespace collapsed, @user@domain cut to @user."""
    return " ".join(REMOTE_MENTION_RE.sub(r"\1", text).split())


def html_text(content: str) -> str:
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return html.unescape("".join(parser.parts))


def _same_post(status: dict[str, Any], wanted: str, media_count: int) -> bool:
    if status.get("reblog"):
        return False
    if len(status.get("media_attachments") or []) != media_count:
        return False
    return visible_text(html_text(status.get("content") or "")) == wanted


# --- HTTP ---------------------------------------------------------------------------


def _auth(session: Session) -> dict[str, str] | None:
    token = session.credentials.get("access_token")
    return {"Authorization": f"Bearer {token}"} if token else None


def _no_token() -> Permanent:
    return Permanent(
        "Maillon has no access token for this Mastodon account. Reconnect the channel.", reauth=True
    )


def _call(
    session: Session, method: str, path: str, idempotent: bool, **kwargs: Any
) -> httpx.Response | Outcome:
    """``send`` to the instance, with transport failures worded for the person reading them."""
    result = send(session, method, session.url(path), idempotent=idempotent, **kwargs)
    if isinstance(result, Transient):
        return Transient(f"No answer from Mastodon ({result.reason}). Maillon will try again.")
    if isinstance(result, Unknown):
        return Unknown(f"Mastodon did not answer after the post was sent ({result.reason}).")
    return result


def _failure(response: httpx.Response, what: str, idempotent: bool) -> Outcome | None:
    """``classify_response``, with its reason said in plain English."""
    status = response.status_code
    if 300 <= status < 400:  # redirects are not followed: the instance address has moved
        return Permanent(
            f"Mastodon sent {what} to another address (HTTP {status}). "
            "Check the instance address and reconnect the channel.",
            reauth=True,
        )
    outcome = classify_response(response, idempotent=idempotent)
    if outcome is None:
        return None
    detail = error_text(response)
    if isinstance(outcome, Permanent) and outcome.reauth:
        return Permanent(
            f"Mastodon no longer accepts Maillon's access ({detail}). Reconnect the channel.",
            reauth=True,
        )
    if isinstance(outcome, Permanent):
        return Permanent(f"Mastodon refused {what}: {detail} (HTTP {status}).")
    if isinstance(outcome, Transient) and status == 429:
        return Transient(
            "Mastodon's rate limit was reached. Maillon will try again later.", outcome.retry_after
        )
    if isinstance(outcome, Transient):
        return Transient(
            f"Mastodon is unavailable (HTTP {status}). Maillon will try again.", outcome.retry_after
        )
    return Unknown(f"Mastodon failed while handling {what} (HTTP {status}); it may have gone out.")


def _request(session: Session, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A call other than publish: failures raise ``AdapterError``."""
    headers = _auth(session)
    if headers is None:
        raise AdapterError(_no_token())
    result = _call(session, method, path, True, headers=headers, **kwargs)
    if not isinstance(result, httpx.Response):
        raise AdapterError(result)
    return result


def _get(session: Session, path: str, **kwargs: Any) -> Any:
    response = _request(session, "GET", path, **kwargs)
    if failed := _failure(response, "the request", idempotent=True):
        raise AdapterError(failed)
    try:
        return response.json()
    except ValueError:
        raise AdapterError(Transient("Mastodon's answer could not be read.")) from None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _upload(session: Session, item: MediaFile) -> str | Outcome:
    """Upload one file with its alt text; the media id once Mastodon has processed it.

    Uploading again after a failure leaves at most an unattached file, which
    Mastodon removes by itself, so uploads count as idempotent.
    """
    name = Path(item.path).name
    headers = _auth(session) or {}
    data = {"description": item.alt_text} if item.alt_text else {}
    try:
        with open(item.path, "rb") as handle:
            files = {"file": (name, handle, item.mime_type)}
            response = _call(
                session, "POST", "/api/v2/media", True, headers=headers, data=data, files=files
            )
    except OSError:
        return Permanent(f"The media file {name} could not be read.")
    if not isinstance(response, httpx.Response):
        return response
    media_id = ""
    for _ in range(POLL_ATTEMPTS):
        if failed := _failure(response, f"the file {name}", idempotent=True):
            return failed
        body = _json(response)
        media_id = str(body.get("id") or media_id)
        if response.status_code == 200 and body.get("url"):
            return media_id
        if not media_id:
            return Transient(f"Mastodon's answer to the upload of {name} could not be read.")
        # 202 from the upload, then 206 from each poll, while Mastodon processes the file.
        time.sleep(POLL_INTERVAL)
        response = _call(session, "GET", f"/api/v1/media/{media_id}", True, headers=headers)
        if not isinstance(response, httpx.Response):
            return response
    return Transient(f"Mastodon is still processing {name}. Maillon will try again.")
