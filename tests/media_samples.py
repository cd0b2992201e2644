"""Real media files for tests, made on the spot: Pillow for images, ffmpeg for video
(a few seconds of its test pattern, H.264 in MP4, with or without sound) and GIFs."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

_DIR = Path(tempfile.mkdtemp(prefix="maillon-media-samples-"))


def image_bytes(fmt: str = "PNG", size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _ffmpeg(*args: str) -> None:
    binary = shutil.which("ffmpeg")
    assert binary, "ffmpeg is needed by the media tests: apt-get install ffmpeg"
    subprocess.run(
        [binary, "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120
    )


@functools.cache
def video_bytes(
    seconds: float = 2.0, size: str = "320x240", audio: bool = True, fmt: str = "mp4"
) -> bytes:
    """A real video: ffmpeg's test pattern (and a sine tone), H.264/AAC in MP4, or
    VP9/Opus in WebM."""
    out = _DIR / f"v-{seconds}-{size}-{audio}.{fmt}"
    args = ["-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=10"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if fmt == "webm":
        args += ["-c:v", "libvpx-vp9", "-b:v", "100k", "-deadline", "realtime"]
        args += ["-c:a", "libopus"] if audio else []
    else:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        args += ["-c:a", "aac"] if audio else []
        args += ["-movflags", "+faststart"]
    _ffmpeg(*args, "-shortest", str(out))
    return out.read_bytes()


@functools.cache
def gif_bytes(seconds: float = 1.0, size: str = "64x48") -> bytes:
    """An animated GIF, made by ffmpeg from its test pattern."""
    out = _DIR / f"g-{seconds}-{size}.gif"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=5", str(out))
    return out.read_bytes()


def mp4(name: str = "clip.mp4", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, video_bytes(**kwargs), content_type="video/mp4")


def gif(name: str = "loop.gif", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, gif_bytes(**kwargs), content_type="image/gif")
