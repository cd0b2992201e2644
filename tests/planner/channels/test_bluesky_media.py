"""Bluesky video and link cards, against the local reference PDS: a video goes through
the video service (a stand-in, tests/peers/bluesky_video.py, that checks the PDS's
service-auth tokens and stores the blob in the real PDS) into an app.bsky.embed.video record; a
post whose text has a link and no media gets an app.bsky.embed.external card read from
the page (through the adapter's safe client, size-bounded), with its image as the
thumbnail."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from planner.channels.base import MediaFile, Permanent, Published, Transient
from planner.channels.bluesky import page_card
from tests.media_samples import image_bytes, video_bytes
from tests.peers.bluesky_video import VideoService
from tests.planner.channels.test_bluesky import (  # noqa: F401 - fixtures
    adapter,
    closed_port,
    get_record,
    http,
    message,
    paths,
    pds,
    session_for,
)


@pytest.fixture
def clip(tmp_path) -> MediaFile:
    path = Path(tmp_path / "clip.mp4")
    path.write_bytes(video_bytes(seconds=2, size="320x240"))
    return MediaFile(
        str(path),
        "video/mp4",
        path.stat().st_size,
        alt_text="A test pattern",
        width=320,
        height=240,
        duration=2.0,
    )


def video_service(pds, httpserver, settings, **kwargs) -> VideoService:  # noqa: F811
    service = VideoService(httpserver, pds, **kwargs)
    settings.BLUESKY_VIDEO_SERVICE_URL = service.url
    return service


def test_a_video_goes_through_the_video_service_into_a_blob_the_pds_serves(
    pds,  # noqa: F811
    http,  # noqa: F811
    httpserver,
    settings,
    clip,
):
    service = video_service(pds, httpserver, settings, polls_before_done=1)
    outgoing = message("A clip", media=(clip,))
    outcome = adapter.publish(session_for(pds, http), outgoing)
    assert isinstance(outcome, Published), outcome
    assert service.refused == []
    (job,) = service.jobs.values()
    assert (job["did"], job["name"], job["polls"]) == (pds.did, "clip.mp4", 2)
    embed = get_record(pds, outgoing.platform_key).json()["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "A test pattern"
    assert embed["aspectRatio"] == {"width": 320, "height": 240}
    assert embed["video"]["mimeType"] == "video/mp4"
    assert embed["video"]["size"] == clip.size
    cid = embed["video"]["ref"]["$link"]
    served = httpx.get(pds.xrpc("com.atproto.sync.getBlob"), params={"did": pds.did, "cid": cid})
    assert served.status_code == 200
    assert served.content == Path(clip.path).read_bytes()


def test_the_service_refuses_a_token_for_another_audience(pds, http, httpserver, settings, clip):  # noqa: F811
    """The stand-in is strict: the adapter's token must name the PDS that stores the blob."""
    service = video_service(pds, httpserver, settings, pds_did="did:web:pds.example")
    outcome = adapter.publish(session_for(pds, http), message("A clip", media=(clip,)))
    assert isinstance(outcome, Permanent)
    assert "refused the upload" in outcome.reason and "did:web:pds.example" in outcome.reason
    assert not outcome.reauth
    assert service.jobs == {}


def test_a_job_the_service_fails_is_a_permanent_outcome_with_its_message(
    pds,  # noqa: F811
    http,  # noqa: F811
    httpserver,
    settings,
    clip,
):
    video_service(pds, httpserver, settings, polls_before_done=0, fail="Video is too long")
    outgoing = message("A clip", media=(clip,))
    outcome = adapter.publish(session_for(pds, http), outgoing)
    assert isinstance(outcome, Permanent)
    assert "could not process clip.mp4: Video is too long" in outcome.reason
    assert get_record(pds, outgoing.platform_key).status_code == 400  # no post was made


def test_upload_limits_that_refuse_say_so_before_anything_is_sent(
    pds,  # noqa: F811
    http,  # noqa: F811
    httpserver,
    settings,
    clip,
):
    service = video_service(pds, httpserver, settings, can_upload=False)
    outcome = adapter.publish(session_for(pds, http), message("A clip", media=(clip,)))
    assert isinstance(outcome, Permanent)
    assert "will not take a video" in outcome.reason
    assert "too many videos today" in outcome.reason
    assert service.jobs == {}


def test_an_unreachable_video_service_is_transient(pds, http, settings, clip):  # noqa: F811
    settings.BLUESKY_VIDEO_SERVICE_URL = f"http://127.0.0.1:{closed_port()}"
    outgoing = message("A clip", media=(clip,))
    outcome = adapter.publish(session_for(pds, http), outgoing)
    assert isinstance(outcome, Transient)
    assert "video service" in outcome.reason and "try again" in outcome.reason
    assert get_record(pds, outgoing.platform_key).status_code == 400


def test_a_retry_after_the_budget_polls_the_same_job(pds, http, httpserver, settings, clip):  # noqa: F811
    """Processing slower than the budget: the attempt is retried, and the second upload of
    the same bytes is answered 409 already_exists with the first job, which is polled."""
    service = video_service(pds, httpserver, settings, polls_before_done=1)
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 0.5
    outgoing = message("A clip", media=(clip,))
    first = adapter.publish(session_for(pds, http), outgoing)
    assert isinstance(first, Transient) and first.retry_after
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    second = adapter.publish(session_for(pds, http), outgoing)
    assert isinstance(second, Published), second
    assert len(service.jobs) == 1
    assert get_record(pds, outgoing.platform_key).json()["value"]["embed"]["video"]


def test_a_link_gets_a_card_from_its_page(pds, http, httpserver):  # noqa: F811
    page = (
        "<html><head><title>Ignored title</title>"
        '<meta property="og:title" content="Trailhead 2 &amp; friends">'
        '<meta name="description" content="Repairs free for life.">'
        '<meta property="og:image" content="/cover.png"></head><body>Hi</body></html>'
    )
    httpserver.expect_request("/launch").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/cover.png").respond_with_data(
        image_bytes("PNG", size=(60, 30)), content_type="image/png"
    )
    link = httpserver.url_for("/launch")
    outgoing = message(f"Out now: {link}")
    assert isinstance(adapter.publish(session_for(pds, http), outgoing), Published)
    embed = get_record(pds, outgoing.platform_key).json()["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    external = embed["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        link,
        "Trailhead 2 & friends",
        "Repairs free for life.",
    )
    assert external["thumb"]["mimeType"] == "image/png"


def test_a_page_that_cannot_be_read_leaves_the_post_without_a_card(pds, http, httpserver):  # noqa: F811
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    httpserver.expect_request("/huge-image-page").respond_with_data(
        '<title>Big</title><meta property="og:image" content="/big.png">',
        content_type="text/html",
    )
    httpserver.expect_request("/big.png").respond_with_data(
        b"\x89PNG" + b"\x00" * 1_100_000, content_type="image/png"
    )
    gone = message(f"See {httpserver.url_for('/gone')}")
    assert isinstance(adapter.publish(session_for(pds, http), gone), Published)
    assert "embed" not in get_record(pds, gone.platform_key).json()["value"]
    big = message(f"See {httpserver.url_for('/huge-image-page')}")
    assert isinstance(adapter.publish(session_for(pds, http), big), Published)
    external = get_record(pds, big.platform_key).json()["value"]["embed"]["external"]
    assert external["title"] == "Big" and "thumb" not in external


def test_a_pages_card_reads_open_graph_then_the_title():
    assert page_card("<title>  Plain\n page </title>") == {
        "title": "Plain page",
        "description": "",
        "image": "",
    }
    card = page_card('<meta content="Desc" name="description"><title>T</title>')
    assert (card["title"], card["description"]) == ("T", "Desc")
