"""Each network's own way of counting a post's length. Pure functions.

The editor's live counters and the adapters' validation both call these, so
what the page shows is what the network will accept.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import regex

# A URL as the networks see one: scheme, host, then anything up to a space.
URL_RE = regex.compile(r"https?://[^\s<>\"]+[^\s<>\"\.,;:!?\)\]'\u2019]", regex.IGNORECASE)
# @user@domain: Mastodon counts only "@user".
REMOTE_MENTION_RE = regex.compile(r"(?<![\w@])(@[\w.]+)@[\w.-]+\.\w+", regex.UNICODE)
URL_LENGTH = 23


def graphemes(text: str) -> int:
    """User-perceived characters: a flag, a family emoji or é with a combining accent is one."""
    return len(regex.findall(r"\X", text))


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def urls(text: str) -> list[str]:
    return URL_RE.findall(text)


def mastodon_length(text: str, *, url_length: int = URL_LENGTH) -> int:
    """Graphemes, with every URL counting ``url_length`` and remote mentions their local part."""
    text = REMOTE_MENTION_RE.sub(r"\1", text)
    text = URL_RE.sub("x" * url_length, text)
    return graphemes(text)


# twitter-text configuration v3: code points in these ranges weigh 100, all
# others 200; an emoji sequence weighs 200 whatever its length; limit 280 x 100.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_EMOJI_RE = regex.compile(r"\p{Extended_Pictographic}|\p{Regional_Indicator}")


def _x_weight(cluster: str) -> int:
    if _EMOJI_RE.search(cluster):
        return 200
    weight = 0
    for char in cluster:
        point = ord(char)
        light = any(low <= point <= high for low, high in _X_LIGHT_RANGES)
        weight += 100 if light else 200
    return weight


def x_length(text: str) -> int:
    """X's weighted length (NFC, URL = 23, emoji = 2, CJK = 2), in characters of 280."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in URL_RE.finditer(text):
        total += sum(_x_weight(c) for c in regex.findall(r"\X", text[position : match.start()]))
        total += URL_LENGTH * 100
        position = match.end()
    total += sum(_x_weight(c) for c in regex.findall(r"\X", text[position:]))
    return (total + 99) // 100


@dataclass(frozen=True)
class Count:
    """One counter shown in the editor: its value, its limit and what it counts."""

    label: str
    value: int
    limit: int

    @property
    def over(self) -> bool:
        return self.value > self.limit

    @property
    def remaining(self) -> int:
        return self.limit - self.value
