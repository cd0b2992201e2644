"""Bluesky (AT Protocol), over plain httpx, against the account's PDS.

Publishing cannot post twice. The engine asks ``platform_key()`` for a TID
just before the first attempt and persists it; every attempt writes the post
with ``com.atproto.repo.putRecord`` at that record key, so a retry after a
5xx, a timeout or a lost answer rewrites the same record instead of creating
a second post: those failures are ``Transient``, never ``Unknown``. The
record's ``createdAt`` is the TID's own time, so a retry writes the very same
record (same CID), not an edit.

``Published.external_id`` is the post's at:// URI
(``at://<did>/app.bsky.feed.post/<rkey>``): it names the repository as well
as the key, and it is what ``app.bsky.feed.getPosts`` takes. The record key
alone stays in ``Outgoing.platform_key``, which is all reconcile needs.

Sessions use an app password. ``createSession`` runs only when no access
token is stored; its tokens, DID and handle are saved with
``Session.update_credentials`` and reused by every later call. A token the
PDS rejects (400 ExpiredToken or InvalidToken, 401) is renewed once with
``refreshSession``; only when that fails does the adapter log in again, and
when that fails too the channel must be reconnected (``Permanent``, reauth).

The base URL is the account's PDS (``https://bsky.social`` forwards to the
PDS of accounts it hosts; a self-hosted account gives its own address).

A video goes through Bluesky's video service (``upload_video``), as the
Bluesky app sends it: the service checks and transcodes it, then stores the
blob in the account's PDS itself, with a service-auth token the PDS issued.

Not covered yet: mentions (each @handle needs a resolveHandle call), image
aspect ratios, and ``langs`` (``Outgoing`` carries no language).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import regex

from planner.channels import processing
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
from planner.channels.counting import Count, graphemes, urls, utf8_bytes

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300  # lexicon app.bsky.feed.post: text maxGraphemes
MAX_BYTES = 3000  # ... and maxLength, in UTF-8 bytes
MAX_IMAGE_BYTES = 1_000_000  # lexicon app.bsky.embed.images: image maxSize
MAX_ALT_TEXT = 2000  # the Bluesky app's limit; the lexicon sets none
MAX_TAG_GRAPHEMES = 64  # lexicon app.bsky.richtext.facet#tag
MAX_VIDEO_BYTES = 100_000_000  # app.bsky.video's limit
MAX_VIDEO_SECONDS = 180.0
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
# What the PDS answers when the access (or refresh) token is expired or bad;
# a missing token is a 401.
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
NOT_FOUND = "RecordNotFound"
# What Bluesky shows instead of a handle that no longer resolves to its account.
INVALID_HANDLE = "handle.invalid"
_FACET = "app.bsky.richtext.facet"

# A simple hashtag: after a space or at the start, letters/digits/underscores,
# not only digits. The official clients also accept emoji and some punctuation.
HASHTAG_RE = regex.compile(r"(?<!\S)#(\w*[^\W\d]\w*)")


class BlueskyAdapter(Adapter):
    kind = "bluesky"
    # 5,000 write points an hour per account, 3 a post: about 1,666 posts an hour.
    post_budget = PostBudget(1666, 3600)
    default_base_url = "https://bsky.social"
    # 4 images (1,000,000 bytes each, described) or 1 video (the video service's
    # 100 MB / 3 minutes).
    limits = Limits(
        max_media=4,
        media_types=(*IMAGE_TYPES, "video/mp4"),
        max_media_bytes=MAX_IMAGE_BYTES,
        max_alt_text=MAX_ALT_TEXT,
        requires_alt_text=True,
        max_videos=1,
        video_alone=True,
        max_video_bytes=MAX_VIDEO_BYTES,
        max_video_seconds=MAX_VIDEO_SECONDS,
    )
    idempotent = True
    can_delete = True
    credential_fields = ("identifier", "app_password")
    derived_credentials = ("accessJwt", "refreshJwt", "did", "handle")
    checked_on_connect = True

    def counts(self, text: str) -> list[Count]:
        return [
            Count("Characters", graphemes(text), MAX_GRAPHEMES),
            Count("Bytes (UTF-8)", utf8_bytes(text), MAX_BYTES),
        ]

    def platform_key(self) -> str:
        return new_tid()

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        rkey = message.platform_key
        if not is_tid(rkey):
            return Permanent(
                "This publication has no Bluesky record key, so it cannot be sent without "
                "risking a duplicate post."
            )
        if failed := _ensure_session(session):
            return failed
        embed = self._embed(session, message)
        if embed is not None and not isinstance(embed, dict):
            return embed
        record = post_record(message.text, created_at=tid_time(rkey), embed=embed)
        body = {"repo": _did(session), "collection": POST, "rkey": rkey, "record": record}
        response = _authed(session, "POST", "com.atproto.repo.putRecord", json=body)
        if not isinstance(response, httpx.Response):
            return response
        if failed := _failure(response, "the post"):
            return failed
        uri = _json(response).get("uri")
        if not uri:
            return Transient(
                "Bluesky's answer could not be read. Sending again with the same record key "
                "cannot post twice."
            )
        return Published(str(uri), _post_url(session, rkey))

    def _embed(self, session: Session, message: Outgoing) -> dict[str, Any] | Outcome | None:
        """Images, a video (app.bsky.embed.video, its blob from the video service),
        or, with no media, a card for the text's first link (app.bsky.embed.external)."""
        videos = [item for item in message.media if item.mime_type.startswith("video/")]
        if videos:
            video = videos[0]
            blob = upload_video(session, video)
            if not isinstance(blob, dict):
                return blob
            embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blob}
            if video.alt_text:
                embed["alt"] = video.alt_text[:MAX_ALT_TEXT]
            if video.width and video.height:
                embed["aspectRatio"] = {"width": video.width, "height": video.height}
            return embed
        images = []
        for item in message.media:
            blob = _upload(session, item)
            if not isinstance(blob, dict):
                return blob
            images.append({"alt": item.alt_text, "image": blob})
        if images:
            return {"$type": "app.bsky.embed.images", "images": images}
        found = urls(message.text)
        if not found:
            return None
        return link_card(session, found[0])

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        if not (message.platform_key or message.external_id):
            return NotThere("No Bluesky record key was ever chosen, so nothing was sent.")
        repo, rkey = _where(session, message)
        params = {"repo": repo, "collection": POST, "rkey": rkey}
        response = _request(session, "GET", "com.atproto.repo.getRecord", params=params)
        if _xrpc_error(response) == NOT_FOUND:
            return NotThere(f"Bluesky has no post at record key {rkey}.")
        if failed := _failure(response, "the check"):
            raise AdapterError(failed)
        uri = _json(response).get("uri") or f"at://{repo}/{POST}/{rkey}"
        return Published(str(uri), _post_url(session, rkey))

    def delete(self, session: Session, message: Outgoing) -> None:
        repo, rkey = _where(session, message)
        body = {"repo": repo, "collection": POST, "rkey": rkey}
        response = _request(session, "POST", "com.atproto.repo.deleteRecord", json=body)
        if _xrpc_error(response) == NOT_FOUND:
            return  # already gone: the wanted end state
        if failed := _failure(response, "the deletion"):
            raise AdapterError(failed)

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        repo, rkey = _where(session, message)
        uri = f"at://{repo}/{POST}/{rkey}"
        # An AppView call: the PDS forwards it (a PDS without one answers 502).
        response = _request(session, "GET", "app.bsky.feed.getPosts", params={"uris": uri})
        if failed := _failure(response, "the request for counts"):
            raise AdapterError(failed)
        posts = _json(response).get("posts") or []
        if not posts or not isinstance(posts[0], dict):
            raise AdapterError(Permanent("Bluesky has no such post any more; it may be deleted."))
        return numeric_fields(posts[0])

    def followers(self, session: Session) -> int | None:
        if failed := _ensure_session(session):
            raise AdapterError(failed)
        params = {"actor": _did(session)}
        response = _request(session, "GET", "app.bsky.actor.getProfile", params=params)
        if failed := _failure(response, "the request for the profile"):
            raise AdapterError(failed)
        count = _json(response).get("followersCount")
        return count if isinstance(count, int) else None

    def check_connection(self, session: Session) -> str:
        """The app password works *and* the account's handle resolves to it.

        A typed handle is resolved first, so that a misspelt one is named as such rather
        than as a refused password; then the handle the server reports for the account
        must lead back to the account's DID (a handle whose DNS record or well-known file
        is gone shows as ``handle.invalid`` everywhere on Bluesky)."""
        identifier = str(session.credentials.get("identifier") or "").strip().lstrip("@")
        if identifier and "@" not in identifier:  # a handle, not an email address
            resolve_handle(session, identifier)
        response = _request(session, "GET", "com.atproto.server.getSession")
        if failed := _failure(response, "the connection test"):
            raise AdapterError(failed)
        body = _json(response)
        did, handle = str(body.get("did") or ""), str(body.get("handle") or "")
        session.update_credentials({"did": did, "handle": handle})
        if not handle or handle == INVALID_HANDLE or resolve_handle(session, handle) != did:
            raise AdapterError(
                Permanent(
                    f"Bluesky's handle for this account (@{handle or '?'}) does not lead back "
                    "to it, so people cannot find it by name: fix the handle in Bluesky "
                    "(Settings → Account → Handle), then test again."
                )
            )
        return f"@{handle}"


# --- the post record ------------------------------------------------------------------


def post_record(
    text: str, *, created_at: datetime, embed: dict[str, Any] | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": POST,
        "text": text,
        "createdAt": created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if found := facets(text):
        record["facets"] = found
    if embed:
        record["embed"] = embed
    return record


def facets(text: str) -> list[dict[str, Any]]:
    """Links and hashtags, located by UTF-8 byte offsets as the lexicon wants them."""
    found = []
    links = []
    position = 0
    for url in urls(text):
        start = text.find(url, position)
        position = start + len(url)
        links.append((start, position))
        found.append(_facet(text, start, position, {"$type": _FACET + "#link", "uri": url}))
    for match in HASHTAG_RE.finditer(text):
        tag = match.group(1)
        overlaps = any(start < match.end() and match.start() < end for start, end in links)
        if graphemes(tag) <= MAX_TAG_GRAPHEMES and not overlaps:
            feature = {"$type": _FACET + "#tag", "tag": tag}
            found.append(_facet(text, match.start(), match.end(), feature))
    return sorted(found, key=lambda facet: facet["index"]["byteStart"])


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    byte_start = utf8_bytes(text[:start])
    return {
        "index": {"byteStart": byte_start, "byteEnd": byte_start + utf8_bytes(text[start:end])},
        "features": [feature],
    }


# --- record keys (TIDs) ---------------------------------------------------------------

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32, in sorting order
TID_RE = regex.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


class _TidClock:
    """Microseconds since the epoch, never repeated or going back within this process.

    The clock id (10 random bits, as the reference implementation picks) keeps
    two workers that read the same microsecond apart.
    """

    def __init__(self) -> None:
        self.clock_id = secrets.randbelow(1024)
        self.last = 0
        self.lock = threading.Lock()

    def next(self) -> int:
        with self.lock:
            self.last = max(time.time_ns() // 1000, self.last + 1)
            return self.last


_clock = _TidClock()


def new_tid() -> str:
    """A record key: 53 bits of microseconds then 10 bits of clock id, 13 base32 characters."""
    value = _clock.next() << 10 | _clock.clock_id
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_tid(value: str) -> bool:
    return bool(TID_RE.fullmatch(value or ""))


def tid_time(tid: str) -> datetime:
    value = 0
    for char in tid:
        value = value * 32 + TID_ALPHABET.index(char)
    return datetime.fromtimestamp((value >> 10) / 1_000_000, tz=UTC)


# --- sessions -------------------------------------------------------------------------


def _ensure_session(session: Session) -> Outcome | None:
    if session.credentials.get("accessJwt") and session.credentials.get("did"):
        return None
    return _log_in(session)


def _log_in(session: Session) -> Outcome | None:
    identifier = session.credentials.get("identifier")
    password = session.credentials.get("app_password")
    if not identifier or not password:
        return Permanent(
            "Maillon has no Bluesky identifier and app password for this channel. "
            "Reconnect the channel.",
            reauth=True,
        )
    body = {"identifier": identifier, "password": password}
    response = _call(session, "POST", "com.atproto.server.createSession", json=body)
    if not isinstance(response, httpx.Response):
        return response
    if 400 <= response.status_code < 500 and response.status_code != 429:
        return Permanent(
            f"Bluesky refused the identifier or app password ({_detail(response)}). "
            "Reconnect the channel with a new app password.",
            reauth=True,
        )
    if failed := _failure(response, "the login"):
        return failed
    return _store_tokens(session, response)


def _renew(session: Session) -> Outcome | None:
    """Refresh the session once; log in again only when the refresh token is refused."""
    refresh = session.credentials.get("refreshJwt")
    if refresh:
        response = _call(session, "POST", "com.atproto.server.refreshSession", token=refresh)
        if not isinstance(response, httpx.Response):
            return response
        if not _token_refused(response):
            if failed := _failure(response, "the session renewal"):
                return failed
            return _store_tokens(session, response)
    return _log_in(session)


def _store_tokens(session: Session, response: httpx.Response) -> Outcome | None:
    body = _json(response)
    if not body.get("accessJwt") or not body.get("did"):
        return Transient("Bluesky's answer to the login could not be read.")
    # update_credentials ignores empty values: a stored refresh token survives
    # an answer that lacks one.
    session.update_credentials(
        {key: body.get(key) for key in ("accessJwt", "refreshJwt", "did", "handle")}
    )
    return None


def resolve_handle(session: Session, handle: str) -> str:
    """The DID a handle leads to, asked of the channel's server (which resolves any
    handle, not only its own accounts'); AdapterError when it leads nowhere."""
    response = _call(
        session, "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}
    )
    if not isinstance(response, httpx.Response):
        raise AdapterError(response)
    did = _json(response).get("did")
    if response.status_code == 400 or (response.status_code < 300 and not did):
        raise AdapterError(
            Permanent(
                f"No Bluesky account has the handle @{handle}: check its spelling "
                "(for example acme.bsky.social, or the account's own domain)."
            )
        )
    if failed := _failure(response, "the handle check"):
        raise AdapterError(failed)
    return str(did)


def _did(session: Session) -> str:
    return str(session.credentials.get("did") or "")


def _where(session: Session, message: Outgoing) -> tuple[str, str]:
    """The repository (DID) and record key of the message's post."""
    if message.external_id.startswith("at://"):
        repo, _, rkey = message.external_id.removeprefix("at://").partition(f"/{POST}/")
        if repo and rkey:
            return repo, rkey
    if not message.platform_key:
        raise AdapterError(Permanent("Maillon does not know which Bluesky post this is."))
    if failed := _ensure_session(session):
        raise AdapterError(failed)
    return _did(session), message.platform_key


def _post_url(session: Session, rkey: str) -> str:
    who = session.credentials.get("handle") or session.handle.lstrip("@") or _did(session)
    return f"https://bsky.app/profile/{who}/post/{rkey}"


# --- HTTP -----------------------------------------------------------------------------


def _call(
    session: Session, method: str, nsid: str, *, token: str = "", **kwargs: Any
) -> httpx.Response | Outcome:
    """One XRPC request. Every call here is idempotent: a post is written at a fixed key."""
    if token:
        kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
    url = session.url(f"/xrpc/{nsid}")
    result = send(session, method, url, idempotent=True, **kwargs)
    if isinstance(result, Transient | Unknown):
        return Transient(
            f"No answer from Bluesky at {session.base_url} ({result.reason}). "
            "Maillon will try again."
        )
    return result


def _authed(session: Session, method: str, nsid: str, **kwargs: Any) -> httpx.Response | Outcome:
    """A call with the stored access token, renewed once if the PDS refuses it."""
    if failed := _ensure_session(session):
        return failed
    response = _call(session, method, nsid, token=session.credentials["accessJwt"], **kwargs)
    if not isinstance(response, httpx.Response) or not _token_refused(response):
        return response
    if failed := _renew(session):
        return failed
    response = _call(session, method, nsid, token=session.credentials["accessJwt"], **kwargs)
    if isinstance(response, httpx.Response) and _token_refused(response):
        return _reconnect(response)
    return response


def _request(session: Session, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
    """A call other than publish: any failure to get an answer raises ``AdapterError``."""
    result = _authed(session, method, nsid, **kwargs)
    if not isinstance(result, httpx.Response):
        raise AdapterError(result)
    return result


def _token_refused(response: httpx.Response) -> bool:
    status = response.status_code
    return status == 401 or (status == 400 and _xrpc_error(response) in TOKEN_ERRORS)


def _reconnect(response: httpx.Response) -> Permanent:
    return Permanent(
        f"Bluesky no longer accepts Maillon's session ({_detail(response)}). "
        "Reconnect the channel.",
        reauth=True,
    )


def _failure(response: httpx.Response, what: str) -> Outcome | None:
    """``classify_response`` for an idempotent call, said in plain English."""
    status = response.status_code
    if 300 <= status < 400:  # redirects are not followed: the address is not the PDS
        return Permanent(
            f"Bluesky sent {what} to another address (HTTP {status}). "
            "Check the channel's server address.",
            reauth=True,
        )
    outcome = classify_response(response, idempotent=True)
    if outcome is None:
        return None
    detail = _detail(response)
    if _token_refused(response):
        return _reconnect(response)
    if isinstance(outcome, Transient) and status == 429:
        return replace(outcome, reason="Bluesky's rate limit was reached. Maillon will wait.")
    if isinstance(outcome, Transient):
        return replace(
            outcome, reason=f"Bluesky is unavailable ({detail}). Maillon will try again."
        )
    if isinstance(outcome, Permanent):
        return replace(outcome, reason=f"Bluesky refused {what}: {detail}.")
    return Transient(f"Bluesky failed while handling {what} ({detail}). Maillon will try again.")


def _xrpc_error(response: httpx.Response) -> str:
    error = _json(response).get("error")
    return error if isinstance(error, str) else ""


def _detail(response: httpx.Response) -> str:
    """The PDS's own message (XRPC errors carry a code and a sentence) and the status."""
    body = _json(response)
    message, code = body.get("message"), body.get("error")
    if isinstance(message, str) and message:
        text = f"{message} ({code})" if isinstance(code, str) and code else message
    else:
        text = error_text(response)
    return f"HTTP {response.status_code}: {text}"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _upload(
    session: Session, item: MediaFile, *, limit: int = MAX_IMAGE_BYTES, what: str = "image"
) -> dict[str, Any] | Outcome:
    """Upload one image (or video); its blob reference. Blobs are addressed by content,
    so a repeated upload stores nothing new."""
    name = Path(item.path).name
    try:
        data = Path(item.path).read_bytes()
    except OSError:
        return Permanent(f"The media file {name} could not be read.")
    if len(data) > limit:
        return Permanent(f"{name} is larger than Bluesky's {limit / 1e6:g} MB limit for {what}s.")
    return _upload_bytes(session, data, item.mime_type, f"the {what} {name}")


def _upload_bytes(
    session: Session, data: bytes, mime_type: str, what: str
) -> dict[str, Any] | Outcome:
    name = what
    headers = {"Content-Type": mime_type}
    response = _authed(
        session, "POST", "com.atproto.repo.uploadBlob", content=data, headers=headers
    )
    if not isinstance(response, httpx.Response):
        return response
    if failed := _failure(response, name):
        return failed
    blob = _json(response).get("blob")
    if not isinstance(blob, dict):
        return Transient(f"Bluesky's answer to the upload of {name} could not be read.")
    return blob


# --- link cards ------------------------------------------------------------------------

CARD_PAGE_BYTES = 512 * 1024  # what is read of a linked page, at most
CARD_THUMB_BYTES = MAX_IMAGE_BYTES
CARD_TITLE = 300
CARD_DESCRIPTION = 1000
_META = regex.compile(
    r"<meta\s+[^>]*?(?:property|name)\s*=\s*[\"']([^\"']+)[\"'][^>]*?content\s*=\s*[\"']([^\"']*)[\"']"
    r"|<meta\s+[^>]*?content\s*=\s*[\"']([^\"']*)[\"'][^>]*?(?:property|name)\s*=\s*[\"']([^\"']+)[\"']",
    regex.IGNORECASE,
)
_TITLE = regex.compile(r"<title[^>]*>(.*?)</title>", regex.IGNORECASE | regex.DOTALL)


def _read_bounded(session: Session, url: str, limit: int) -> tuple[bytes, str] | None:
    """GET ``url`` through the adapter's client (public addresses only, no redirect
    followed: planner.outbound), reading at most ``limit`` bytes; None on any failure."""
    try:
        with session.http.stream("GET", url, headers={"Accept": "text/html,image/*"}) as answer:
            if answer.status_code != 200:
                return None
            data = b""
            for chunk in answer.iter_bytes():
                data += chunk
                if len(data) > limit:
                    return (
                        None
                        if answer.headers.get("content-type", "").startswith("image/")
                        else (data[:limit], answer.headers.get("content-type", ""))
                    )
            return data, answer.headers.get("content-type", "")
    except (httpx.HTTPError, ValueError, OSError):
        return None


def page_card(html: str) -> dict[str, str]:
    """A page's title, description and image address (Open Graph first, then <title>)."""
    import html as html_lib

    meta: dict[str, str] = {}
    for match in _META.finditer(html):
        key = (match.group(1) or match.group(4) or "").lower()
        value = match.group(2) if match.group(1) else match.group(3)
        meta.setdefault(key, html_lib.unescape(value or "").strip())
    title = meta.get("og:title") or meta.get("twitter:title")
    if not title and (found := _TITLE.search(html)):
        title = html_lib.unescape(" ".join(found.group(1).split()))
    description = meta.get("og:description") or meta.get("description") or ""
    image = meta.get("og:image") or meta.get("twitter:image") or ""
    return {
        "title": (title or "")[:CARD_TITLE],
        "description": description[:CARD_DESCRIPTION],
        "image": image,
    }


def link_card(session: Session, url: str) -> dict[str, Any] | None:
    """An app.bsky.embed.external card for ``url`` from its page (title, description and
    a thumbnail of at most 1 MB); None when the page cannot be read: the post goes out
    without a card rather than not at all."""
    page = _read_bounded(session, url, CARD_PAGE_BYTES)
    if page is None or "html" not in page[1]:
        return None
    card = page_card(page[0].decode("utf-8", "replace"))
    if not card["title"]:
        return None
    external: dict[str, Any] = {
        "uri": url,
        "title": card["title"],
        "description": card["description"],
    }
    if card["image"]:
        thumb_url = str(httpx.URL(url).join(card["image"]))
        thumb = _read_bounded(session, thumb_url, CARD_THUMB_BYTES)
        if thumb is not None and thumb[1].split(";")[0].strip() in IMAGE_TYPES:
            blob = _upload_bytes(
                session, thumb[0], thumb[1].split(";")[0].strip(), "the card's image"
            )
            if isinstance(blob, dict):
                external["thumb"] = blob
    return {"$type": "app.bsky.embed.external", "external": external}


# --- video, through the video service -------------------------------------------------
# https://docs.bsky.app/docs/tutorials/video : the bytes go to the video service
# (app.bsky.video.uploadVideo) with a service-auth token the account's PDS signs for
# uploadBlob on that PDS; the service processes the video, uploads the blob to the PDS
# with that token, and app.bsky.video.getJobStatus hands the blob back.

VIDEO_SERVICE_DID = "did:web:video.bsky.app"
UPLOAD_BLOB = "com.atproto.repo.uploadBlob"
UPLOAD_LIMITS = "app.bsky.video.getUploadLimits"
SERVICE_TOKEN_SECONDS = 30 * 60  # the upload and its processing must fit in this
JOB_COMPLETED = "JOB_STATE_COMPLETED"
JOB_FAILED = "JOB_STATE_FAILED"
VIDEO_POLL_SECONDS = 1.0  # the service suggests no pause; a short video is ready in seconds


def video_service_url() -> str:
    """The setting, read at call time (tests point it at their stand-in)."""
    from django.conf import settings

    url = getattr(settings, "BLUESKY_VIDEO_SERVICE_URL", "") or "https://video.bsky.app"
    return str(url).rstrip("/")


def upload_video(session: Session, item: MediaFile) -> dict[str, Any] | Outcome:
    """The blob of ``item`` once the video service has processed it, or why not.

    A service that cannot be reached or answers 5xx is ``Transient`` (the post is retried;
    a repeated upload of the same file is answered 409 ``already_exists`` with the first
    job, so a retry polls that job instead of processing the file twice). A job the service
    fails, or limits that refuse the upload, are ``Permanent`` with the service's words."""
    name = Path(item.path).name
    data = processing.read_bytes(item)
    if isinstance(data, Permanent):
        return data
    if len(data) > MAX_VIDEO_BYTES:
        return Permanent(f"{name} is larger than Bluesky's {MAX_VIDEO_BYTES / 1e6:g} MB limit.")
    if failed := _ensure_session(session):
        return failed
    service = video_service_url()
    limits_token = _service_token(session, VIDEO_SERVICE_DID, UPLOAD_LIMITS)
    if not isinstance(limits_token, str):
        return limits_token
    answer = _video_call(session, "GET", f"{service}/xrpc/{UPLOAD_LIMITS}", token=limits_token)
    if not isinstance(answer, dict):
        return answer
    if answer.get("canUpload") is False:
        why = answer.get("message") or answer.get("error") or "no reason given"
        return Permanent(
            f"Bluesky's video service will not take a video from this account now ({why}). "
            "Bluesky allows uploads only to accounts with a verified email address, within "
            "a daily number of videos and bytes."
        )
    audience = _pds_service_did(session)
    if not isinstance(audience, str):
        return audience
    token = _service_token(session, audience, UPLOAD_BLOB)
    if not isinstance(token, str):
        return token
    params = {"did": _did(session), "name": name}
    answer = _video_call(
        session,
        "POST",
        f"{service}/xrpc/app.bsky.video.uploadVideo",
        token=token,
        params=params,
        content=data,
        headers={"Content-Type": item.mime_type},
        accept_conflict=True,
    )
    if not isinstance(answer, dict):
        return answer
    job = _job(answer)
    budget = processing.Budget()
    while True:
        state = str(job.get("state") or "")
        if state == JOB_COMPLETED and isinstance(job.get("blob"), dict):
            return job["blob"]
        if state == JOB_FAILED:
            why = job.get("message") or job.get("error") or "no reason given"
            return Permanent(f"Bluesky's video service could not process {name}: {why}.")
        job_id = str(job.get("jobId") or "")
        if not job_id:
            return Transient(f"Bluesky's video service gave no job for {name}; trying again.")
        if not budget.pause(VIDEO_POLL_SECONDS):
            return budget.exceeded(f"The video {name}")
        answer = _video_call(
            session,
            "GET",
            f"{service}/xrpc/app.bsky.video.getJobStatus",
            params={"jobId": job_id},
        )
        if not isinstance(answer, dict):
            return answer
        job = _job(answer)


def _job(answer: dict[str, Any]) -> dict[str, Any]:
    """The job status: getJobStatus wraps it in ``jobStatus``; uploadVideo's answer (and its
    409) carry it at the top level, as the service really answers."""
    inner = answer.get("jobStatus")
    return inner if isinstance(inner, dict) else answer


def _pds_service_did(session: Session) -> str | Outcome:
    """``did:web:<host>`` of the PDS that holds the account's repository, read from the
    account's DID document (getSession gives it): the service-auth token's audience, which
    that PDS checks when the video service uploads the blob. Without a DID document, the
    DID the server gives itself (describeServer), else its address's host."""
    response = _authed(session, "GET", "com.atproto.server.getSession")
    if not isinstance(response, httpx.Response):
        return response
    if failed := _failure(response, "the session check"):
        return failed
    endpoint = ""
    doc = _json(response).get("didDoc")
    services = doc.get("service") if isinstance(doc, dict) else None
    for service in services if isinstance(services, list) else []:
        if isinstance(service, dict) and str(service.get("id", "")).endswith("#atproto_pds"):
            endpoint = str(service.get("serviceEndpoint") or "")
    if endpoint:
        return f"did:web:{httpx.URL(endpoint).host}"
    # No DID document in the answer: the server's own DID (a PDS names itself there).
    described = _call(session, "GET", "com.atproto.server.describeServer")
    if isinstance(described, httpx.Response) and described.status_code == 200:
        did = _json(described).get("did")
        if isinstance(did, str) and did.startswith("did:web:"):
            return did
    return f"did:web:{httpx.URL(session.base_url).host}"


def _service_token(session: Session, audience: str, method: str) -> str | Outcome:
    params = {"aud": audience, "lxm": method, "exp": int(time.time()) + SERVICE_TOKEN_SECONDS}
    response = _authed(session, "GET", "com.atproto.server.getServiceAuth", params=params)
    if not isinstance(response, httpx.Response):
        return response
    if failed := _failure(response, "the request for a video upload token"):
        return failed
    token = _json(response).get("token")
    if not isinstance(token, str) or not token:
        return Transient("Bluesky's answer to the request for an upload token could not be read.")
    return token


def _video_call(
    session: Session,
    method: str,
    url: str,
    *,
    token: str = "",
    accept_conflict: bool = False,
    **kwargs: Any,
) -> dict[str, Any] | Outcome:
    """One call to the video service, its JSON body or why not. Every call is safe to
    repeat (an upload of the same bytes answers with the same job)."""
    if token:
        kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
    result = send(session, method, url, idempotent=True, **kwargs)
    if isinstance(result, Transient | Unknown):
        return Transient(
            f"Bluesky's video service at {httpx.URL(url).host} did not answer "
            f"({result.reason}). Maillon will try again."
        )
    if not isinstance(result, httpx.Response):
        return result
    body = _json(result)
    conflict = result.status_code == 409 and (
        body.get("jobId") or isinstance(body.get("jobStatus"), dict)
    )
    if accept_conflict and conflict:
        return body  # already_exists: the job of the same file, uploaded before
    if result.status_code in (401, 403):  # the service's refusal, not the channel's
        return Permanent(f"Bluesky's video service refused the upload ({_detail(result)}).")
    if failed := _failure(result, "the video"):
        return failed
    return body
