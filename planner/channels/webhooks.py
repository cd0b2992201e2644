"""Webhooks: Slack, Discord, Microsoft Teams (Workflows) and a generic signed webhook.

The webhook URL is the credential (``credentials["webhook_url"]``) and a
secret: it is never repeated in a message. ``base_url`` is unused.

Slack, Discord and Teams deliver at most once and have no idempotency
mechanism, so a 5xx or a timeout after sending is ``Unknown``, and none can
be read back through the webhook alone (``reconcile`` returns None: a person
looks at the channel). Only Discord returns a message id (``?wait=true``),
so only Discord can delete.

Media. Slack incoming webhooks and Teams cards take images only by public
URL, while Maillon's media are files, so both refuse media in ``validate``.
Discord takes the files themselves, with the alt text as each attachment's
description. The generic webhook describes the files (name, type, size, alt
text) without sending them.

Connection test. A live test of Slack, Teams or a generic receiver would
post a message in the channel, so their URL is only checked for form: https
with a host (plain http is allowed to a loopback host where
``OUTBOUND_ALLOW_LOOPBACK`` lets Maillon reach this machine: a receiver under
development). Discord answers GET on the webhook URL with the webhook object,
posting nothing, so it is checked for real.

The generic webhook, as a receiver sees it
------------------------------------------
``POST <webhook_url>`` with a JSON body::

    {"id": "<delivery id>", "text": "...", "title": "...", "link": "<the post in Maillon>",
     "media": [{"name": "photo.png", "mime_type": "image/png", "size": 1234, "alt_text": "..."}],
     "sent_at": "2026-11-25T17:58:55Z"}

and the headers::

    X-Maillon-Delivery: <delivery id, the same as "id", the same on every attempt>
    X-Maillon-Timestamp: <unix seconds when this attempt was signed>
    X-Maillon-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>

To verify a delivery, the receiver:

1. reads the raw body bytes, before any JSON parsing;
2. computes ``hmac.new(secret, timestamp.encode() + b"." + raw_body, hashlib.sha256)``;
3. compares ``"sha256=" + hexdigest`` with the signature header using a
   constant-time comparison (``hmac.compare_digest``), and refuses a mismatch
   with 401;
4. refuses a timestamp more than five minutes away from its own clock, so a
   captured request cannot be replayed later;
5. de-duplicates on ``X-Maillon-Delivery``: it keeps the ids it has accepted
   for at least a week and answers 2xx, doing nothing, to one it already has.

Delivery is at least once: after a 5xx, a 429 or no answer, Maillon sends the
same delivery again (newly signed). On this contract the adapter is marked
idempotent, because there is no read-back: without it, every timeout would
wait for a person to check the receiver by hand. A receiver may answer with
JSON ``{"id": ..., "url": ...}`` to give Maillon its own reference and link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import httpx

from planner import outbound
from planner.channels.base import (
    Adapter,
    AdapterError,
    Limits,
    MediaFile,
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
    send,
)
from planner.channels.counting import Count, utf8_bytes

# For a webhook these mean the URL no longer leads anywhere Maillon may post.
GONE_STATUSES = frozenset({401, 403, 404, 410})
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def url_problem(url: str) -> str:
    """Why this webhook URL cannot be used, or '' when it can."""
    if not url:
        return "The webhook address is missing."
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "The webhook address is not a valid web address."
    if not parsed.host:
        return "The webhook address has no host name."
    if parsed.scheme == "https" or (
        parsed.scheme == "http" and outbound.plain_http_allowed(parsed.host)
    ):
        return ""
    return "The webhook address must start with https://."


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class _Webhook(Adapter):
    """What the four webhooks share: the URL as credential, and worded failures."""

    network: ClassVar[str]  # as it starts a sentence
    described_as: ClassVar[str]  # what check_connection calls the channel
    credential_fields = ("webhook_url",)
    address_credential = "webhook_url"
    # Only Discord can be asked about its webhook without posting (see above).
    live_check = False
    # Why media cannot go with a post here; '' when they can.
    media_refusal: ClassVar[str] = ""

    @property
    def takes_media(self) -> bool:
        return not self.media_refusal and super().takes_media

    def validate(self, text: str, media: tuple[MediaFile, ...] = ()) -> list[str]:
        if media and self.media_refusal:
            return [*super().validate(text, ()), self.media_refusal]
        return super().validate(text, media)

    def check_connection(self, session: Session) -> str:
        return f"{self.described_as} on {httpx.URL(self.webhook_url(session)).host}"

    def webhook_url(self, session: Session) -> str:
        url = str(session.credentials.get("webhook_url") or "")
        if problem := url_problem(url):
            raise AdapterError(Permanent(f"{problem} Reconnect the channel.", reauth=True))
        return url

    def request(
        self, session: Session, method: str, url: str, *, idempotent: bool, **kwargs: Any
    ) -> httpx.Response | Outcome:
        """``send`` then ``classify_response``, worded for the person reading the outcome."""
        result = send(session, method, url, idempotent=idempotent, **kwargs)
        if isinstance(result, Transient):
            return Transient(
                f"{self.network} did not answer ({result.reason}). Maillon will try again."
            )
        if isinstance(result, Unknown):
            return Unknown(
                f"{self.network} did not answer after the message was sent ({result.reason}), "
                "so it may or may not have been posted. Check the channel before sending again."
            )
        if not isinstance(result, httpx.Response):
            return result
        return self.failure(result, idempotent=idempotent) or result

    def failure(self, response: httpx.Response, *, idempotent: bool) -> Outcome | None:
        status = response.status_code
        if 300 <= status < 400:  # redirects are not followed: the address has moved
            return Permanent(
                f"{self.network} sent the message elsewhere (HTTP {status}), so it was not posted. "
                "Check the webhook address and reconnect the channel.",
                reauth=True,
            )
        outcome = classify_response(response, idempotent=idempotent)
        if outcome is None:
            return None
        detail = self.detail(response)
        if status in GONE_STATUSES:
            return Permanent(
                f"{self.network} no longer accepts this webhook: {detail} (HTTP {status}). "
                "Create a new webhook and reconnect the channel.",
                reauth=True,
            )
        if status == 429:
            wait = outcome.retry_after if isinstance(outcome, Transient) else None
            return Transient(f"{self.network} asked Maillon to slow down. Will retry later.", wait)
        if isinstance(outcome, Transient) and idempotent:
            return Transient(
                f"{self.network} is unavailable (HTTP {status}). Maillon will try again.",
                outcome.retry_after,
            )
        if status >= 500:
            # Even 503: without idempotency a blind retry could post twice.
            return Unknown(
                f"{self.network} failed while receiving the message (HTTP {status}), so it may "
                "or may not have been posted. Check the channel before sending again."
            )
        return Permanent(f"{self.network} refused the message: {detail} (HTTP {status}).")

    def detail(self, response: httpx.Response) -> str:
        return error_text(response)


class SlackAdapter(_Webhook):
    kind = "slack"
    # About one message per second per channel.
    post_budget = PostBudget(1, 1)
    network = "Slack"
    described_as = "Slack webhook"
    media_refusal = "Slack webhooks cannot carry images or videos: remove them or link to them."
    # Slack's error codes, in words. https://api.slack.com/messaging/webhooks#handling_errors
    errors: ClassVar[dict[str, str]] = {
        "invalid_payload": "the message was not in a form Slack accepts",
        "no_text": "the message has no text",
        "channel_is_archived": "the channel is archived",
        "channel_not_found": "the channel no longer exists",
        "action_prohibited": "an administrator has restricted posting to this channel",
        "posting_to_general_channel_denied": "only administrators may post in this channel",
        "no_service": "the webhook was removed or disabled",
        "no_active_hooks": "the webhook was removed or disabled",
        "invalid_token": "the webhook was removed or disabled",
        "team_disabled": "the Slack workspace was disabled",
    }

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters", len(text), 40_000)]

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        try:
            url = self.webhook_url(session)
        except AdapterError as error:
            return error.outcome
        # Slack reads <...> as links and mentions (<!channel>): the three
        # characters it reserves are escaped so the text shows as written.
        text = message.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        response = self.request(session, "POST", url, idempotent=False, json={"text": text})
        if not isinstance(response, httpx.Response):
            return response
        # Slack answers "ok" and no id: the publication's own key stands in.
        return Published(message.idempotency_key or uuid.uuid4().hex)

    def detail(self, response: httpx.Response) -> str:
        code = response.text.strip()
        return self.errors.get(code, error_text(response))


class DiscordAdapter(_Webhook):
    kind = "discord"
    # About 30 messages per minute per webhook.
    post_budget = PostBudget(30, 60)
    network = "Discord"
    described_as = "Discord webhook"
    can_delete = True
    live_check = True
    # 10 MiB per file is Discord's upload limit for a server without boosts.
    limits = Limits(
        max_media=10,
        media_types=(*IMAGE_TYPES, "video/mp4", "video/webm"),
        max_media_bytes=10 * 1024 * 1024,
        max_alt_text=1024,
        max_videos=10,
        video_alone=False,
    )

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters", len(text), 2000)]

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        try:
            url = httpx.URL(self.webhook_url(session)).copy_set_param("wait", "true")
        except AdapterError as error:
            return error.outcome
        with ExitStack() as stack:
            try:
                files = [stack.enter_context(open(item.path, "rb")) for item in message.media]
            except OSError as error:
                return Permanent(
                    f"The media file {Path(error.filename or '').name} could not be read."
                )
            kwargs = self.request_body(message, files)
            response = self.request(session, "POST", str(url), idempotent=False, **kwargs)
        if not isinstance(response, httpx.Response):
            return response
        body = _json(response)
        if not body.get("id"):
            return Unknown("Discord's answer could not be read; the message may have been posted.")
        return Published(str(body["id"]), self.message_url(body))

    @staticmethod
    def request_body(message: Outgoing, files: list[BinaryIO]) -> dict[str, Any]:
        """JSON alone, or multipart: ``payload_json`` and one ``files[n]`` part per file."""
        payload: dict[str, Any] = {"content": message.text}
        if not message.media:
            return {"json": payload}
        names = [Path(item.path).name for item in message.media]
        payload["attachments"] = [
            {"id": i, "filename": names[i], "description": item.alt_text}
            for i, item in enumerate(message.media)
        ]
        parts = [
            (f"files[{i}]", (names[i], files[i], item.mime_type))
            for i, item in enumerate(message.media)
        ]
        return {"data": {"payload_json": json.dumps(payload)}, "files": parts}

    @staticmethod
    def message_url(body: dict[str, Any]) -> str:
        if not (body.get("guild_id") and body.get("channel_id")):
            return ""
        return f"https://discord.com/channels/{body['guild_id']}/{body['channel_id']}/{body['id']}"

    def delete(self, session: Session, message: Outgoing) -> None:
        webhook = httpx.URL(self.webhook_url(session)).copy_remove_param("wait")
        # Any thread_id in the webhook URL stays: Discord needs it for messages in threads.
        url = webhook.copy_with(path=f"{webhook.path.rstrip('/')}/messages/{message.external_id}")
        result = send(session, "DELETE", str(url), idempotent=True)
        if not isinstance(result, httpx.Response):
            raise AdapterError(Transient(f"Discord could not be reached ({result.reason})."))
        if result.status_code == 404 and _json(result).get("code") == 10008:
            return  # Unknown Message: already gone, the wanted end state
        if failed := self.failure(result, idempotent=True):
            raise AdapterError(failed)

    def check_connection(self, session: Session) -> str:
        result = self.request(session, "GET", self.webhook_url(session), idempotent=True)
        if not isinstance(result, httpx.Response):
            raise AdapterError(result)
        name = _json(result).get("name") or "webhook"
        return f"Discord webhook “{name}”"


class TeamsAdapter(_Webhook):
    kind = "teams"
    network = "Microsoft Teams"
    described_as = "Teams workflow"
    media_refusal = (
        "Teams workflow cards cannot carry images or videos: remove them or link to them."
    )

    def counts(self, text: str) -> list[Count]:
        # Teams refuses messages over about 28 KB; the card around the text takes the rest.
        return [Count("Size in bytes", utf8_bytes(text), 25_000)]

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        try:
            url = self.webhook_url(session)
        except AdapterError as error:
            return error.outcome
        card = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": message.text, "wrap": True}],
        }
        envelope = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
        response = self.request(session, "POST", url, idempotent=False, json=envelope)
        if not isinstance(response, httpx.Response):
            return response
        # A workflow answers 202 (or 200) and no id: the publication's own key stands in.
        return Published(message.idempotency_key or uuid.uuid4().hex)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class GenericWebhookAdapter(_Webhook):
    kind = "webhook"
    network = "The receiving server"
    described_as = "Signed webhook"
    credential_fields = ("webhook_url", "signing_secret")
    # Receivers must de-duplicate on the delivery id (see the module docstring),
    # so a resend within a day is recognised.
    idempotent = True
    idempotency_window = 24 * 3600.0
    limits = Limits(
        max_media=20,
        media_types=(*IMAGE_TYPES, "video/mp4", "video/webm", "video/quicktime", "application/pdf"),
        max_media_bytes=1024 * 1024 * 1024,
        max_videos=20,
        video_alone=False,
    )

    def counts(self, text: str) -> list[Count]:
        return [Count("Characters", len(text), 100_000)]

    def check_connection(self, session: Session) -> str:
        described = super().check_connection(session)
        if not session.credentials.get("signing_secret"):
            raise AdapterError(_no_secret())
        return described

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        try:
            url = self.webhook_url(session)
        except AdapterError as error:
            return error.outcome
        secret = str(session.credentials.get("signing_secret") or "")
        if not secret:
            return _no_secret()
        delivery = message.idempotency_key or uuid.uuid4().hex
        now = int(time.time())
        body = json.dumps(
            {
                "id": delivery,
                "text": message.text,
                "title": message.title,
                "link": message.link,
                "media": [_described(item) for item in message.media],
                "sent_at": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Maillon-Delivery": delivery,
            "X-Maillon-Timestamp": str(now),
            "X-Maillon-Signature": signature(secret, str(now), body),
        }
        # Without the publication's key, a new delivery id per attempt defeats de-duplication.
        idempotent = bool(message.idempotency_key)
        response = self.request(
            session, "POST", url, idempotent=idempotent, content=body, headers=headers
        )
        if not isinstance(response, httpx.Response):
            return response
        reply = _json(response)
        return Published(str(reply.get("id") or delivery), str(reply.get("url") or ""))


def _described(item: MediaFile) -> dict[str, Any]:
    return {
        "name": Path(item.path).name,
        "mime_type": item.mime_type,
        "size": item.size,
        "alt_text": item.alt_text,
    }


def _no_secret() -> Permanent:
    return Permanent("The webhook's signing secret is missing. Reconnect the channel.", reauth=True)
