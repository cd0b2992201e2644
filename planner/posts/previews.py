"""How a post will look on each network, for the editor's preview cards.

Everything that decides what is allowed comes from the channel's adapter:
its counters find where the text goes over the limit, its limits say how
many images the network shows, and its validation says what it would refuse
about the media. This module only cuts the text into pieces to draw (links,
hashtags, mentions) and knows where feeds fold long text behind "see more".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import regex
from django.utils.translation import gettext_lazy as _

from planner.channels.base import Adapter
from planner.channels.counting import URL_RE, graphemes
from planner.channels.registry import adapter_for
from planner.models import Channel, Media
from planner.posts.media import media_files, media_problems

# Where a feed cuts a long text behind a "more" link, in characters. These are
# what the apps show on a wide screen (phones cut earlier); the networks
# document none of them, so they are approximations for the preview only.
FOLDS = {"linkedin": 210, "instagram": 125, "facebook": 480}
MORE = {
    "linkedin": _("…see more"),
    "instagram": _("… more"),
    "facebook": _("See more"),
}
# Networks that show the picture above the text.
MEDIA_FIRST = frozenset({"instagram"})

_HASHTAG = r"(?<!\S)#\w*[^\W\d]\w*"
_MENTION = r"(?<![\w@/])@\w(?:[\w.]*\w)?(?:@\w(?:[\w-]*\w)?(?:\.\w(?:[\w-]*\w)?)+)?"
TOKEN_RE = regex.compile(
    rf"(?P<link>{URL_RE.pattern})|(?P<tag>{_HASHTAG})|(?P<mention>{_MENTION})",
    regex.IGNORECASE,
)


@dataclass(frozen=True)
class Segment:
    kind: str  # "text", "link", "tag" or "mention"
    text: str
    over: bool = False  # past the network's limit


@dataclass(frozen=True)
class PreviewMedia:
    media: Media
    alt_text: str


@dataclass
class Preview:
    channel: Channel
    segments: list[Segment]
    folded: bool = False
    more: str = ""
    fold: int | None = None
    over: bool = False
    media: list[PreviewMedia] = field(default_factory=list)
    hidden_media: int = 0  # attached, but past what the network shows
    takes_media: bool = True
    needs_media: bool = False
    media_first: bool = False
    problems: list[str] = field(default_factory=list)
    media_rule: str = ""  # what the network takes, in a sentence (from its Limits)

    @property
    def kind(self) -> str:
        return self.channel.kind

    @property
    def grid(self) -> int:
        return min(len(self.media), 4)


def _is_over(adapter: Adapter, text: str) -> bool:
    return any(count.over for count in adapter.counts(text))


def over_limit_at(adapter: Adapter, text: str) -> int | None:
    """The index in ``text`` where it goes past the network's limits, by the adapter's
    own counters (a binary search over whole characters); None when it fits."""
    if not _is_over(adapter, text):
        return None
    clusters = regex.findall(r"\X", text)
    low, high = 0, len(clusters)  # prefix of ``low`` clusters fits, of ``high`` does not
    while high - low > 1:
        middle = (low + high) // 2
        if _is_over(adapter, "".join(clusters[:middle])):
            high = middle
        else:
            low = middle
    return len("".join(clusters[:low]))


def segments(text: str, over_at: int | None = None) -> list[Segment]:
    """The text as pieces to draw: links, hashtags and mentions apart, each piece split
    where the text goes over the limit."""
    pieces: list[tuple[str, int, int]] = []
    position = 0
    for match in TOKEN_RE.finditer(text):
        if match.start() > position:
            pieces.append(("text", position, match.start()))
        pieces.append((match.lastgroup or "text", match.start(), match.end()))
        position = match.end()
    if position < len(text):
        pieces.append(("text", position, len(text)))
    result = []
    for kind, start, end in pieces:
        if over_at is not None and start < over_at < end:
            result.append(Segment(kind, text[start:over_at]))
            result.append(Segment(kind, text[over_at:end], over=True))
        else:
            result.append(
                Segment(kind, text[start:end], over=over_at is not None and start >= over_at)
            )
    return result


def _fold(kind: str, text: str) -> tuple[str, bool]:
    limit = FOLDS.get(kind)
    if limit is None or graphemes(text) <= limit:
        return text, False
    clusters = regex.findall(r"\X", text)
    return "".join(clusters[:limit]).rstrip(), True


def preview(
    channel: Channel, text: str, media: Sequence[Media], alt_texts: Mapping[int, str]
) -> Preview:
    adapter = adapter_for(channel.kind)
    over_at = over_limit_at(adapter, text)
    shown, folded = _fold(channel.kind, text)
    if folded and over_at is not None and over_at >= len(shown):
        over_at = None  # the fold hides it; the counters still say it is too long
    takes_media = adapter.takes_media
    limit = adapter.limits.max_media if takes_media else 0
    files = media_files(media, alt_texts)
    return Preview(
        channel=channel,
        segments=segments(shown, over_at),
        folded=folded,
        more=str(MORE.get(channel.kind, _("Show more"))),
        fold=FOLDS.get(channel.kind),
        over=over_at is not None,
        media=[PreviewMedia(m, alt_texts.get(m.pk, m.alt_text)) for m in media[:limit]],
        hidden_media=max(0, len(media) - limit) if takes_media else 0,
        takes_media=takes_media,
        needs_media=adapter.limits.requires_media and not media,
        media_first=channel.kind in MEDIA_FIRST,
        problems=media_problems(adapter, text, files) if media else [],
        media_rule=adapter.media_rule() if takes_media else "",
    )


def alt_limit(channels: Sequence[Channel]) -> int | None:
    """The shortest alternative-text limit among the chosen networks that take media."""
    limits = [
        adapter_for(c.kind).limits.max_alt_text for c in channels if adapter_for(c.kind).takes_media
    ]
    return min(limits) if limits else None


@dataclass(frozen=True)
class AltStatus:
    pk: int
    count: int
    limit: int | None
    empty: bool
    is_image: bool

    @property
    def over(self) -> bool:
        return self.limit is not None and self.count > self.limit


def alt_status(media: Media, alt_text: str, limit: int | None) -> AltStatus:
    return AltStatus(
        pk=media.pk,
        count=len(alt_text),  # as the adapters count it
        limit=limit,
        empty=not alt_text.strip(),
        is_image=media.is_image,
    )
