"""Real media files for the adapter tests: Pillow images and a short ffmpeg video."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from PIL import Image

from planner.channels.base import MediaFile


def image(
    folder: Path, name: str = "photo.jpg", colour: str | tuple = "teal", alt: str = ""
) -> MediaFile:
    path = folder / name
    kind = {"jpg": "JPEG", "png": "PNG", "gif": "GIF"}[name.rsplit(".", 1)[1]]
    if kind == "GIF":
        frames = [Image.new("RGB", (64, 48), c) for c in (colour, "white", "black")]
        frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100)
    else:
        Image.new("RGB", (320, 240), colour).save(path, kind)
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}[kind]
    return MediaFile(str(path), mime, path.stat().st_size, alt_text=alt, width=320, height=240)


def video(folder: Path, name: str = "clip.mp4", seconds: int = 2) -> MediaFile:
    path = folder / name
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed for the video tests (make test-deps installs it)"
    subprocess.run(
        [
            ffmpeg,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size=320x240:rate=25",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return MediaFile(
        str(path), "video/mp4", path.stat().st_size, width=320, height=240, duration=seconds
    )


def contents(item: MediaFile) -> bytes:
    return Path(item.path).read_bytes()


def served(item: MediaFile, base_url: str) -> MediaFile:
    """The file with the public address a network downloads it from (the test's file server)."""
    import dataclasses

    return dataclasses.replace(item, url=f"{base_url}/{Path(item.path).name}")


def document(folder: Path, name: str = "guide.pdf") -> MediaFile:
    """A two-page PDF (Pillow writes PDF)."""
    path = folder / name
    pages = [Image.new("RGB", (595, 842), c) for c in ("white", "beige")]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    return MediaFile(str(path), "application/pdf", path.stat().st_size)
