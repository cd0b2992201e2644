"""What a video really holds, read by ffprobe (Debian package ``ffmpeg``): its container,
duration, picture size and codecs.

The upload's first bytes already said "MP4", "QuickTime" or "WebM"
(``planner.posts.uploads.sniff``); the probe reads the whole file and must agree: a
container of that family, at least one video stream, a duration. A file that is only a
header, or a renamed something else, is refused with a sentence saying so. A server
without ffprobe refuses videos (images still go through) and says how to install it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from planner.errors import Invalid

PROBE_TIMEOUT_SECONDS = 30
# ffprobe's format_name for each type the upload's bytes announce.
CONTAINERS = {
    "video/mp4": "mov,mp4,m4a,3gp,3g2,mj2",
    "video/quicktime": "mov,mp4,m4a,3gp,3g2,mj2",
    "video/webm": "matroska,webm",
}
INSTALL_HINT = "apt-get install ffmpeg"


@dataclass(frozen=True)
class Probe:
    container: str  # ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float  # seconds
    width: int | None
    height: int | None
    video_codec: str  # e.g. "h264"
    audio_codec: str  # '' when the video is silent


def ffprobe() -> str | None:
    """The ffprobe executable to run, or None when this server has none."""
    return shutil.which(getattr(settings, "FFPROBE_BINARY", "ffprobe") or "ffprobe")


def missing_message() -> str:
    return _(
        "Maillon cannot check videos on this server: ffprobe is not installed. An "
        "administrator can install it with “%(command)s” (Debian or Ubuntu)."
    ) % {"command": INSTALL_HINT}


def _refused(message: str) -> Invalid:
    return Invalid(message, fields={"file": [message]})


def _run(path: str) -> dict | None:
    binary = ffprobe()
    if binary is None:
        raise _refused(missing_message())
    command = [
        binary,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "--",
        path,
    ]
    try:
        done = subprocess.run(  # noqa: S603 (a fixed program and a file we wrote)
            command, capture_output=True, timeout=PROBE_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    try:
        answer = json.loads(done.stdout or b"{}")
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number > 0 else None  # not NaN, positive


def read_probe(answer: dict) -> Probe | None:
    """ffprobe's JSON as a Probe; None when it describes no playable video."""
    streams = [s for s in answer.get("streams") or [] if isinstance(s, dict)]
    fmt = answer.get("format") if isinstance(answer.get("format"), dict) else {}
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video"
            and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    if video is None:
        return None
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _number(fmt.get("duration")) or _number(video.get("duration"))
    if duration is None:
        return None
    width, height = video.get("width"), video.get("height")
    return Probe(
        container=str(fmt.get("format_name") or ""),
        duration=round(duration, 3),
        width=width if isinstance(width, int) and width > 0 else None,
        height=height if isinstance(height, int) and height > 0 else None,
        video_codec=str(video.get("codec_name") or ""),
        audio_codec=str(audio.get("codec_name") or "") if audio else "",
    )


def probe_video(file: IO[bytes], *, name: str, mime_type: str) -> Probe:
    """Probe an uploaded video; ``Invalid`` when it is not the video its bytes announced,
    or when this server cannot probe videos at all."""
    if ffprobe() is None:
        raise _refused(missing_message())
    not_video = _("“%(name)s” is damaged or is not really a video.") % {"name": name}
    path = getattr(file, "temporary_file_path", None)
    if callable(path):
        answer = _run(path())
    else:
        with tempfile.NamedTemporaryFile(suffix=".video") as copy:
            file.seek(0)
            shutil.copyfileobj(file, copy)
            copy.flush()
            answer = _run(copy.name)
    file.seek(0)
    probe = read_probe(answer) if answer is not None else None
    if probe is None:
        raise _refused(not_video)
    if probe.container != CONTAINERS.get(mime_type):
        raise _refused(
            _("“%(name)s” says it is %(type)s but holds something else (%(found)s).")
            % {"name": name, "type": mime_type, "found": probe.container or "?"}
        )
    return probe
