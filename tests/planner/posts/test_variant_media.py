"""Each channel may carry its own selection and order of the post's media: chosen in the
editor, a content change (a version, approvals withdrawn), seen by the checks, the
versions page, the post page and the engine's outgoing message."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planner.errors import Invalid
from planner.models import AuditEvent, Publication, Variant
from planner.posts import actions
from planner.posts import media as post_media
from planner.posts.checks import channel_errors
from planner.posts.versions import version_history
from planner.publishing.outgoing import outgoing_post
from tests.factories import ChannelFactory, PostFactory
from tests.media_samples import image_bytes, mp4

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def add(actor, post, file, alt_text="x"):
    post.refresh_from_db()
    return post_media.media_add(
        actor=actor, post=post, file=file, expected_version=post.version, alt_text=alt_text
    )


def photo(name):
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


@pytest.fixture
def channels(cast):
    return {
        "mastodon": ChannelFactory(workspace=cast.workspace, name="Masto", kind="mastodon"),
        "instagram": ChannelFactory(workspace=cast.workspace, name="Insta", kind="instagram"),
    }


@pytest.fixture
def post(cast, channels):
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, channels=list(channels.values())
    )
    add(cast.content, post, photo("one.jpg"))
    add(cast.content, post, photo("two.jpg"))
    add(cast.content, post, mp4(seconds=4))
    post.refresh_from_db()
    return post


def choose(cast, post, channel, positions):
    post.refresh_from_db()
    return post_media.variant_media_choose(
        actor=cast.content,
        post=post,
        channel_id=channel.pk,
        positions=positions,
        expected_version=post.version,
    )


def test_a_channel_takes_its_own_files_in_its_own_order(cast, post, channels):
    one, two, _clip = post.media.all()
    before = post.version
    after = choose(cast, post, channels["instagram"], [1, 0])
    assert Variant.objects.get(post=post, channel=channels["instagram"]).media == [two.pk, one.pk]
    assert after.version == before + 1
    assert after.versions.get(number=after.version).variant_media == {
        str(channels["instagram"].pk): [two.pk, one.pk]
    }
    assert AuditEvent.objects.filter(action="post.variant_media", post=post).exists()
    # Choosing the same again changes nothing.
    assert choose(cast, post, channels["instagram"], [1, 0]).version == after.version


def test_the_checks_see_each_channels_own_files(cast, post, channels):
    # All three on Mastodon mix a video with images: refused.
    assert any(e.startswith("Masto: A video must be") for e in channel_errors(post))
    choose(cast, post, channels["mastodon"], [2])
    assert not any(e.startswith("Masto:") for e in channel_errors(post))
    choose(cast, post, channels["mastodon"], [])
    assert not any(e.startswith("Masto:") for e in channel_errors(post))


def test_the_engine_sends_the_channels_own_files_in_its_order(cast, post, channels):
    choose(cast, post, channels["instagram"], [2, 0])
    instagram = Publication.objects.create(
        post=post, channel=channels["instagram"], due_at=post.scheduled_at, state="sending"
    )
    mastodon = Publication.objects.create(
        post=post, channel=channels["mastodon"], due_at=post.scheduled_at, state="sending"
    )
    names = [m.path.rsplit("/", 1)[-1] for m in outgoing_post(instagram).media]
    assert names == ["clip.mp4", "one.jpg"]
    assert [m.path.rsplit("/", 1)[-1] for m in outgoing_post(mastodon).media] == [
        "one.jpg",
        "two.jpg",
        "clip.mp4",
    ]
    assert outgoing_post(instagram).media[0].duration == pytest.approx(4.0, abs=0.1)


def test_back_to_all_files_and_a_removed_file_leaves_the_selection(cast, post, channels):
    one, two, _clip = post.media.all()
    choose(cast, post, channels["instagram"], [1, 0])
    post.refresh_from_db()
    post_media.media_remove(actor=cast.content, media=two, expected_version=post.version)
    assert Variant.objects.get(post=post, channel=channels["instagram"]).media == [one.pk]
    choose(cast, post, channels["instagram"], None)
    assert Variant.objects.get(post=post, channel=channels["instagram"]).media is None


def test_numbers_typed_in_the_editor_are_checked():
    assert post_media.parse_order("2, 1", 3) == [1, 0]
    assert post_media.parse_order("3 1", 3) == [2, 0]
    assert post_media.parse_order("", 3) == []
    with pytest.raises(Invalid, match="not the number of one of the post's files"):
        post_media.parse_order("4", 3)
    with pytest.raises(Invalid, match="named twice"):
        post_media.parse_order("1, 1", 3)


def test_choosing_withdraws_an_approval_and_the_versions_say_what_changed(cast, post, channels):
    choose(cast, post, channels["mastodon"], [2])
    choose(cast, post, channels["instagram"], [0, 1])
    post.refresh_from_db()
    actions.post_submit(actor=cast.content, post=post)
    post.refresh_from_db()
    post = actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=1,
    )
    assert post.approved_version == post.version
    post = choose(cast, post, channels["instagram"], [1])
    assert post.approved_version is None
    latest = version_history(post)[0]
    change = next(c for c in latest.changes if c.label == "Images and videos for Insta")
    assert change.changed


def test_the_editor_chooses_and_the_post_page_shows_it(client, cast, post, channels):
    client.force_login(cast.content)
    url = f"/posts/{post.pk}/channels/{channels['instagram'].pk}/media/"
    answer = client.post(url, {"order": "2, 1", "version": post.version}).json()
    assert answer["ok"] is True
    assert "Insta has its own files now." in answer["message"]
    assert f'id="variant-media-{channels["instagram"].pk}" value="2, 1"' in answer["html"]
    refused = client.post(url, {"order": "9", "version": answer["version"]}).json()
    assert refused["ok"] is False and "1 to 3" in refused["message"]
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "Its own images and videos: 1. two.jpg, 2. one.jpg" in page
    back = client.post(url, {"all": "1", "version": answer["version"]}).json()
    assert "Insta carries all the files." in back["message"]
    assert client.post(f"/posts/{post.pk}/channels/987654/media/", {"all": "1"}).status_code == 404


def test_another_workspace_cannot_choose(client, other, post, channels):
    client.force_login(other.admin)
    url = f"/posts/{post.pk}/channels/{channels['instagram'].pk}/media/"
    assert client.post(url, {"all": "1"}).status_code == 404
    assert Variant.objects.get(post=post, channel=channels["instagram"]).media is None
