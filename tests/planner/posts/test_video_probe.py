"""Videos are probed at upload (ffprobe): duration, picture size, codecs and container
are kept; a file that is not the video it claims is refused in words; a server without
ffprobe refuses videos clearly (never a crash) and still takes images. The networks'
duration rules then apply from the editor's warnings to submission and approval."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planner.errors import Invalid
from planner.models import Media
from planner.posts import actions
from planner.posts import media as post_media
from planner.posts.probing import read_probe
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory
from tests.media_samples import gif, image_bytes, mp4, video_bytes

pytestmark = pytest.mark.django_db

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def add(actor, post, file, alt_text="x"):
    post.refresh_from_db()
    return post_media.media_add(
        actor=actor, post=post, file=file, expected_version=post.version, alt_text=alt_text
    )


def test_an_h264_mp4_is_probed(cast, draft):
    media = add(cast.content, draft, mp4(seconds=3, size="640x360")).media
    assert (media.width, media.height) == (640, 360)
    assert media.duration == pytest.approx(3.0, abs=0.1)
    assert (media.video_codec, media.audio_codec) == ("h264", "aac")
    assert media.container == "mov,mp4,m4a,3gp,3g2,mj2"


def test_a_silent_webm_is_probed_with_no_audio_codec(cast, draft):
    webm = SimpleUploadedFile(
        "clip.webm", video_bytes(seconds=1, audio=False, fmt="webm"), content_type="video/webm"
    )
    media = add(cast.content, draft, webm).media
    assert (media.mime_type, media.video_codec, media.audio_codec) == ("video/webm", "vp9", "")
    assert media.container == "matroska,webm"


def test_a_gif_made_by_ffmpeg_is_an_image_with_its_size(cast, draft):
    media = add(cast.content, draft, gif(size="64x48")).media
    assert (media.mime_type, media.width, media.height, media.duration) == (
        "image/gif",
        64,
        48,
        None,
    )


def test_a_file_that_only_starts_like_an_mp4_is_refused(cast, draft, media_root):
    fake = SimpleUploadedFile("clip.mp4", MP4_HEAD + b"\x00" * 500, content_type="video/mp4")
    with pytest.raises(Invalid, match=re.escape("“clip.mp4” is damaged or is not really a video.")):
        add(cast.content, draft, fake)
    assert not Media.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_an_image_behind_a_video_header_is_refused(cast, draft):
    fake = SimpleUploadedFile("clip.mp4", MP4_HEAD + image_bytes("PNG"), "video/mp4")
    with pytest.raises(Invalid, match="not really a video"):
        add(cast.content, draft, fake)


def test_an_audio_only_file_is_not_a_video():
    answer = {
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "2.0"},
        "streams": [{"codec_type": "audio", "codec_name": "aac"}],
    }
    assert read_probe(answer) is None
    cover = {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}}
    answer["streams"].append(cover)
    assert read_probe(answer) is None


def test_without_ffprobe_a_video_is_refused_clearly_and_images_still_pass(cast, draft, settings):
    settings.FFPROBE_BINARY = "/nonexistent/ffprobe"
    with pytest.raises(Invalid) as refused:
        add(cast.content, draft, mp4())
    assert "ffprobe is not installed" in str(refused.value.message)
    assert "apt-get install ffmpeg" in str(refused.value.message)
    assert not Media.objects.exists()
    png = SimpleUploadedFile("photo.png", image_bytes("PNG"), content_type="image/png")
    assert add(cast.content, draft, png).media.mime_type == "image/png"


def test_the_upload_page_answers_without_ffprobe_in_words(client, cast, draft, settings):
    settings.FFPROBE_BINARY = "/nonexistent/ffprobe"
    client.force_login(cast.content)
    answer = client.post(
        f"/posts/{draft.pk}/media/", {"file": mp4(), "version": draft.version}
    ).json()
    assert answer["ok"] is False
    assert "ffprobe is not installed" in answer["message"]


# --- the networks' duration rules, from the editor to the approval -------------------------


@pytest.fixture
def instagram_post(cast):
    instagram = ChannelFactory(workspace=cast.workspace, name="Insta", kind="instagram")
    return PostFactory(workspace=cast.workspace, author=cast.content, channels=[instagram])


def test_a_video_too_short_for_a_reel_warns_as_it_is_added(cast, instagram_post):
    added = add(cast.content, instagram_post, mp4(seconds=2))
    assert added.warnings == ["Insta: clip.mp4: videos must last at least 3 s (this one: 2.0 s)."]


def test_the_editor_shows_the_rule_and_the_warning(client, cast, instagram_post):
    client.force_login(cast.content)
    instagram_post.refresh_from_db()
    answer = client.post(
        f"/posts/{instagram_post.pk}/media/",
        {"file": mp4(seconds=2), "version": instagram_post.version},
    ).json()
    assert answer["ok"] is True
    assert "videos must last at least 3 s (this one: 2.0 s)" in answer["html"]
    page = client.post(
        "/posts/counters/",
        {
            "post": instagram_post.pk,
            "body": "Clip",
            "channels": [instagram_post.variants.get().channel_id],
        },
    ).content.decode()
    assert "Media here: Up to 10 images, up to 10 videos (900 s at most, 315 MB), mixed." in page
    assert "videos must last at least 3 s" in page


def test_submission_refuses_a_video_outside_the_networks_durations(cast, instagram_post):
    add(cast.content, instagram_post, mp4(seconds=2))
    instagram_post.refresh_from_db()
    with pytest.raises(Invalid, match="videos must last at least 3 s"):
        actions.post_submit(actor=cast.content, post=instagram_post)
    instagram_post.refresh_from_db()
    assert instagram_post.state == State.DRAFT


def test_approval_checks_the_media_again(cast, instagram_post):
    media = add(cast.content, instagram_post, mp4(seconds=4)).media
    instagram_post.refresh_from_db()
    actions.post_submit(actor=cast.content, post=instagram_post)
    # What the probe knows changed after submission (a file re-probed, a rule tightened):
    Media.objects.filter(pk=media.pk).update(duration=1000.0)
    instagram_post.refresh_from_db()
    with pytest.raises(Invalid, match="videos may last at most 900 s"):
        actions.post_decide(
            actor=cast.marketing,
            post=instagram_post,
            decision="approve",
            expected_version=instagram_post.version,
            step_position=1,
        )
    instagram_post.refresh_from_db()
    assert instagram_post.approved_version is None
