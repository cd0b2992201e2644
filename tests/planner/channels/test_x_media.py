"""X media: images in one request, GIFs and video through the chunked upload (initialize,
append every segment, finalize, STATUS polled while X processes), against a stand-in on
127.0.0.1 that speaks the v2 media upload protocol and keeps what it was sent."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from planner.channels.base import Outgoing, Permanent, Published, Session, Transient
from planner.channels.x import XAdapter
from tests.peers.x_media import XMedia
from tests.planner.channels import samples

TEXT = "Trailhead 2 in motion."


def session_for(server: HTTPServer, http, keys: list[str]) -> Session:
    return Session(
        kind="x",
        base_url=server.url_for("/"),
        handle="@cairn",
        credentials={"access_token": "access-1"},
        http=http,
        save_platform_key=keys.append,
    )


def chunked(size: int = 4096) -> XAdapter:
    adapter = XAdapter()
    adapter.chunk_size = size  # small segments, so that a short clip makes several
    return adapter


def test_a_video_goes_up_in_segments_is_polled_until_processed_then_posted(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, polls_before_done=1)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    outcome = chunked().publish(
        session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(clip,))
    )
    assert isinstance(outcome, Published), outcome
    ((media_id, upload),) = stand_in.uploads.items()
    content = samples.contents(clip)
    assert upload["category"] == "tweet_video"
    assert upload["type"] == "video/mp4"
    assert upload["bytes"] == content
    assert [index for index, _ in upload["segments"]] == list(range(-(-len(content) // 4096)))
    assert len(upload["segments"]) >= 3
    assert stand_in.polls[media_id] == 2  # in progress, then succeeded
    assert stand_in.tweets == [{"text": TEXT, "media": {"media_ids": [media_id]}}]
    assert keys == [f"x-media:p{media_id}"]


def test_a_gif_is_a_tweet_gif_and_images_still_go_up_in_one_request(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, polls_before_done=0)
    photo = samples.image(tmp_path, "summit.png", alt="A pack on a summit")
    gif = samples.image(tmp_path, "loop.gif", alt="A blinking lamp")
    outcome = chunked().publish(
        session_for(httpserver, http, []), Outgoing(text=TEXT, media=(photo, gif))
    )
    assert isinstance(outcome, Published), outcome
    (image_id, image_upload), (gif_id, gif_upload) = stand_in.uploads.items()
    assert image_upload["category"] == "tweet_image"
    assert image_upload["segments"] == []
    assert image_upload["bytes"] == samples.contents(photo)
    assert gif_upload["category"] == "tweet_gif"
    assert gif_upload["bytes"] == samples.contents(gif)
    assert stand_in.tweets[0]["media"] == {"media_ids": [image_id, gif_id]}
    metadata = [r.get_json() for r, _ in httpserver.log if r.path == "/2/media/metadata"]
    assert [m["metadata"]["alt_text"]["text"] for m in metadata] == [
        "A pack on a summit",
        "A blinking lamp",
    ]


def test_failed_processing_is_a_permanent_refusal_in_x_s_words(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, fail="Unsupported video format")
    keys: list[str] = []
    outcome = chunked().publish(
        session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(samples.video(tmp_path),))
    )
    assert isinstance(outcome, Permanent)
    assert "Unsupported video format" in outcome.reason
    assert stand_in.tweets == []
    assert keys[-1] == ""  # nothing left to resume


def test_processing_longer_than_the_budget_is_transient_and_the_next_attempt_resumes(
    httpserver, http, tmp_path, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 1
    stand_in = XMedia(httpserver, polls_before_done=3)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    adapter = chunked()
    first = adapter.publish(session_for(httpserver, http, keys), Outgoing(text=TEXT, media=(clip,)))
    assert isinstance(first, Transient)
    assert first.retry_after and first.retry_after > 0
    assert "still being processed" in first.reason
    assert stand_in.tweets == []
    (media_id,) = stand_in.uploads
    assert keys == [f"x-media:p{media_id}"]

    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    second = adapter.publish(
        session_for(httpserver, http, keys),
        Outgoing(text=TEXT, media=(clip,), platform_key=keys[-1]),
    )
    assert isinstance(second, Published), second
    assert list(stand_in.uploads) == [media_id]  # not uploaded a second time
    inits = [r for r, _ in httpserver.log if r.path.endswith("/initialize")]
    assert len(inits) == 1
    assert stand_in.tweets == [{"text": TEXT, "media": {"media_ids": [media_id]}}]


def test_media_x_no_longer_knows_is_uploaded_again(httpserver, http, tmp_path, settings):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    stand_in = XMedia(httpserver, polls_before_done=0)
    clip = samples.video(tmp_path)
    keys: list[str] = []
    outcome = chunked().publish(
        session_for(httpserver, http, keys),
        Outgoing(text=TEXT, media=(clip,), platform_key="x-media:p42"),
    )
    assert isinstance(outcome, Published), outcome
    (media_id,) = stand_in.uploads
    assert stand_in.uploads[media_id]["bytes"] == samples.contents(clip)
    assert keys == [f"x-media:p{media_id}"]


@pytest.mark.parametrize(
    "mime, category", [("image/gif", "tweet_gif"), ("video/mp4", "tweet_video")]
)
def test_the_media_category_follows_the_file_type(mime, category):
    from planner.channels.x import media_category

    assert media_category(mime) == category
    assert media_category("image/jpeg") == "tweet_image"
