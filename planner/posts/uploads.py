"""What an uploaded file really is, read from its bytes, never from its name.

A file named ``photo.png`` may hold a web page, a script or a PDF; browsers
and networks would each guess differently. So the type comes from the
content: images must be PNG, JPEG, GIF or WebP and must decode with Pillow
(which also gives their size in pixels); videos are MP4 or QuickTime by
their ``ftyp`` box, or WebM by its EBML header, and ffprobe must then find a
video of that container in the whole file (``planner.posts.probing``: duration,
picture size, codecs). Only types that at least one
network accepts get through; each network's own limits are checked later,
by its adapter.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from planner.channels.registry import ADAPTERS, adapter_for
from planner.errors import Invalid
from planner.posts.probing import probe_video

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
# ISO base media brands that mean an MP4 (or M4V) video. HEIC and AVIF images
# share the ftyp box and are deliberately not here.
MP4_BRANDS = frozenset(
    {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "M4V ", "mmp4", "dash"}
)
QUICKTIME_BRAND = "qt  "
_IMAGE_BRANDS = frozenset({"heic", "heix", "heim", "heis", "mif1", "msf1", "avif", "avis"})
HEAD_BYTES = 64


@dataclass(frozen=True)
class Inspected:
    mime_type: str
    size: int
    width: int | None = None
    height: int | None = None
    # For video, from ffprobe (planner.posts.probing).
    duration: float | None = None
    video_codec: str = ""
    audio_codec: str = ""
    container: str = ""

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.mime_type]


@functools.cache
def accepted_types() -> tuple[str, ...]:
    """Every image or video type that some network takes and that can be recognised here."""
    wanted = set()
    for kind in ADAPTERS:
        wanted.update(adapter_for(kind).limits.media_types)
    return tuple(t for t in EXTENSIONS if t in wanted)


def sniff(head: bytes) -> str | None:
    """The media type announced by a file's first bytes, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        box = int.from_bytes(head[:4], "big")
        major = head[8:12].decode("latin-1")
        compatible = {
            head[i : i + 4].decode("latin-1") for i in range(16, min(box, len(head)) - 3, 4)
        }
        if major == QUICKTIME_BRAND:
            return "video/quicktime"
        if major in MP4_BRANDS or (major not in _IMAGE_BRANDS and compatible & MP4_BRANDS):
            return "video/mp4"
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return "video/webm"
    return None


def _not_media(name: str) -> Invalid:
    kinds = ", ".join(EXTENSIONS[t].upper() for t in accepted_types())
    message = _(
        "“%(name)s” is not an image or a video that a network accepts: its content is "
        "not %(kinds)s, whatever its name says."
    ) % {"name": name, "kinds": kinds}
    return Invalid(message, fields={"file": [message]})


def _read_image(file: IO[bytes], name: str, expected: str) -> tuple[int, int]:
    """Decode the image (a broken or disguised file fails here) and return its size."""
    broken = _("“%(name)s” is damaged or is not really an image.") % {"name": name}
    try:
        with warnings.catch_warnings():
            # A "decompression bomb": a few kilobytes that unpack into gigabytes.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            file.seek(0)
            with Image.open(file) as image:
                if IMAGE_FORMATS.get(image.format or "") != expected:
                    raise Invalid(broken, fields={"file": [broken]})
                image.verify()
            file.seek(0)
            with Image.open(file) as image:
                image.load()
                return image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        message = _("“%(name)s” has too many pixels to be processed safely.") % {"name": name}
        raise Invalid(message, fields={"file": [message]}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid(broken, fields={"file": [broken]}) from None


def inspect_upload(file: IO[bytes], *, name: str = "", size: int | None = None) -> Inspected:
    """The file's real type, size and (for images) dimensions; ``Invalid`` with a clear
    sentence when it is empty, too large, or not an image or video any network takes."""
    name = display_name(name or getattr(file, "name", "") or "")
    size = getattr(file, "size", None) if size is None else size
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if not size:
        message = _("“%(name)s” is empty.") % {"name": name}
        raise Invalid(message, fields={"file": [message]})
    limit = settings.MEDIA_MAX_BYTES
    if size > limit:
        message = _("“%(name)s” is %(size)s; files are limited to %(limit)s.") % {
            "name": name,
            "size": filesizeformat(size),
            "limit": filesizeformat(limit),
        }
        raise Invalid(message, fields={"file": [message]})
    file.seek(0)
    mime_type = sniff(file.read(HEAD_BYTES))
    if mime_type is None or mime_type not in accepted_types():
        raise _not_media(name)
    if mime_type.startswith("image/"):
        width, height = _read_image(file, name, mime_type)
        file.seek(0)
        return Inspected(mime_type=mime_type, size=size, width=width, height=height)
    probe = probe_video(file, name=name, mime_type=mime_type)
    file.seek(0)
    return Inspected(
        mime_type=mime_type,
        size=size,
        width=probe.width,
        height=probe.height,
        duration=probe.duration,
        video_codec=probe.video_codec,
        audio_codec=probe.audio_codec,
        container=probe.container,
    )


def display_name(name: str) -> str:
    """The last part of a client-given path, for messages (never trusted for anything else)."""
    return PurePath(name.replace("\\", "/")).name[:120] or _("the file")


def storage_name(original: str, inspected: Inspected) -> str:
    """A plain ASCII file name whose extension tells the truth about the content."""
    stem = PurePath(original.replace("\\", "/")).stem
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "media"
    return f"{stem}.{inspected.extension}"
