"""Facebook Pages, Instagram and Threads with media, against a stand-in Graph API on
127.0.0.1. Like Meta, the stand-in downloads ``image_url`` / ``video_url`` / ``file_url``
from the address it is given (a real file server here), processes containers over a few
status polls, and refuses to publish a container that is not FINISHED."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from planner.channels.base import Outgoing, Permanent, Published, Session, Transient
from planner.channels.meta import FacebookAdapter, InstagramAdapter, ThreadsAdapter
from planner.models import ChannelKind, Publication
from planner.publishing import outgoing
from tests.factories import ChannelFactory, PostFactory
from tests.peers.meta_graph import IG_USER, PAGE, THREADS_USER, Containers, FacebookPage
from tests.planner.channels import samples

TEXT = "Trailhead 2, out now."


def session_for(server: HTTPServer, http, kind: str, keys: list[str] | None = None) -> Session:
    credentials = {
        "facebook": {"page_id": PAGE, "page_access_token": "page-token"},
        "instagram": {"ig_user_id": IG_USER, "access_token": "ig-token"},
        "threads": {"threads_user_id": THREADS_USER, "access_token": "threads-token"},
    }[kind]
    return Session(
        kind,
        server.url_for("/"),
        "",
        credentials,
        http,
        save_platform_key=(keys if keys is not None else []).append,
    )


def fast(adapter):
    adapter.poll_interval = 0.05
    return adapter


# --- Facebook ---------------------------------------------------------------------------


def test_facebook_one_photo_is_a_post_with_the_text_as_caption(httpserver, http, tmp_path):
    page = FacebookPage(httpserver)
    photo = samples.image(tmp_path, alt="A pack on a summit")
    outcome = FacebookAdapter().publish(
        session_for(httpserver, http, "facebook"), Outgoing(text=TEXT, media=(photo,))
    )
    ((photo_id, stored),) = page.photos.items()
    assert outcome == Published(f"{PAGE}_{photo_id}", f"https://www.facebook.com/{PAGE}_{photo_id}")
    assert stored["bytes"] == samples.contents(photo)
    assert stored["form"] == {"message": TEXT, "alt_text_custom": "A pack on a summit"}
    assert page.feed == []


def test_facebook_several_photos_are_unpublished_then_attached_to_one_post_in_order(
    httpserver, http, tmp_path
):
    page = FacebookPage(httpserver)
    photos = [
        samples.image(tmp_path, f"p{n}.jpg", colour=c)
        for n, c in enumerate(("red", "blue", "gold"))
    ]
    outcome = FacebookAdapter().publish(
        session_for(httpserver, http, "facebook"), Outgoing(text=TEXT, media=tuple(photos))
    )
    assert isinstance(outcome, Published), outcome
    ids = list(page.photos)
    assert [page.photos[i]["bytes"] for i in ids] == [samples.contents(p) for p in photos]
    assert all(page.photos[i]["form"] == {"published": "false"} for i in ids)
    (post,) = page.feed
    assert post == {
        "message": TEXT,
        **{f"attached_media[{n}]": json.dumps({"media_fbid": i}) for n, i in enumerate(ids)},
    }


def test_facebook_a_video_goes_up_by_resumable_upload_even_with_an_address(
    httpserver, http, tmp_path, file_server
):
    page = FacebookPage(httpserver)
    clip = samples.video(tmp_path)
    adapter = FacebookAdapter()
    session = session_for(httpserver, http, "facebook")
    uploaded = adapter.publish(session, Outgoing(text=TEXT, media=(clip,), title="Trailhead 2"))
    addressed = adapter.publish(
        session, Outgoing(text=TEXT, media=(samples.served(clip, file_server),))
    )
    assert isinstance(uploaded, Published) and isinstance(addressed, Published)
    first, second = page.videos
    assert first["bytes"] == second["bytes"] == samples.contents(clip)
    assert first["form"] == {
        "upload_session_id": first["form"]["upload_session_id"],
        "description": TEXT,
        "title": "Trailhead 2",
    }
    assert "file_url" not in second["form"]
    assert uploaded.external_id == first["id"]


def test_facebook_a_video_larger_than_a_chunk_goes_up_in_several_transfers(
    httpserver, http, tmp_path, settings
):
    clip = samples.video(tmp_path)
    size = len(samples.contents(clip))
    page = FacebookPage(httpserver, chunk_bytes=size // 3 + 1, polls_before_ready=1)
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    outcome = FacebookAdapter().publish(
        session_for(httpserver, http, "facebook"), Outgoing(text=TEXT, media=(clip,))
    )
    assert isinstance(outcome, Published), outcome
    chunk = size // 3 + 1
    assert page.transfers == [(0, chunk), (chunk, chunk), (2 * chunk, size - 2 * chunk)]
    (video,) = page.videos
    assert video["bytes"] == samples.contents(clip)
    assert page.status_polls[video["id"]] == 2  # processing, then ready
    assert outcome.external_id == video["id"]


def test_facebook_a_video_facebook_cannot_process_is_a_permanent_outcome(
    httpserver, http, tmp_path, settings
):
    FacebookPage(httpserver, polls_before_ready=0, processing_error="Video format not supported")
    outcome = FacebookAdapter().publish(
        session_for(httpserver, http, "facebook"),
        Outgoing(text=TEXT, media=(samples.video(tmp_path),)),
    )
    assert isinstance(outcome, Permanent)
    assert "could not process the video clip.mp4: Video format not supported" in outcome.reason


def test_facebook_a_link_in_the_text_is_posted_for_its_preview(httpserver, http):
    page = FacebookPage(httpserver)
    text = "Read the field test https://cairn.example/field-test and more https://x.example/"
    outcome = FacebookAdapter().publish(
        session_for(httpserver, http, "facebook"), Outgoing(text=text)
    )
    assert isinstance(outcome, Published)
    assert page.feed == [{"message": text, "link": "https://cairn.example/field-test"}]


# --- Instagram --------------------------------------------------------------------------


def test_instagram_a_carousel_of_images_and_a_video_keeps_its_order(
    httpserver, http, tmp_path, file_server, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    graph = Containers(httpserver, "instagram", polls=1)
    media = tuple(
        samples.served(item, file_server)
        for item in (
            samples.image(tmp_path, "a.jpg", colour="red"),
            samples.video(tmp_path),
            samples.image(tmp_path, "b.jpg", colour="blue"),
        )
    )
    keys: list[str] = []
    outcome = fast(InstagramAdapter()).publish(
        session_for(httpserver, http, "instagram", keys), Outgoing(text=TEXT, media=media)
    )
    assert isinstance(outcome, Published), outcome
    carousel = keys[-1]
    assert graph.containers[carousel]["form"]["media_type"] == "CAROUSEL"
    assert graph.containers[carousel]["form"]["caption"] == TEXT
    children = graph.children_of(carousel)
    assert [c["bytes"] for c in children] == [samples.contents(m) for m in media]
    assert [c["form"].get("media_type", "IMAGE") for c in children] == ["IMAGE", "VIDEO", "IMAGE"]
    assert all(c["form"]["is_carousel_item"] == "true" for c in children)
    assert keys[0].startswith("children:")  # the items were kept before the carousel existed
    assert len(graph.published) == 1


def test_instagram_a_video_is_a_reel(httpserver, http, tmp_path, file_server, settings):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    graph = Containers(httpserver, "instagram", polls=2)
    clip = samples.served(samples.video(tmp_path), file_server)
    keys: list[str] = []
    outcome = fast(InstagramAdapter()).publish(
        session_for(httpserver, http, "instagram", keys), Outgoing(text=TEXT, media=(clip,))
    )
    assert isinstance(outcome, Published), outcome
    (container,) = keys
    assert graph.containers[container]["form"] == {
        "media_type": "REELS",
        "video_url": clip.url,
        "caption": TEXT,
    }
    assert graph.containers[container]["bytes"] == samples.contents(clip)


def test_instagram_an_item_that_fails_processing_is_a_permanent_refusal(
    httpserver, http, tmp_path, file_server, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    graph = Containers(httpserver, "instagram", broken="bad.jpg")
    media = (
        samples.served(samples.image(tmp_path, "good.jpg"), file_server),
        samples.served(samples.image(tmp_path, "bad.jpg"), file_server),
    )
    outcome = fast(InstagramAdapter()).publish(
        session_for(httpserver, http, "instagram"), Outgoing(text=TEXT, media=media)
    )
    assert isinstance(outcome, Permanent)
    assert "Media download has failed" in outcome.reason
    assert graph.published == []


def test_instagram_slow_processing_is_transient_and_the_next_attempt_resumes(
    httpserver, http, tmp_path, file_server, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 1
    graph = Containers(httpserver, "instagram", polls=40)
    adapter = InstagramAdapter()
    adapter.poll_interval = 0.2
    media = (
        samples.served(samples.image(tmp_path, "a.jpg"), file_server),
        samples.served(samples.video(tmp_path), file_server),
    )
    keys: list[str] = []
    first = adapter.publish(
        session_for(httpserver, http, "instagram", keys), Outgoing(text=TEXT, media=media)
    )
    assert isinstance(first, Transient), first
    assert first.retry_after
    assert graph.published == []
    made = dict(graph.containers)
    assert keys == ["children:" + ",".join(made)]

    graph.polls = 1  # processing is over by the next attempt
    for container in graph.containers.values():
        container["reads"] = max(container["reads"], 1)
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    second = adapter.publish(
        session_for(httpserver, http, "instagram", keys),
        Outgoing(text=TEXT, media=media, platform_key=keys[-1]),
    )
    assert isinstance(second, Published), second
    carousel = keys[-1]
    assert graph.containers[carousel]["form"]["children"] == ",".join(made)  # items reused
    assert set(graph.containers) == {*made, carousel}
    assert len(graph.published) == 1


@pytest.mark.django_db
def test_instagram_a_ten_item_carousel_resumes_from_its_item_ids_kept_in_the_database(
    httpserver, http, tmp_path, file_server, settings
):
    """Ten 17-digit item ids ("children:<id>,...", 188 characters) are kept on the
    publication as they are, and the next attempt makes the carousel from them."""
    channel = ChannelFactory(
        kind=ChannelKind.INSTAGRAM,
        base_url=httpserver.url_for("/"),
        credentials={"ig_user_id": IG_USER, "access_token": "ig-token"},
    )
    post = PostFactory(workspace=channel.workspace, channels=[channel])
    publication = Publication.objects.create(post=post, channel=channel, due_at=post.scheduled_at)
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 1
    graph = Containers(httpserver, "instagram", polls=40)
    adapter = InstagramAdapter()
    adapter.poll_interval = 0.2
    media = tuple(
        samples.served(samples.image(tmp_path, f"{n}.jpg", colour=(20 * n, 0, 0)), file_server)
        for n in range(10)
    )
    first = adapter.publish(
        outgoing.session_for(channel, http, publication.pk), Outgoing(text=TEXT, media=media)
    )
    assert isinstance(first, Transient), first  # the items are still processing
    made = list(graph.containers)
    assert len(made) == 10 and graph.published == []
    publication.refresh_from_db()
    assert publication.platform_key == "children:" + ",".join(made)
    assert len(publication.platform_key) > 100

    graph.polls = 1  # processing is over by the next attempt
    for container in graph.containers.values():
        container["reads"] = max(container["reads"], 1)
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    second = adapter.publish(
        outgoing.session_for(channel, http, publication.pk),
        Outgoing(text=TEXT, media=media, platform_key=publication.platform_key),
    )
    assert isinstance(second, Published), second
    (carousel,) = set(graph.containers) - set(made)  # no item made again
    assert graph.containers[carousel]["form"]["children"] == ",".join(made)
    assert [c["bytes"] for c in graph.children_of(carousel)] == [samples.contents(m) for m in media]
    assert len(graph.published) == 1
    publication.refresh_from_db()
    assert publication.platform_key == carousel


def test_instagram_more_than_ten_items_are_refused_before_any_call(httpserver, http, tmp_path):
    media = tuple(samples.image(tmp_path, f"{n}.jpg") for n in range(11))
    media = tuple(samples.served(m, "https://media.example") for m in media)
    outcome = InstagramAdapter().publish(
        session_for(httpserver, http, "instagram"), Outgoing(text=TEXT, media=media)
    )
    assert isinstance(outcome, Permanent)
    assert httpserver.log == []


# --- Threads ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["image", "video"])
def test_threads_an_image_or_a_video_post(httpserver, http, tmp_path, file_server, settings, kind):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    graph = Containers(httpserver, "threads", polls=1)
    item = samples.image(tmp_path, alt="A lamp") if kind == "image" else samples.video(tmp_path)
    item = samples.served(item, file_server)
    keys: list[str] = []
    outcome = fast(ThreadsAdapter()).publish(
        session_for(httpserver, http, "threads", keys), Outgoing(text=TEXT, media=(item,))
    )
    assert isinstance(outcome, Published), outcome
    (container,) = keys
    form = graph.containers[container]["form"]
    if kind == "image":
        assert form == {
            "media_type": "IMAGE",
            "image_url": item.url,
            "text": TEXT,
            "alt_text": "A lamp",
        }
    else:
        assert form == {"media_type": "VIDEO", "video_url": item.url, "text": TEXT}
    assert graph.containers[container]["bytes"] == samples.contents(item)


def test_threads_a_carousel_of_twenty(httpserver, http, tmp_path, file_server, settings):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 20
    graph = Containers(httpserver, "threads", polls=1)
    media = tuple(
        samples.served(samples.image(tmp_path, f"{n}.png", colour=(n * 12, 0, 0)), file_server)
        for n in range(20)
    )
    keys: list[str] = []
    outcome = fast(ThreadsAdapter()).publish(
        session_for(httpserver, http, "threads", keys), Outgoing(text=TEXT, media=media)
    )
    assert isinstance(outcome, Published), outcome
    carousel = keys[-1]
    assert graph.containers[carousel]["form"]["media_type"] == "CAROUSEL"
    assert graph.containers[carousel]["form"]["text"] == TEXT
    children = graph.children_of(carousel)
    assert [c["bytes"] for c in children] == [samples.contents(m) for m in media]
    assert {c["form"]["media_type"] for c in children} == {"IMAGE"}


def test_threads_a_video_in_error_is_a_permanent_refusal(
    httpserver, http, tmp_path, file_server, settings
):
    settings.MEDIA_PROCESSING_WAIT_SECONDS = 10
    graph = Containers(httpserver, "threads", broken="clip.mp4")
    clip = samples.served(samples.video(tmp_path), file_server)
    outcome = fast(ThreadsAdapter()).publish(
        session_for(httpserver, http, "threads"), Outgoing(text=TEXT, media=(clip,))
    )
    assert isinstance(outcome, Permanent)
    assert "Media download has failed" in outcome.reason
    assert graph.published == []
