"""Bluesky video and link cards, against the local reference PDS: a video goes up as a
blob (com.atproto.repo.uploadBlob) into an app.bsky.embed.video record; a post whose text
has a link and no media gets an app.bsky.embed.external card read from the page (through
the adapter's safe client, size-bounded), with its image as the thumbnail."""

from __future__ import annotations

from pathlib import Path

from planner.channels.base import MediaFile, Published
from planner.channels.bluesky import page_card
from tests.media_samples import image_bytes, video_bytes
from tests.planner.channels.test_bluesky import (  # noqa: F401 - fixtures
    adapter,
    get_record,
    http,
    message,
    paths,
    pds,
    session_for,
)


def test_a_video_is_uploaded_and_embedded_with_its_shape(pds, http, tmp_path):  # noqa: F811
    path = Path(tmp_path / "clip.mp4")
    path.write_bytes(video_bytes(seconds=2, size="320x240"))
    clip = MediaFile(
        str(path),
        "video/mp4",
        path.stat().st_size,
        alt_text="A test pattern",
        width=320,
        height=240,
        duration=2.0,
    )
    outgoing = message("A clip", media=(clip,))
    outcome = adapter.publish(session_for(pds, http), outgoing)
    assert isinstance(outcome, Published)
    embed = get_record(pds, outgoing.platform_key).json()["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["alt"] == "A test pattern"
    assert embed["aspectRatio"] == {"width": 320, "height": 240}
    assert embed["video"]["mimeType"] == "video/mp4"
    assert embed["video"]["size"] == clip.size


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
