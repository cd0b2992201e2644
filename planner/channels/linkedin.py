"""LinkedIn (versioned REST Posts API), over plain httpx. Text posts only, for now.

LinkedIn has no idempotency key: a 5xx or a lost answer is ``Unknown``. Its
``commentary`` is written in the "little" text format, where reserved
characters must be backslash-escaped or the post is mangled or cut; ``#tag``
becomes LinkedIn's hashtag template so that it stays a hashtag.

Reading posts back (for reconciliation) is the documented "find posts by
author" finder; it needs ``r_organization_social`` (or the restricted
``r_member_social``). Without that permission LinkedIn answers 403 and
reconcile says it cannot tell (None).

LinkedIn retires API versions a year or so after release: the version is a
constant here, overridable per channel with a ``linkedin_version`` credential.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from planner.channels import oauth
from planner.channels.base import (
    RENEW_AHEAD,
    Adapter,
    AdapterError,
    Expiry,
    Limits,
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
)
from planner.channels.counting import URL_RE, Count, graphemes

API_VERSION = "202605"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 (an address)
POST_URL = "https://www.linkedin.com/feed/update/{}/"
MAX_LENGTH = 3000
RECONCILE_COUNT = 20
ORGANIZATION = "urn:li:organization:"

_RESERVED_RE = re.compile(r"[|{}@\[\]()<>#\\*_~]")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
# The sign may be "#" or its full-width form U+FF03.
_HASHTAG_TEMPLATE_RE = re.compile(r"\{hashtag\|\\?[#\uFF03]\|([^}]*)\}")
_ESCAPED_RE = re.compile(r"\\([|{}@\[\]()<>#\\*_~])")


class LinkedInAdapter(Adapter):
    kind = "linkedin"
    default_base_url = "https://api.linkedin.com"
    # Images need the Images API (initializeUpload, then an upload URL): not built yet.
    limits = Limits(max_media=0)
    can_delete = True
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
