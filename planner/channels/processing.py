"""Waiting for a network to process uploaded media, without holding a worker for minutes.

X, LinkedIn, Instagram and Threads process a video (and Instagram any container) after
the upload; the post can only be made once they say it is ready. One attempt waits at
most ``MEDIA_PROCESSING_WAIT_SECONDS`` in all (every poll of every file of the post
shares the budget). Past that the attempt answers ``Transient`` with a ``retry_after``,
after persisting what it uploaded (``Session.save_platform_key``), so the next attempt
polls the same media or container again instead of uploading the file a second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from planner.channels.base import MediaFile, Permanent, Transient

DEFAULT_WAIT = 60.0
# Between two polls when the network suggests nothing, and at most whatever it suggests.
DEFAULT_PAUSE = 2.0
MAX_PAUSE = 30.0
# When processing outlasts an attempt: come back after as long as it waited, at most this.
RETRY_AFTER = 30.0


def wait_seconds() -> float:
    """The setting, read at call time (tests change it)."""
    from django.conf import settings

    return float(getattr(settings, "MEDIA_PROCESSING_WAIT_SECONDS", DEFAULT_WAIT))


class Budget:
    """The time one attempt may still spend waiting for processing."""

    def __init__(
        self,
        seconds: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.seconds = wait_seconds() if seconds is None else seconds
        self.clock = clock
        self.sleep = sleep
        self.ends = clock() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.ends - self.clock())

    def pause(self, suggested: float | None = None) -> bool:
        """Sleep before the next poll (the network's suggestion, bounded); False when the
        budget is spent and the caller should give up for this attempt."""
        left = self.remaining()
        if left <= 0:
            return False
        wanted = DEFAULT_PAUSE if suggested is None else float(suggested)
        self.sleep(min(left, max(0.0, min(MAX_PAUSE, wanted))))
        return True

    def exceeded(self, what: str) -> Transient:
        return Transient(
            f"{what} was still being processed after {self.seconds:g} s; nothing was "
            "published yet. The next attempt checks it again without uploading it again.",
            retry_after=min(RETRY_AFTER, max(1.0, self.seconds)),
        )


def read_bytes(item: MediaFile) -> bytes | Permanent:
    try:
        return Path(item.path).read_bytes()
    except OSError as exc:
        return Permanent(f"The media file {Path(item.path).name} cannot be read: {exc}.")


def is_video(item: MediaFile) -> bool:
    return item.mime_type.startswith("video/")


def chunks(content: bytes, size: int) -> list[bytes]:
    return [content[i : i + size] for i in range(0, len(content), size)] or [b""]


# --- what an attempt persists for the next one ---------------------------------------------
# ``Outgoing.platform_key`` holds at most 100 characters: "<prefix>:<id>,<id>...".


def saved_ids(platform_key: str, prefix: str) -> list[str]:
    if not platform_key.startswith(prefix + ":"):
        return []
    return [part for part in platform_key[len(prefix) + 1 :].split(",") if part]


# Publication.platform_key's length.
MAX_KEY = 2000


def ids_key(prefix: str, ids: list[str]) -> str:
    """The key to persist, or '' when the ids do not fit (then nothing is resumed)."""
    key = f"{prefix}:{','.join(ids)}"
    return key if len(key) <= MAX_KEY else ""
