"""The demo networks that `make run` starts: the demo channels, as the seed sets them up,
publish to it through the real engine, and its page shows what it received."""

from __future__ import annotations

import datetime as dt
import html
import io
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone

from calendar_project.demo_networks import LABELS, DemoServer
from planner.channels.base import Published, new_http_client
from planner.channels.registry import adapter_for
from planner.demo.cast import demo_channels
from planner.models import Channel, ChannelKind, Media, Post, Publication
from planner.models import PublicationState as P
from planner.planning import services
from planner.posts import actions
from planner.publishing import control, engine, outgoing
from planner.workflow import State
from tests.factories import PostFactory

K = ChannelKind
# Kinds that take an image (Instagram requires one); the others get a text post.
WITH_IMAGE = (K.MASTODON, K.BLUESKY, K.X, K.INSTAGRAM, K.DISCORD, K.WEBHOOK)


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    server = DemoServer(port=0)  # a free port
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def connect_demo_channels(cast, server: DemoServer) -> dict[str, Channel]:
    """Every kind of channel, set up exactly as the seed sets up the demo's."""
    return {
        kind: services.channel_save(
            actor=cast.admin,
            workspace=cast.workspace,
            kind=kind,
            name=name,
            handle=handle,
            base_url=base_url,
            credentials=credentials,
        )
        for kind, (name, handle, base_url, credentials) in demo_channels(server.url).items()
    }


def approved_post(cast, channels, body: str, *, image_in=None) -> Post:
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=channels, body=body)
    if image_in is not None:
        attach_image(post, image_in)
    actions.post_submit(actor=cast.content, post=post)
    return actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )


def attach_image(post: Post, media_root) -> None:
    path = media_root / "demo" / "trailhead.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 512 + b"\xff\xd9")
    Media.objects.create(
        post=post,
        file="demo/trailhead.jpg",
        mime_type="image/jpeg",
        size=path.stat().st_size,
        alt_text="A green backpack on a trail sign.",
    )


def make_all_due(posts) -> None:
    now = timezone.now() - dt.timedelta(seconds=1)
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(scheduled_at=now)
    Publication.objects.filter(post__in=posts).update(due_at=now)


def run_engine() -> list[str]:
    """Every due send, as the senders run them; a post whose channel's posting limit is
    used up (the demo Slack takes one a second) goes when its slot frees."""
    results: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        claim = engine.publication_claim_next()
        if claim is None:
            if not Publication.objects.filter(state__in=(P.SCHEDULED, P.RETRY_WAIT)).exists():
                break
            time.sleep(0.2)
            continue
        state = engine.publication_send(publication_id=claim.publication_id, token=claim.token)
        if state != "skipped":
            results.append(state)
    return results


def the_page(server: DemoServer) -> str:
    response = httpx.get(server.url + "/")
    assert response.status_code == 200
    return response.text


# --- the channels as the seed makes them ----------------------------------------------------


def test_every_demo_channel_points_at_the_demo_networks_on_127_0_0_1():
    channels = demo_channels()
    assert set(channels) == set(K)
    for kind, (_name, _handle, base_url, credentials) in channels.items():
        assert urlsplit(base_url).hostname == "127.0.0.1", kind
        urls = [value for key, value in credentials.items() if key.endswith("_url")]
        assert all(urlsplit(url).hostname == "127.0.0.1" for url in urls), kind


def test_every_demo_credential_is_one_the_adapter_reads():
    for kind, (*_rest, credentials) in demo_channels().items():
        fields = adapter_for(kind).credential_fields
        assert set(credentials) <= set(fields), kind
        if "webhook_url" in fields:
            assert credentials["webhook_url"].startswith("http://127.0.0.1:8025/" + kind), kind


# --- publishing through the engine -----------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_of_demo_channel_publishes_to_the_demo_networks(
    cast, demo_server, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    channels = connect_demo_channels(cast, demo_server)
    with_image = approved_post(
        cast,
        [channels[k] for k in WITH_IMAGE],
        "Trailhead 2, photographed at the col.",
        image_in=tmp_path,
    )
    text_only = approved_post(
        cast,
        [c for k, c in channels.items() if k not in WITH_IMAGE],
        "Repair café on Saturday: bring any bag, any brand. #repair <3 & thanks",
    )
    make_all_due([with_image, text_only])

    assert run_engine() == [P.PUBLISHED] * len(K)

    for post in (with_image, text_only):
        post.refresh_from_db()
        assert post.state == State.PUBLISHED
    received = {post.network: post for post in demo_server.inbox.posts}
    assert set(received) == set(K)
    for kind in K:
        expected = with_image if kind in WITH_IMAGE else text_only
        assert received[kind].text == expected.body, kind
        assert received[kind].media == (1 if kind in WITH_IMAGE else 0), kind
    page = the_page(demo_server)
    for label in LABELS.values():
        assert label in page
    assert html.escape(text_only.body) in page


@pytest.mark.django_db
def test_a_resend_of_the_same_publication_is_received_once(cast, demo_server):
    """Mastodon, Bluesky and the generic webhook recognise a resend; so does the stand-in."""
    channels = connect_demo_channels(cast, demo_server)
    kinds = (K.MASTODON, K.BLUESKY, K.WEBHOOK)
    post = approved_post(cast, [channels[k] for k in kinds], "Once, however often it is sent.")
    make_all_due([post])
    assert run_engine() == [P.PUBLISHED] * 3
    # As if the answers had been lost: the same publications are sent again.
    with new_http_client() as http:
        for publication in Publication.objects.filter(post=post).select_related("channel"):
            session = outgoing.session_for(publication.channel, http)
            outcome = adapter_for(publication.channel.kind).publish(
                session, outgoing.outgoing_post(publication)
            )
            assert outcome == Published(publication.external_id, publication.external_url)
    assert len(demo_server.inbox.posts) == 3


@pytest.mark.django_db
def test_a_retracted_demo_post_shows_as_deleted(cast, demo_server):
    channels = connect_demo_channels(cast, demo_server)
    post = approved_post(cast, [channels[K.MASTODON]], "Wrong price: €149.")
    make_all_due([post])
    assert run_engine() == [P.PUBLISHED]
    publication = Publication.objects.get(post=post)
    actions.post_retract(actor=cast.marketing, post=post, reason="Wrong price.")
    assert control.publication_retract(publication_id=publication.pk) == P.RETRACTED
    assert demo_server.inbox.posts[0].deleted
    assert "deleted by Maillon" in the_page(demo_server)


@pytest.mark.django_db
def test_the_seeds_approved_posts_all_go_out_on_the_demo_networks(demo_server):
    call_command("seed_demo", f"--networks-url={demo_server.url}", stdout=io.StringIO())
    seeded = {c.kind: (c.name, c.handle, c.base_url, c.credentials) for c in Channel.objects.all()}
    assert seeded == demo_channels(demo_server.url)
    approved = list(Post.objects.filter(state=State.APPROVED))
    soon = [p for p in approved if p.scheduled_at < timezone.now() + dt.timedelta(minutes=10)]
    assert len(soon) >= 3, "a new user should see posts go out within minutes"
    make_all_due(approved)

    results = run_engine()

    assert results and set(results) == {P.PUBLISHED}
    assert not Post.objects.filter(pk__in=[p.pk for p in approved]).exclude(state=State.PUBLISHED)
    page = the_page(demo_server)
    for post in soon:
        assert html.escape(post.body) in page


# --- the server itself ---------------------------------------------------------------------


def test_it_listens_on_the_loopback_address_only(demo_server):
    assert demo_server.server_address[0] == "127.0.0.1"


def test_the_page_says_it_is_a_local_stand_in_and_refreshes_itself(demo_server):
    page = the_page(demo_server)
    assert "Demo networks: what Maillon published" in page
    assert "nothing here left your computer" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "Nothing received yet." in page


def test_an_unknown_call_is_answered_404_and_a_browser_is_sent_to_the_page(demo_server):
    api = httpx.post(demo_server.url + "/mastodon/api/v9/nothing")
    assert api.status_code == 404
    assert "do not imitate" in api.json()["message"]
    browser = httpx.get(demo_server.url + "/x/posts/123", headers={"Accept": "text/html"})
    assert (browser.status_code, browser.headers["location"]) == (303, "/")


@pytest.mark.django_db
def test_the_demo_networks_take_images_videos_and_carousels_as_the_adapters_send_them(
    cast, demo_server, tmp_path, settings
):
    """The upload protocols of X (chunked video), Bluesky (the video service), LinkedIn
    (Images and Videos APIs), Facebook (photos, resumable video) and the Instagram/Threads
    carousels, as far as a demo needs."""
    import dataclasses

    from planner.channels.base import Outgoing
    from tests.planner.channels import samples

    channels = connect_demo_channels(cast, demo_server)
    settings.BLUESKY_VIDEO_SERVICE_URL = f"{demo_server.url}/bluesky"
    photos = tuple(
        dataclasses.replace(samples.image(tmp_path, f"{n}.jpg"), url=f"https://m.example/{n}.jpg")
        for n in range(3)
    )
    clip = dataclasses.replace(samples.video(tmp_path), url="https://m.example/clip.mp4")
    cases = [
        (K.X, (clip,), 1),
        (K.BLUESKY, (dataclasses.replace(clip, alt_text="A test pattern"),), 1),
        (K.LINKEDIN, photos, 3),
        (K.LINKEDIN, (clip,), 1),
        (K.FACEBOOK, photos[:1], 1),
        (K.FACEBOOK, photos, 3),
        (K.FACEBOOK, (clip,), 1),
        (K.INSTAGRAM, (*photos, clip), 4),
        (K.THREADS, photos[:2], 2),
    ]
    with new_http_client() as http:
        for number, (kind, media, _) in enumerate(cases):
            session = outgoing.session_for(channels[kind], http)
            key = adapter_for(kind).platform_key() if kind == K.BLUESKY else ""
            message = Outgoing(text=f"Demo media post {number}", media=media, platform_key=key)
            outcome = adapter_for(kind).publish(session, message)
            assert isinstance(outcome, Published), (kind, outcome)
    received = [(p.network, p.text, p.media) for p in demo_server.inbox.posts]
    assert received == [
        (kind, f"Demo media post {number}", count) for number, (kind, _, count) in enumerate(cases)
    ]
