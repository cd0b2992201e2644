"""The one small interface every network adapter implements, and what they share.

An adapter never touches the database. The engine hands it a ``Session`` (the
channel's address and credentials, an HTTP client, and a way to store
refreshed tokens) and an ``Outgoing`` message, and gets back an ``Outcome``.
The engine decides what the outcome means for the publication (retry, stop,
reconcile); the adapter only says what happened.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from planner import outbound
from planner.channels.authorization import OAuthSpec
from planner.channels.counting import Count
from planner.channels.metrics import canonical

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


# --- what goes out -------------------------------------------------------------------


@dataclass(frozen=True)
class MediaFile:
    path: str  # a local file path
    mime_type: str
    size: int
    alt_text: str = ""
    # For networks that fetch media by address (Instagram, Threads, some Facebook calls):
    # a signed address served by Maillon, valid for this publication only; '' otherwise.
    url: str = ""
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds, for video (probed at upload)


@dataclass(frozen=True)
class Outgoing:
    """One publication, as the adapter sees it."""

    text: str
    media: tuple[MediaFile, ...] = ()
    # Created once per publication and reused on every attempt (Mastodon's
    # Idempotency-Key, a generic webhook's delivery id).
    idempotency_key: str = ""
    # A network-specific key chosen once before the first attempt and
    # persisted (Bluesky's record key). Empty until ``platform_key`` made one.
    platform_key: str = ""
    # The external id/URL when known (delete, metrics, reconcile after success).
    external_id: str = ""
    title: str = ""
    link: str = ""  # the post's page in Maillon, for webhooks


# --- what comes back -------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str = ""


@dataclass(frozen=True)
class Transient:
    """Not accepted, safe to send again later (429, 503, connection refused)."""

    reason: str
    retry_after: float | None = None  # seconds, from Retry-After or a rate-limit reset


@dataclass(frozen=True)
class Permanent:
    """Refused for good (validation, revoked token). ``reauth``: the channel must be reconnected."""

    reason: str
    reauth: bool = False


@dataclass(frozen=True)
class Unknown:
    """The request may have been accepted (timeout after sending, 5xx on a non-idempotent call)."""

    reason: str


@dataclass(frozen=True)
class NotThere:
    """Reconciliation found for certain that the post was not published."""

    reason: str = ""


Outcome = Published | Transient | Permanent | Unknown


@dataclass(frozen=True)
class Expiry:
    """When a channel's access stops working unless it is renewed or reconnected.

    ``at``: epoch seconds, None when the network sets no end (a Page token, a rotating
    refresh chain) or Maillon cannot know it. ``renews``: Maillon renews the access by
    itself (refresh tokens, Threads' refresh); ``at`` then moves on with each renewal,
    and is reached only if renewing stops working (or, for LinkedIn, when the refresh
    token itself ends)."""

    at: float | None = None
    renews: bool = False


# Renew a token when less than this is left (the periodic renewal runs hourly).
RENEW_AHEAD = 30 * 86400.0


class AdapterError(Exception):
    """A call other than publish failed (reconcile, delete, metrics, test connection).
    ``outcome`` says how (a Transient one may succeed later)."""

    def __init__(self, outcome: Transient | Permanent | Unknown) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


# --- the session the engine gives an adapter ---------------------------------------------


@dataclass(frozen=True)
class OAuthClient:
    """The operator's app a channel was connected with (settings, never the channel's
    credentials): who asks the token endpoint to renew the channel's tokens, and where.
    Rotating the app's secret in the settings then renews every channel with the new one."""

    client_id: str
    client_secret: str
    token_url: str


@dataclass
class Session:
    """A channel's address, credentials and HTTP client, for one unit of work."""

    kind: str
    base_url: str
    handle: str
    credentials: dict[str, Any]
    http: httpx.Client
    # Persist new credentials (refreshed tokens). Merges: a key given empty is
    # ignored, so a refresh that returns no new refresh token keeps the old one.
    save_credentials: Callable[[Mapping[str, Any]], None] = field(default=lambda _c: None)
    # Persist a key learnt during a publish (an Instagram/Threads container id), so
    # that a later attempt or a reconciliation finds it in ``Outgoing.platform_key``.
    save_platform_key: Callable[[str], None] = field(default=lambda _k: None)
    # Serialise a renewal of the credentials: a context that holds the channel's lock
    # (shared by every worker) and gives the credentials as stored *now*: another
    # worker may have renewed them a moment ago. Nothing is held by default (a test).
    renewal_lock: Callable[[], AbstractContextManager[Mapping[str, Any]]] = field(
        default=lambda: nullcontext({})
    )
    # The operator's app, for a channel connected with the sign-in: its refreshes use it
    # instead of a client id/secret pasted into the credentials. None: a pasted channel.
    oauth_client: OAuthClient | None = None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def update_credentials(self, new: Mapping[str, Any]) -> None:
        kept = {k: v for k, v in new.items() if v not in (None, "")}
        self.credentials.update(kept)
        self.save_credentials(kept)


def new_http_client(
    on_response: Callable[[httpx.Response], None] | None = None,
) -> httpx.Client:
    """Every adapter's client: only to public servers (``planner.outbound``), no redirect.
    ``on_response`` sees each answer (the engine reads the rate-limit headers there)."""
    from django.conf import settings

    read = getattr(settings, "PUBLISH_READ_TIMEOUT_SECONDS", READ_TIMEOUT)
    hooks = {"response": [on_response]} if on_response else {}
    return outbound.client(timeout=httpx.Timeout(read, connect=CONNECT_TIMEOUT), event_hooks=hooks)


# --- the interface ---------------------------------------------------------------------


IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")


@dataclass(frozen=True)
class Limits:
    """What the editor shows and validation enforces for one network: every media rule
    of a network is here, and ``media_errors`` is the one place that counts them.

    Files are counted by kind: a *video* (video/*), a *GIF* (image/gif, counted apart
    only when ``gif_alone``: X takes 1 GIF alone, never with images) and an *image*.
    ``max_media`` caps them all together; ``max_videos`` the videos; ``video_alone``
    (and ``gif_alone``) says such a file must be the post's only one. Sizes are per file
    (``max_media_bytes`` for images, ``max_video_bytes`` / ``max_gif_bytes`` when they
    differ). Durations and aspect ratios (width / height) are checked when the file's
    probe knows them."""

    max_media: int = 4
    media_types: tuple[str, ...] = IMAGE_TYPES
    max_media_bytes: int = 5 * 1024 * 1024
    requires_media: bool = False
    max_alt_text: int = 1500
    requires_alt_text: bool = False  # every image needs a description (Bluesky)
    max_videos: int = 1
    video_alone: bool = True
    gif_alone: bool = False
    max_video_bytes: int | None = None  # None: max_media_bytes
    max_gif_bytes: int | None = None  # None: max_media_bytes
    min_video_seconds: float | None = None
    max_video_seconds: float | None = None
    min_image_aspect: float | None = None  # width / height
    max_image_aspect: float | None = None
    min_video_aspect: float | None = None
    max_video_aspect: float | None = None

    def kind_of(self, item: MediaFile) -> str:
        """ "video", "gif" (only when GIFs are counted apart) or "image"."""
        if item.mime_type.startswith("video/"):
            return "video"
        if item.mime_type == "image/gif" and self.gif_alone:
            return "gif"
        return "image"

    def max_bytes(self, kind: str) -> int:
        if kind == "video" and self.max_video_bytes is not None:
            return self.max_video_bytes
        if kind == "gif" and self.max_gif_bytes is not None:
            return self.max_gif_bytes
        return self.max_media_bytes

    @property
    def takes_video(self) -> bool:
        return self.max_videos > 0 and any(t.startswith("video/") for t in self.media_types)

    def summary(self) -> str:
        """The network's media rule in one sentence, for the editor."""
        if self.max_media == 0:
            return _("No images or videos.")
        parts = [
            ngettext("up to %(n)s image", "up to %(n)s images", self.max_media)
            % {"n": self.max_media}
        ]
        if self.gif_alone:
            parts.append(_("1 GIF"))
        if self.takes_video:
            video = ngettext("%(n)s video", "up to %(n)s videos", self.max_videos) % {
                "n": self.max_videos
            }
            bounds = []
            if self.max_video_seconds is not None:
                bounds.append(_("%(s)s s at most") % {"s": f"{self.max_video_seconds:g}"})
            bounds.append(_megabytes(self.max_bytes("video")))
            parts.append(f"{video} ({', '.join(bounds)})")
        joiner = _(", or ") if (self.video_alone or self.gif_alone) else ", "
        text = joiner.join(parts)
        if not (self.video_alone or self.gif_alone) and self.takes_video:
            text += _(", mixed")
        return text[:1].upper() + text[1:] + "."


@dataclass(frozen=True)
class PostBudget:
    """A network's published posting limit for one account: ``posts`` in ``seconds``."""

    posts: int
    seconds: int


class Adapter:
    """Base class: subclasses set ``kind``, ``default_base_url``, ``limits`` and override
    ``counts``, ``publish`` and whatever else their network supports."""

    kind: ClassVar[str]
    default_base_url: ClassVar[str] = ""
    limits: ClassVar[Limits] = Limits()
    # True when sending the same publication twice cannot post twice
    # (Mastodon's Idempotency-Key, Bluesky's fixed record key).
    idempotent: ClassVar[bool] = False
    # How long after a first attempt the network still recognises a resend
    # (Mastodon keeps keys an hour); None: for ever (Bluesky's fixed record key).
    idempotency_window: ClassVar[float | None] = None
    can_delete: ClassVar[bool] = False
    # Credential keys the channel form asks for, in order.
    credential_fields: ClassVar[tuple[str, ...]] = ()
    # Keys the adapter stores for itself (a session, a cached id, an expiry). They
    # belong to the credentials a person entered, and are dropped when those change.
    derived_credentials: ClassVar[tuple[str, ...]] = ()
    # The credential that is itself the address the others go to (a webhook URL);
    # '' when the credentials go to ``base_url`` (or ``default_base_url``).
    address_credential: ClassVar[str] = ""
    # True when the network downloads media from an address instead of receiving the
    # bytes (Instagram, Threads, Facebook's ``url`` fields): the engine then fills each
    # MediaFile.url with a signed address valid for that publication only.
    media_by_url: ClassVar[bool] = False
    # False when a connection test can only check the credentials' form, because
    # any live call would post something (Slack, Teams, a generic receiver).
    live_check: ClassVar[bool] = True
    # True when a channel is saved only once its credentials pass the connection test
    # (Bluesky: a mistyped handle or app password is said on the form, not at 9 o'clock).
    checked_on_connect: ClassVar[bool] = False
    # The network's own sign-in (Connect / Reconnect), where Maillon can run it.
    oauth: ClassVar[OAuthSpec | None] = None
    # Posts one account may publish per window, as the network publishes it; None when
    # it publishes none (what it answers, a 429 or its rate-limit headers, still counts).
    post_budget: ClassVar[PostBudget | None] = None

    def destination(self, base_url: str, credentials: dict) -> str:
        """Where the channel's credentials are sent: its API, or its webhook."""
        if self.address_credential:
            return str(credentials.get(self.address_credential) or "")
        return base_url or self.default_base_url

    @property
    def takes_media(self) -> bool:
        """Whether posts on this network can carry images or videos at all."""
        return self.limits.max_media > 0

    def media_rule(self) -> str:
        """What this network takes, in one sentence (the editor shows it by the file input)."""
        if not self.takes_media:
            return _("No images or videos.")
        return self.limits.summary()

    def counts(self, text: str) -> list[Count]:
        """The counters the editor shows for this text; over any limit is an error."""
        raise NotImplementedError

    def validate(self, text: str, media: tuple[MediaFile, ...] = ()) -> list[str]:
        """Every reason this network would refuse the post, in words a person understands."""
        errors = []
        if not text.strip() and not media:
            errors.append("The text is empty.")
        for count in self.counts(text):
            if count.over:
                errors.append(
                    f"{count.label}: {count.value} of {count.limit} ({-count.remaining} too many)."
                )
        errors.extend(media_errors(self.limits, media))
        return errors

    def platform_key(self) -> str:
        """A key to persist before the first attempt (e.g. a Bluesky TID); '' if none."""
        return ""

    def publish(self, session: Session, message: Outgoing) -> Outcome:
        raise NotImplementedError

    def reconcile(self, session: Session, message: Outgoing) -> Published | NotThere | None:
        """After an unknown outcome: was it published? None when the network cannot tell."""
        return None

    def delete(self, session: Session, message: Outgoing) -> None:
        """Remove a published post; raise AdapterError when the network refuses."""
        raise AdapterError(Permanent("This network does not let Maillon delete posts."))

    def metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        """A published post's counts under our names (likes, reposts, replies, views...).

        Subclasses override ``read_metrics``, never this: the names are mapped here
        only, through the table in planner/channels/metrics.py."""
        return canonical(self.kind, self.read_metrics(session, message))

    def read_metrics(self, session: Session, message: Outgoing) -> dict[str, int]:
        """A published post's counts under the network's own field names."""
        return {}

    def followers(self, session: Session) -> int | None:
        """The account's follower count; None when the network does not tell."""
        return None

    @property
    def reads_metrics(self) -> bool:
        return type(self).read_metrics is not Adapter.read_metrics

    @property
    def reads_followers(self) -> bool:
        return type(self).followers is not Adapter.followers

    def check_connection(self, session: Session) -> str:
        """Prove the credentials work; return a short description of the account."""
        raise AdapterError(Permanent("This network has no connection test."))

    def access_expiry(self, credentials: Mapping[str, Any]) -> Expiry:
        """When these credentials stop working (see ``Expiry``); by default they do not."""
        return Expiry()

    def needs_renewal(self, credentials: Mapping[str, Any], now: float) -> bool:
        """Whether the periodic renewal should renew these credentials now."""
        return False

    def renew(self, session: Session) -> Transient | Permanent | None:
        """Renew the credentials ahead of their end, storing the new ones through the
        session (under its ``renewal_lock``); None when done."""
        return None


def epoch(value: Any) -> float | None:
    """A stored epoch-seconds credential (``expires_at``...), None when absent or unknown."""
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        return None
    return number or None


def numeric_fields(body: Mapping[str, Any]) -> dict[str, int]:
    """The whole-number fields of a JSON object, under their own names (for metrics)."""
    return {
        key: int(value)
        for key, value in body.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }


def _megabytes(size: int) -> str:
    return _("%(size)s MB") % {"size": f"{size / 1_000_000:.3g}"}


def _ratio(value: float) -> str:
    """An aspect ratio as people write it: 4:5, 1:3, 1.91:1."""
    simple = Fraction(value).limit_denominator(16)
    if simple.numerator and abs(simple - Fraction(value)) < Fraction(1, 2000):
        return f"{simple.numerator}:{simple.denominator}"
    return f"{value:.3g}:1"


def _name(item: MediaFile) -> str:
    return item.path.replace("\\", "/").rsplit("/", 1)[-1] or _("a file")


def media_errors(limits: Limits, media: tuple[MediaFile, ...]) -> list[str]:
    """Every reason ``limits`` refuses these files, in the order a person fixes them:
    the set (how many, which kinds together), then each file."""
    errors = []
    if limits.requires_media and not media:
        errors.append(_("This network needs at least one image or video."))
    if len(media) > limits.max_media:
        errors.append(
            _("At most %(max)s media files (%(count)s attached).")
            % {"max": limits.max_media, "count": len(media)}
        )
    kinds = [limits.kind_of(item) for item in media]
    videos = kinds.count("video")
    if limits.max_media and videos > limits.max_videos:
        errors.append(
            _("At most %(max)s video per post here (%(count)s attached).")
            % {"max": limits.max_videos, "count": videos}
        )
    if limits.video_alone and videos and len(media) > 1:
        errors.append(_("A video must be the only file of the post here, with no other media."))
    if limits.gif_alone and "gif" in kinds and len(media) > 1:
        errors.append(_("A GIF must be the only file of the post here, with no other media."))
    for item, kind in zip(media, kinds, strict=True):
        name = _name(item)
        if item.mime_type not in limits.media_types:
            errors.append(_("%(type)s files are not accepted here.") % {"type": item.mime_type})
            continue
        if item.size > limits.max_bytes(kind):
            if kind == "video":
                message = _("%(name)s: videos are limited to %(size)s here.")
            elif kind == "gif":
                message = _("%(name)s: GIFs are limited to %(size)s here.")
            else:
                message = _("%(name)s: images are limited to %(size)s here.")
            errors.append(message % {"name": name, "size": _megabytes(limits.max_bytes(kind))})
        if len(item.alt_text) > limits.max_alt_text:
            errors.append(
                _("Alternative text is limited to %(max)s characters.")
                % {"max": limits.max_alt_text}
            )
        if limits.requires_alt_text and kind != "video" and not item.alt_text.strip():
            errors.append(
                _("%(name)s: this network needs alternative text for every image.") % {"name": name}
            )
        if kind == "video" and item.duration is not None:
            low, high = limits.min_video_seconds, limits.max_video_seconds
            if low is not None and item.duration < low:
                errors.append(
                    _("%(name)s: videos must last at least %(min)s s (this one: %(s)s s).")
                    % {"name": name, "min": f"{low:g}", "s": f"{item.duration:.1f}"}
                )
            if high is not None and item.duration > high:
                errors.append(
                    _("%(name)s: videos may last at most %(max)s s (this one: %(s)s s).")
                    % {"name": name, "max": f"{high:g}", "s": f"{item.duration:.1f}"}
                )
        if item.width and item.height:
            if kind == "video":
                low, high = limits.min_video_aspect, limits.max_video_aspect
            else:
                low, high = limits.min_image_aspect, limits.max_image_aspect
            aspect = item.width / item.height
            if (low is not None and aspect < low - 0.005) or (
                high is not None and aspect > high + 0.005
            ):
                errors.append(
                    _(
                        "%(name)s: its shape (%(w)s x %(h)s) must be between %(low)s and "
                        "%(high)s (width:height) here."
                    )
                    % {
                        "name": name,
                        "w": item.width,
                        "h": item.height,
                        "low": _ratio(low) if low is not None else "—",
                        "high": _ratio(high) if high is not None else "—",
                    }
                )
    return errors


# --- shared HTTP handling ---------------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Retry-After (seconds or HTTP-date), else the usual rate-limit reset headers."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"):
        value = headers.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            try:  # Mastodon sends an ISO 8601 time
                from datetime import datetime

                number = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
        # A small number is a delay (IETF draft); a large one an epoch time.
        return number if number < 10**8 else max(0.0, number - now)
    return None


RATE_LIMITED_DEFAULT_SECONDS = 60.0


def rate_limit_wait(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the account must wait before its next request, from one answer: a 429
    (Retry-After or the reset header, else a minute), a rate-limit header saying none
    is left (X, Mastodon, Bluesky: ``*-remaining: 0``), or Meta's business-use-case
    usage (``estimated_time_to_regain_access``, in minutes). None: no limit said."""
    headers = response.headers
    if response.status_code == 429:
        return retry_after_seconds(headers, now) or RATE_LIMITED_DEFAULT_SECONDS
    for name in ("x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining"):
        value = (headers.get(name) or "").strip()
        if value == "0":
            return retry_after_seconds(headers, now) or RATE_LIMITED_DEFAULT_SECONDS
    usage = headers.get("x-business-use-case-usage")
    if usage:
        try:
            entries = [e for group in json.loads(usage).values() for e in group]
            minutes = max(float(e.get("estimated_time_to_regain_access") or 0) for e in entries)
        except (ValueError, TypeError, AttributeError):
            return None
        if minutes > 0:
            return minutes * 60
    return None


ERROR_TEXT_LIMIT = 300
SHORT_PLAIN_TEXT = 100


def error_text(response: httpx.Response) -> str:
    """The network's own words on a failure: the message of its JSON error, else the
    status's reason phrase, or a short plain-text answer (an error code). Never a raw
    body (an HTML page, whatever a server sent), which the Channels and post pages would
    show as it came."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        # A sentence before a code: Bluesky sends {"error": "InvalidRequest", "message": ...}.
        for key in ("error_description", "message", "detail", "error", "title"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:ERROR_TEXT_LIMIT]
    if response.headers.get("content-type", "").startswith("text/plain"):
        text = " ".join(response.text.split())
        if text and len(text) <= SHORT_PLAIN_TEXT:  # a code such as Slack's "no_text"
            return text
    return response.reason_phrase or f"HTTP {response.status_code}"


AUTH_STATUSES = frozenset({401})


def classify_response(response: httpx.Response, *, idempotent: bool) -> Outcome | None:
    """None for a success; otherwise what a failed response means for a publish call."""
    status = response.status_code
    if status < 300:
        return None
    if status < 400:  # redirects are not followed: a login page is not a publication
        return Permanent(
            f"HTTP {status}: unexpected redirect to {response.headers.get('location', '?')[:100]}"
        )
    reason = f"HTTP {status}: {error_text(response)}"
    if status == 429:
        return Transient(reason, retry_after_seconds(response.headers))
    if status in AUTH_STATUSES:
        return Permanent(reason, reauth=True)
    if status >= 500:
        # Without an idempotency mechanism even a 503 may hide an accepted post.
        if idempotent:
            return Transient(reason, retry_after_seconds(response.headers))
        return Unknown(reason)
    return Permanent(reason)


def send(
    session: Session, method: str, url: str, *, idempotent: bool, **kwargs: Any
) -> httpx.Response | Outcome:
    """Make a request; a transport failure becomes an Outcome.

    A connection that was never made cannot have posted anything (Transient);
    a timeout or a broken connection after the request went out might have
    (Unknown, unless the call is idempotent).
    """
    try:
        return session.http.request(method, url, **kwargs)
    except outbound.Refused as exc:  # nothing was sent, and never will be to that address
        return Permanent(str(exc))
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        return Transient(f"Could not connect: {exc.__class__.__name__}")
    except (
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
    ) as exc:
        reason = f"No answer after sending: {exc.__class__.__name__}"
        return Transient(reason) if idempotent else Unknown(reason)
    except httpx.HTTPError as exc:
        return Unknown(f"HTTP error: {exc}")
