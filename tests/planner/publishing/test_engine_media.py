"""Posts with media through the real engine (Celery beat and a prefork worker against Redis
and the test database), to stand-ins that speak the networks' upload protocols."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from planner.models import ChannelKind, Media, Post, Publication
from planner.models import PublicationState as P
from planner.workflow import State
from tests import processes
from tests.factories import ChannelFactory, PostFactory
from tests.media_samples import video_bytes
from tests.peers.bluesky_pds import bluesky_channel, new_account, post_records
from tests.peers.bluesky_video import VideoService
from tests.peers.meta_graph import IG_USER, PAGE, Containers, FacebookPage
from tests.peers.x_media import XMedia
from tests.planner.publishing.test_engine_live import FAST, approve

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg(colour: str) -> bytes:
    from io import BytesIO

    out = BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


def png(colour: str) -> bytes:
    from io import BytesIO

    out = BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "PNG")
    return out.getvalue()


def due_post(cast, channel, body: str, files: list[tuple[str, str, bytes]]) -> Post:
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        body=body,
        channels=[channel],
        scheduled_at=timezone.now() + timezone.timedelta(hours=1),
    )
    for position, (name, mime, content) in enumerate(files):
        media = Media(post=post, mime_type=mime, size=len(content), position=position)
        media.file.save(name, ContentFile(content), save=True)
    post = approve(cast, post)
    when = timezone.now() + timezone.timedelta(seconds=2)
    Post.objects.filter(pk=post.pk).update(scheduled_at=when)
    Publication.objects.filter(post=post).update(due_at=when)
    return post


def test_an_instagram_image_slower_than_the_budget_is_retried_and_published_once(
    cast,
    httpserver,
    live_server,
    tmp_path,
    settings,
):
    """Instagram takes 4 s to process the container; an attempt waits 1 s at most. The
    engine persists the container id, retries, and the next attempts poll the same
    container: one container, one publish, and Instagram downloaded the image Maillon
    serves at the publication's signed address (the live server is Maillon's web)."""
    media_root = tmp_path / "files"
    settings.MEDIA_ROOT = str(media_root)
    graph = Containers(httpserver, "instagram", processing_seconds=4)
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.INSTAGRAM,
        base_url=httpserver.url_for("/"),
        credentials={
            "ig_user_id": IG_USER,
            "access_token": "ig-token",
        },
    )
    image = jpeg("teal")
    post = due_post(
        cast, channel, "Trailhead 2, on Instagram.", [("summit.jpg", "image/jpeg", image)]
    )
    settings.SITE_URL = live_server.url
    engine = {
        **FAST,
        "MEDIA_ROOT": str(media_root),
        "MEDIA_PROCESSING_WAIT_SECONDS": "1",
        "SITE_URL": live_server.url,
    }
    with processes.engine(tmp_path, **engine) as log:
        assert processes.wait_for(
            lambda: Post.objects.filter(pk=post.pk, state=State.PUBLISHED).exists(), timeout=60
        ), log.read_text()[-3000:]
    publication = Publication.objects.get(post=post)
    assert publication.state == P.PUBLISHED
    assert publication.attempts >= 2  # at least one attempt ran out of time
    ((container_id, container),) = graph.containers.items()
    assert publication.platform_key == container_id
    assert container["bytes"] == image
    assert container["form"]["image_url"].startswith(f"{live_server.url}/public/media/")
    assert container["form"]["caption"] == "Trailhead 2, on Instagram."
    assert len(graph.published) == 1
    assert publication.external_id == graph.published[0]


def test_x_images_go_up_through_the_worker_and_are_attached_in_order(
    cast, httpserver, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path / "files")
    stand_in = XMedia(httpserver)
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        base_url=httpserver.url_for("/"),
        credentials={"access_token": "access-1"},
    )
    files = [(f"p{n}.png", "image/png", png(c)) for n, c in enumerate(("red", "green", "blue"))]
    post = due_post(cast, channel, "Trailhead 2, on X.", files)
    engine = {**FAST, "MEDIA_ROOT": str(tmp_path / "files")}
    with processes.engine(tmp_path, **engine) as log:
        assert processes.wait_for(
            lambda: Post.objects.filter(pk=post.pk, state=State.PUBLISHED).exists(), timeout=60
        ), log.read_text()[-3000:]
    ids = list(stand_in.uploads)
    assert [stand_in.uploads[i]["bytes"] for i in ids] == [content for _, _, content in files]
    assert stand_in.tweets == [{"text": "Trailhead 2, on X.", "media": {"media_ids": ids}}]


def test_one_video_goes_to_x_bluesky_and_facebook_through_the_worker(
    cast, httpserver, bluesky_pds, tmp_path, settings
):
    """A post with one video, due on X (chunked upload, STATUS polled), Bluesky (the video
    service, its blob stored in the real PDS) and a Facebook Page (resumable upload, status
    polled), published by one real worker."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    x = XMedia(httpserver)
    page = FacebookPage(httpserver, chunk_bytes=16 * 1024, polls_before_ready=1)
    account = new_account(bluesky_pds, "moviemaker")
    service = VideoService(httpserver, account)
    channels = [
        ChannelFactory(
            workspace=cast.workspace,
            kind=ChannelKind.X,
            name="X",
            base_url=httpserver.url_for("/"),
            credentials={"access_token": "access-1"},
        ),
        bluesky_channel(cast.workspace, account),
        ChannelFactory(
            workspace=cast.workspace,
            kind=ChannelKind.FACEBOOK,
            name="Facebook",
            base_url=httpserver.url_for("/"),
            credentials={"page_id": PAGE, "page_access_token": "page-token"},
        ),
    ]
    clip = video_bytes(seconds=2, size="320x240")
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        body="Trailhead 2, in motion.",
        channels=channels,
        scheduled_at=timezone.now() + timezone.timedelta(hours=1),
    )
    media = Media(
        post=post,
        mime_type="video/mp4",
        size=len(clip),
        width=320,
        height=240,
        duration=2.0,
        video_codec="h264",
        audio_codec="aac",
        container="mp4",
        alt_text="A test pattern",
    )
    media.file.save("clip.mp4", ContentFile(clip), save=True)
    post = approve(cast, post)
    when = timezone.now() + timezone.timedelta(seconds=2)
    Post.objects.filter(pk=post.pk).update(scheduled_at=when)
    Publication.objects.filter(post=post).update(due_at=when)
    engine = {
        **FAST,
        "MEDIA_ROOT": str(tmp_path / "files"),
        "BLUESKY_VIDEO_SERVICE_URL": service.url,
    }
    with processes.engine(tmp_path, **engine) as log:
        assert processes.wait_for(
            lambda: Post.objects.filter(pk=post.pk, state=State.PUBLISHED).exists(), timeout=60
        ), log.read_text()[-3000:] + str(list(Publication.objects.values("state", "last_error")))
    (x_id,) = list(x.uploads)
    assert x.uploads[x_id]["bytes"] == clip and x.uploads[x_id]["category"] == "tweet_video"
    assert x.tweets == [{"text": "Trailhead 2, in motion.", "media": {"media_ids": [x_id]}}]
    ((record),) = post_records(account)
    assert record["value"]["embed"]["$type"] == "app.bsky.embed.video"
    assert record["value"]["embed"]["video"]["size"] == len(clip)
    assert len(service.jobs) == 1 and service.refused == []
    (video,) = page.videos
    assert video["bytes"] == clip and len(page.transfers) > 1
