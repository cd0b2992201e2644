"""Each network's media rules, counted in one place (planner/channels/base.py ``Limits``
and ``media_errors``): types, sizes, counts, durations, shapes and which kinds mix."""

from __future__ import annotations

import pytest
from django.utils import translation

from planner.channels.base import Limits, MediaFile, media_errors
from planner.channels.registry import adapter_for


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def image(name="a.jpg", mime="image/jpeg", size=1000, width=1080, height=1080, alt="x"):
    return MediaFile(name, mime, size, alt_text=alt, width=width, height=height)


def video(name="clip.mp4", size=1000, duration=10.0, width=1280, height=720, mime="video/mp4"):
    return MediaFile(name, mime, size, width=width, height=height, duration=duration)


def gif(name="loop.gif", size=1000):
    return MediaFile(name, "image/gif", size, alt_text="x", width=100, height=100)


def errors(kind, *media):
    return media_errors(adapter_for(kind).limits, tuple(media))


# --- X: 4 images OR 1 GIF OR 1 video -------------------------------------------------------


def test_x_counts_gifs_and_videos_apart_from_images():
    assert errors("x", image(), image(), image(), image()) == []
    assert errors("x", gif()) == []
    assert errors("x", video()) == []
    assert errors("x", gif(), gif()) == [
        "A GIF must be the only file of the post here, with no other media."
    ]
    assert errors("x", video(), video()) == [
        "At most 1 video per post here (2 attached).",
        "A video must be the only file of the post here, with no other media.",
    ]


def test_x_sizes_depend_on_the_kind_of_file():
    mb = 1024 * 1024
    assert errors("x", image(size=5 * mb)) == []
    assert errors("x", image(size=5 * mb + 1)) == ["a.jpg: images are limited to 5.24 MB here."]
    assert errors("x", gif(size=15 * mb)) == []
    assert errors("x", gif(size=15 * mb + 1)) == ["loop.gif: GIFs are limited to 15.7 MB here."]
    assert errors("x", video(size=100 * mb)) == []


def test_x_video_duration_and_shape():
    assert errors("x", video(duration=140.0)) == []
    assert errors("x", video(duration=140.5)) == [
        "clip.mp4: videos may last at most 140 s (this one: 140.5 s)."
    ]
    assert errors("x", video(duration=0.2)) == [
        "clip.mp4: videos must last at least 0.5 s (this one: 0.2 s)."
    ]
    assert errors("x", video(width=100, height=400)) == [
        "clip.mp4: its shape (100 x 400) must be between 1:3 and 3:1 (width:height) here."
    ]


def test_a_duration_not_known_is_not_held_against_the_file():
    assert errors("x", video(duration=None)) == []


# --- Instagram: carousel of 2-10 mixed, Reels 3 s - 15 min, feed images 4:5..1.91:1 ----------


def test_instagram_carousel_mixes_images_and_videos_up_to_ten():
    assert errors("instagram", image(), video(), image()) == []
    assert errors("instagram", *([image()] * 10)) == []
    assert errors("instagram", *([image()] * 11)) == ["At most 10 media files (11 attached)."]


def test_instagram_reels_last_3_seconds_to_15_minutes():
    assert errors("instagram", video(duration=3.0)) == []
    assert errors("instagram", video(duration=900.0)) == []
    assert errors("instagram", video(duration=2.0)) == [
        "clip.mp4: videos must last at least 3 s (this one: 2.0 s)."
    ]
    assert errors("instagram", video(duration=901.0)) == [
        "clip.mp4: videos may last at most 900 s (this one: 901.0 s)."
    ]


def test_instagram_feed_images_between_4_5_and_1_91_1():
    assert errors("instagram", image(width=1080, height=1350)) == []  # 4:5
    assert errors("instagram", image(width=1080, height=566)) == []  # 1.91:1
    assert errors("instagram", image(width=1080, height=1920)) == [
        "a.jpg: its shape (1080 x 1920) must be between 4:5 and 1.91:1 (width:height) here."
    ]
    assert errors("instagram", image(width=2000, height=1000)) != []


def test_instagram_needs_a_medium():
    assert errors("instagram") == ["This network needs at least one image or video."]


# --- the others ---------------------------------------------------------------------------


def test_threads_carousel_up_to_twenty_and_five_minute_videos():
    assert errors("threads") == []  # text alone is a Threads post
    assert errors("threads", *([image()] * 20)) == []
    assert errors("threads", *([image()] * 21)) == ["At most 20 media files (21 attached)."]
    assert errors("threads", image(), video()) == []
    assert errors("threads", video(duration=301.0)) == [
        "clip.mp4: videos may last at most 300 s (this one: 301.0 s)."
    ]


def test_facebook_several_photos_or_one_video():
    assert errors("facebook", image(), image(), image()) == []
    assert errors("facebook", video()) == []
    assert errors("facebook", video(), image()) == [
        "A video must be the only file of the post here, with no other media."
    ]


def test_linkedin_twenty_images_or_one_video_of_3_seconds_at_least():
    assert errors("linkedin", *([image()] * 20)) == []
    assert errors("linkedin", video(duration=2.0)) == [
        "clip.mp4: videos must last at least 3 s (this one: 2.0 s)."
    ]


def test_bluesky_four_described_images_or_one_video_of_3_minutes_and_100_mb():
    assert errors("bluesky", *([image()] * 4)) == []
    assert errors("bluesky", image(alt="")) == [
        "a.jpg: this network needs alternative text for every image."
    ]
    limits = adapter_for("bluesky").limits
    assert (limits.max_videos, limits.max_video_seconds, limits.max_video_bytes) == (
        1,
        180.0,
        100_000_000,
    )


def test_mastodon_four_files_or_one_video():
    assert errors("mastodon", *([image()] * 4)) == []
    assert errors("mastodon", video(size=99 * 1024 * 1024)) == []
    assert errors("mastodon", video(), image()) == [
        "A video must be the only file of the post here, with no other media."
    ]


def test_every_network_says_its_rule_in_a_sentence():
    assert adapter_for("x").limits.summary() == (
        "Up to 4 images, or 1 GIF, or 1 video (140 s at most, 537 MB)."
    )
    assert adapter_for("instagram").limits.summary() == (
        "Up to 10 images, up to 10 videos (900 s at most, 315 MB), mixed."
    )
    assert adapter_for("teams").media_rule() == "No images or videos."
    assert adapter_for("mastodon").media_rule() == ("Up to 4 images, or 1 video (104 MB).")
    assert Limits(max_media=0).summary() == "No images or videos."


def test_the_rules_speak_french():
    with translation.override("fr"):
        assert errors("x", video(), image()) == [
            "Une vidéo doit être le seul fichier de la publication ici, sans autre média."
        ]
        assert errors("instagram", video(duration=2.0)) == [
            "clip.mp4 : les vidéos doivent durer au moins 3 s (celle-ci : 2.0 s)."
        ]
