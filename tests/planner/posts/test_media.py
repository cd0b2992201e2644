"""A post's images and videos through the services: what is accepted, what each network
would say, and media changes counting as content changes."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from planner.errors import Conflict, Invalid, NotAllowed, NotFound
from planner.models import ApprovalDecision, AuditEvent, Media, Post, Publication, PublicationState
from planner.posts import actions, writing
from planner.posts import media as post_media
from planner.posts.uploads import sniff
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory
from tests.media_samples import mp4, video_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_bytes(fmt="PNG", size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def png(name="photo.png", **kwargs):
    return SimpleUploadedFile(name, image_bytes("PNG", **kwargs), content_type="image/png")


def jpeg(name="photo.jpg", **kwargs):
    return SimpleUploadedFile(name, image_bytes("JPEG", **kwargs), content_type="image/jpeg")


MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"


def add(actor, post, file, alt_text=""):
    post.refresh_from_db()
    return post_media.media_add(
        actor=actor, post=post, file=file, expected_version=post.version, alt_text=alt_text
    )


def submit_and_approve(cast, post):
    actions.post_submit(actor=cast.content, post=post)
    return actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=1,
    )


# --- what is accepted ----------------------------------------------------------------


def test_a_png_is_kept_with_its_real_type_size_and_dimensions(cast, draft, media_root):
    added = add(cast.content, draft, png(size=(64, 48)), alt_text="A red square")
    media = added.media
    assert (media.mime_type, media.width, media.height) == ("image/png", 64, 48)
    assert media.size == len(image_bytes("PNG", size=(64, 48)))
    assert media.alt_text == "A red square"
    assert media.file.name.startswith(f"media/{cast.workspace.pk}/")
    assert (media_root / media.file.name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert added.post.version == 2


def test_a_jpeg_is_accepted_and_its_stored_name_tells_the_truth(cast, draft):
    media = add(cast.content, draft, jpeg(name="été photo.png")).media
    assert media.mime_type == "image/jpeg"
    assert media.filename == "ete-photo.jpg"


def test_a_text_file_named_png_is_refused_and_nothing_is_kept(cast, draft, media_root):
    fake = SimpleUploadedFile("photo.png", b"just some words, not a picture", "image/png")
    with pytest.raises(Invalid, match="not an image or a video"):
        add(cast.content, draft, fake)
    draft.refresh_from_db()
    assert draft.version == 1
    assert not Media.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_an_html_page_is_refused_whatever_its_name(cast, draft):
    page = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
    for name in ("page.html", "innocent.jpg"):
        with pytest.raises(Invalid, match="not an image or a video"):
            add(cast.content, draft, SimpleUploadedFile(name, page, "text/html"))
    assert not Media.objects.exists()


def test_a_damaged_image_is_refused(cast, draft):
    broken = image_bytes("PNG")[:60]
    with pytest.raises(Invalid, match="damaged"):
        add(cast.content, draft, SimpleUploadedFile("cut.png", broken, "image/png"))


def test_a_file_over_the_global_limit_is_refused(cast, draft, settings):
    settings.MEDIA_MAX_BYTES = 100
    with pytest.raises(Invalid, match="files are limited to 100"):
        add(cast.content, draft, png())
    assert not Media.objects.exists()


def test_an_empty_file_is_refused(cast, draft):
    with pytest.raises(Invalid, match="empty"):
        add(cast.content, draft, SimpleUploadedFile("nothing.png", b"", "image/png"))


def test_videos_are_recognised_by_their_content():
    assert sniff(MP4_HEAD) == "video/mp4"
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ") == "video/quicktime"
    assert sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm") == "video/webm"
    # HEIC photos share the box but no network here takes them.
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") is None
    assert sniff(b"%PDF-1.7") is None


def test_a_video_is_kept_with_what_its_probe_found(cast, draft):
    media = add(cast.content, draft, mp4()).media
    assert (media.mime_type, media.width, media.height, media.filename) == (
        "video/mp4",
        320,
        240,
        "clip.mp4",
    )
    assert (media.video_codec, media.audio_codec) == ("h264", "aac")
    assert media.duration == pytest.approx(2.0, abs=0.1)


# --- what each network would say ------------------------------------------------------


def test_five_images_warn_that_mastodon_takes_four(cast):
    mastodon = ChannelFactory(workspace=cast.workspace, name="Mastodon", kind="mastodon")
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[mastodon])
    for _ in range(4):
        assert add(cast.content, post, png(), alt_text="x").warnings == []
    added = add(cast.content, post, png(), alt_text="x")
    assert added.warnings == ["Mastodon: At most 4 media files (5 attached)."]


def test_a_webm_video_warns_for_bluesky_but_not_for_mastodon(cast):
    mastodon = ChannelFactory(workspace=cast.workspace, name="Mastodon", kind="mastodon")
    bluesky = ChannelFactory(workspace=cast.workspace, name="Bluesky", kind="bluesky")
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[mastodon, bluesky])
    webm = SimpleUploadedFile(
        "clip.webm", video_bytes(seconds=1, audio=False, fmt="webm"), content_type="video/webm"
    )
    warnings = add(cast.content, post, webm, alt_text="A clip").warnings
    assert warnings == ["Bluesky: video/webm files are not accepted here."]


def test_an_image_without_alt_text_warns_for_bluesky(cast):
    bluesky = ChannelFactory(workspace=cast.workspace, name="Bluesky", kind="bluesky")
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[bluesky])
    warnings = add(cast.content, post, png()).warnings
    assert warnings == ["Bluesky: photo.png: this network needs alternative text for every image."]


def test_submitting_too_many_images_is_refused_by_the_network_rules(cast, draft):
    for _ in range(5):
        add(cast.content, draft, png(), alt_text="x")
    draft.refresh_from_db()
    with pytest.raises(Invalid, match=r"At most 4 media files \(5 attached\)"):
        actions.post_submit(actor=cast.content, post=draft)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


# --- media are content ------------------------------------------------------------------


def test_alt_text_is_updated_as_a_new_version(cast, draft):
    media = add(cast.content, draft, png()).media
    post = post_media.media_update_alt(
        actor=cast.content, media=media, alt_text="Our new shop front", expected_version=2
    )
    media.refresh_from_db()
    assert media.alt_text == "Our new shop front"
    assert post.version == 3
    assert post.versions.get(number=3).media == [
        {"id": media.pk, "name": media.file.name, "alt": "Our new shop front"}
    ]
    event = AuditEvent.objects.get(post=post, action="post.media_alt")
    assert event.data["after"] == "Our new shop front"


def test_the_same_alt_text_makes_no_version(cast, draft):
    media = add(cast.content, draft, png(), alt_text="Same").media
    post = post_media.media_update_alt(
        actor=cast.content, media=media, alt_text="Same", expected_version=2
    )
    assert post.version == 2


def test_alt_text_saved_with_the_text_is_one_version(cast, draft):
    media = add(cast.content, draft, png()).media
    post = writing.post_save(
        actor=cast.content,
        post=draft,
        expected_version=2,
        title="",
        body="New words",
        variants={v.channel_id: "" for v in draft.variants.all()},
        scheduled_at=draft.scheduled_at,
        campaign=None,
        assignee=None,
        labels=[],
        alt_texts={media.pk: "A described image"},
    )
    media.refresh_from_db()
    assert (post.version, post.body, media.alt_text) == (3, "New words", "A described image")


def test_removing_a_file_deletes_it_once_committed(
    cast, draft, media_root, django_capture_on_commit_callbacks
):
    first = add(cast.content, draft, png(name="one.png")).media
    second = add(cast.content, draft, png(name="two.png")).media
    path = media_root / first.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        post = post_media.media_remove(actor=cast.content, media=first, expected_version=3)
    assert not path.exists()
    assert list(post.media.values_list("pk", "position")) == [(second.pk, 0)]
    assert post.version == 4
    assert AuditEvent.objects.filter(post=post, action="post.media_remove").exists()


def test_files_are_reordered(cast, draft):
    media = [add(cast.content, draft, png(name=f"{n}.png")).media for n in "abc"]
    post = post_media.media_move(actor=cast.content, media=media[2], position=0, expected_version=4)
    assert list(post.media.values_list("pk", flat=True)) == [media[2].pk, media[0].pk, media[1].pk]
    assert [m["id"] for m in post.versions.get(number=5).media] == [
        media[2].pk,
        media[0].pk,
        media[1].pk,
    ]


def test_adding_an_image_to_an_approved_post_withdraws_the_approval(cast, draft):
    post = submit_and_approve(cast, draft)
    assert post.state == State.APPROVED
    added = add(cast.content, post, png(), alt_text="Late addition")
    post = added.post
    assert (post.state, post.approved_version, post.version) == (State.IN_REVIEW, None, 2)
    assert not ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).exists()
    assert set(Publication.objects.filter(post=post).values_list("state", flat=True)) == {
        PublicationState.CANCELLED
    }
    event = AuditEvent.objects.get(post=post, action="post.media_add")
    assert event.data["approvals_withdrawn"] == 1
    assert event.data["state"] == [State.APPROVED, State.IN_REVIEW]


def test_the_media_of_a_published_post_cannot_change(cast, draft, media_root):
    media = add(cast.content, draft, png()).media
    Post.objects.filter(pk=draft.pk).update(state=State.PUBLISHED, approved_version=2)
    with pytest.raises(Conflict):
        add(cast.admin, draft, png())
    with pytest.raises(Conflict):
        post_media.media_remove(actor=cast.admin, media=media, expected_version=2)
    assert Media.objects.count() == 1
    assert sum(1 for p in media_root.rglob("*") if p.is_file()) == 1


def test_a_contributor_cannot_add_media_to_someone_elses_post(cast, draft):
    with pytest.raises(NotAllowed, match="posts you wrote"):
        add(cast.contributor, draft, png())
    with pytest.raises(NotAllowed):
        add(cast.viewer, draft, png())
    assert not Media.objects.exists()


def test_another_workspaces_admin_cannot_touch_the_media(cast, other, draft):
    media = add(cast.content, draft, png()).media
    with pytest.raises(NotFound):
        add(other.admin, draft, png())
    with pytest.raises(NotFound):
        post_media.media_remove(actor=other.admin, media=media, expected_version=2)
    with pytest.raises(NotFound):
        post_media.media_update_alt(
            actor=other.admin, media=media, alt_text="x", expected_version=2
        )
    assert Media.objects.count() == 1


def test_a_change_from_a_stale_editor_is_a_conflict(cast, draft):
    media = add(cast.content, draft, png()).media
    with pytest.raises(Conflict, match="Someone else saved"):
        post_media.media_remove(actor=cast.content, media=media, expected_version=1)
    assert Media.objects.count() == 1


# --- serving ---------------------------------------------------------------------------------


def test_a_file_is_served_to_members_as_a_sandboxed_inline_file(client, cast, draft):
    media = add(cast.content, draft, png(name="shop front.png")).media
    client.force_login(cast.viewer)
    response = client.get(f"/media/{media.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == image_bytes("PNG")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"] == 'inline; filename="shop-front.png"'


def test_another_workspaces_media_is_not_found(client, cast, other, draft):
    media = add(cast.content, draft, png()).media
    client.force_login(other.admin)
    assert client.get(f"/media/{media.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/media/{media.pk}/").status_code == 302  # to the sign-in page


def test_uploads_are_not_served_raw_from_the_media_url(client, cast, draft):
    media = add(cast.content, draft, png()).media
    client.force_login(cast.content)
    assert client.get(f"/media/{media.file.name}").status_code == 404
