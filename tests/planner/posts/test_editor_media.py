"""Media in the editor over HTTP: uploading (also before the post was ever saved),
reordering, removing, alternative text saved with the text, and the previews."""

import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from planner.channels.registry import adapter_for
from planner.models import Media, Post
from planner.posts import actions
from planner.posts import media as post_media
from planner.posts.previews import over_limit_at, segments
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mastodon(cast):
    return ChannelFactory(workspace=cast.workspace, name="Mastodon", kind="mastodon")


@pytest.fixture
def post(cast, mastodon):
    return PostFactory(workspace=cast.workspace, author=cast.content, channels=[mastodon])


def png(name="photo.png", size=(40, 30)):
    buffer = BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def fake_png():
    return SimpleUploadedFile("photo.png", b"I am text pretending to be a picture", "image/png")


def attach(cast, post, alt_text="", name="photo.png"):
    post.refresh_from_db()
    return post_media.media_add(
        actor=cast.content,
        post=post,
        file=png(name),
        expected_version=post.version,
        alt_text=alt_text,
    ).media


def local_time(days=3):
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT09:00")


# --- the editor page ------------------------------------------------------------------


def test_the_editor_offers_a_file_input_for_what_networks_accept(client, cast):
    client.force_login(cast.content)
    page = client.get("/posts/new/").content.decode()
    assert 'type="file"' in page
    assert 'accept="image/png,image/jpeg,image/gif,image/webp,video/mp4,video/quicktime' in page
    assert "The first file saves this post as a draft." in page


def test_the_editor_shows_each_file_with_its_alt_text_field(client, cast, post):
    media = attach(cast, post)
    client.force_login(cast.content)
    page = client.get(f"/posts/{post.pk}/edit/").content.decode()
    assert f'src="/media/{media.pk}/"' in page
    assert f'<label class="form-label small mb-1" for="alt_{media.pk}">' in page
    assert "Describe the image for people who cannot see it" in page
    assert "Move earlier" in page and "Remove" in page


# --- uploading -------------------------------------------------------------------------


def test_uploading_to_a_post_answers_with_the_new_list_and_version(client, cast, post):
    client.force_login(cast.content)
    response = client.post(f"/posts/{post.pk}/media/", {"file": png(), "version": 1})
    answer = response.json()
    media = Media.objects.get()
    assert answer["ok"] is True
    assert answer["version"] == 2
    assert f'src="/media/{media.pk}/"' in answer["html"]
    assert answer["message"] == "photo.png added."


def test_the_first_file_of_a_new_post_saves_the_draft_with_the_typed_text(client, cast, mastodon):
    client.force_login(cast.content)
    response = client.post(
        "/posts/new/media/",
        {
            "title": "Launch",
            "body": "Words typed before the upload",
            "channels": [mastodon.pk],
            "scheduled_at": local_time(),
            "file": png(),
        },
    )
    answer = response.json()
    post = Post.objects.get()
    assert answer["ok"] is True
    assert (post.title, post.body, post.author) == (
        "Launch",
        "Words typed before the upload",
        cast.content,
    )
    assert post.media.count() == 1
    assert answer["edit_url"] == f"/posts/{post.pk}/edit/"
    assert answer["upload_url"] == f"/posts/{post.pk}/media/"
    assert answer["version"] == post.version == 2


def test_a_fake_image_on_a_new_post_saves_nothing_and_says_why(client, cast, mastodon):
    client.force_login(cast.content)
    response = client.post(
        "/posts/new/media/",
        {"body": "Careful words", "channels": [mastodon.pk], "file": fake_png()},
    )
    answer = response.json()
    assert answer["ok"] is False
    assert "“photo.png” is not an image or a video that a network accepts" in answer["message"]
    assert not Post.objects.exists()
    assert not Media.objects.exists()


def test_a_fake_image_on_a_saved_post_is_refused(client, cast, post):
    client.force_login(cast.content)
    answer = client.post(f"/posts/{post.pk}/media/", {"file": fake_png(), "version": 1}).json()
    assert answer["ok"] is False
    post.refresh_from_db()
    assert post.version == 1


def test_an_upload_from_a_stale_page_is_a_conflict(client, cast, post):
    attach(cast, post)
    client.force_login(cast.content)
    response = client.post(f"/posts/{post.pk}/media/", {"file": png(), "version": 1})
    assert response.status_code == 409
    assert response.json()["version"] == 2
    assert Media.objects.count() == 1


def test_a_request_larger_than_the_limit_is_refused_before_reading_it(client, cast, post, settings):
    settings.MEDIA_MAX_BYTES = 10
    client.force_login(cast.content)
    response = client.post(
        f"/posts/{post.pk}/media/",
        {"file": png(), "version": 1},
        CONTENT_LENGTH=str(5 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert not Media.objects.exists()


def test_a_viewer_cannot_upload(client, cast, post):
    client.force_login(cast.viewer)
    response = client.post(f"/posts/{post.pk}/media/", {"file": png(), "version": 1})
    assert response.status_code == 403
    assert not Media.objects.exists()


def test_another_workspace_cannot_upload_to_a_post(client, other, post):
    client.force_login(other.admin)
    response = client.post(f"/posts/{post.pk}/media/", {"file": png(), "version": 1})
    assert response.status_code == 404


# --- reordering and removing ---------------------------------------------------------------


def test_moving_a_file_later(client, cast, post):
    first, second = attach(cast, post, name="a.png"), attach(cast, post, name="b.png")
    client.force_login(cast.content)
    answer = client.post(f"/media/{first.pk}/move/", {"position": 1, "version": 3}).json()
    assert answer["ok"] is True
    assert answer["message"] == "a.png is now number 2."
    assert list(post.media.values_list("pk", flat=True)) == [second.pk, first.pk]


def test_removing_a_file(client, cast, post, media_root, django_capture_on_commit_callbacks):
    media = attach(cast, post)
    path = media_root / media.file.name
    client.force_login(cast.content)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/media/{media.pk}/remove/", {"version": 2}).json()
    assert answer["ok"] is True
    assert "No image or video yet." in answer["html"]
    assert not Media.objects.exists()
    assert not path.exists()


def test_another_workspace_cannot_remove_a_file(client, cast, other, post):
    media = attach(cast, post)
    client.force_login(other.admin)
    assert client.post(f"/media/{media.pk}/remove/", {"version": 2}).status_code == 404
    assert Media.objects.count() == 1


# --- alternative text --------------------------------------------------------------------------


def test_saving_the_editor_keeps_the_alt_text_in_one_new_version(client, cast, post, mastodon):
    media = attach(cast, post)
    client.force_login(cast.content)
    response = client.post(
        f"/posts/{post.pk}/edit/",
        {
            "body": "With a picture",
            "channels": [mastodon.pk],
            "scheduled_at": timezone.localtime(post.scheduled_at).strftime("%Y-%m-%dT%H:%M"),
            "version": 2,
            f"alt_{media.pk}": "Blue square on a white wall",
        },
    )
    assert response.status_code == 302
    media.refresh_from_db()
    post.refresh_from_db()
    assert media.alt_text == "Blue square on a white wall"
    assert (post.version, post.body) == (3, "With a picture")


def test_a_conflict_keeps_the_typed_alt_text_in_the_form(client, cast, post, mastodon):
    media = attach(cast, post)
    client.force_login(cast.content)
    response = client.post(
        f"/posts/{post.pk}/edit/",
        {
            "body": "Mine",
            "channels": [mastodon.pk],
            "version": 1,
            f"alt_{media.pk}": "My careful description",
        },
    )
    page = response.content.decode()
    assert 'data-testid="conflict"' in page
    assert "My careful description" in page


# --- previews ----------------------------------------------------------------------------------


def test_previews_show_each_network_with_its_images_and_notices(client, cast, post, mastodon):
    teams = ChannelFactory(workspace=cast.workspace, name="Teams room", kind="teams")
    instagram = ChannelFactory(workspace=cast.workspace, name="Insta", kind="instagram")
    media = attach(cast, post)
    client.force_login(cast.content)
    page = client.post(
        "/posts/counters/",
        {
            "post": post.pk,
            "body": "See https://example.test/spring #spring with @maillon",
            "channels": [mastodon.pk, teams.pk],
            f"alt_{media.pk}": "A blue square",
        },
    ).content.decode()
    assert 'data-testid="preview-mastodon"' in page
    assert f'src="/media/{media.pk}/" alt="A blue square"' in page
    assert '<span class="preview-link">https://example.test/spring</span>' in page
    assert '<span class="preview-tag">#spring</span>' in page
    assert '<span class="preview-tag">@maillon</span>' in page
    assert "Microsoft Teams takes no images or videos from Maillon" in page
    assert "Teams workflow cards cannot carry images or videos" in page
    assert f'id="alt-status-{media.pk}"' in page and 'hx-swap-oob="true"' in page
    assert "13 / 1500 characters" in page
    assert '<div id="media-warnings" hx-swap-oob="true">' in page
    assert "Teams room: Teams workflow cards cannot carry images or videos" in page

    page = client.post(
        "/posts/counters/", {"body": "No picture", "channels": [instagram.pk]}
    ).content.decode()
    assert "Instagram needs an image: add one." in page


def test_counters_of_a_post_in_another_workspace_show_none_of_its_media(client, other, post):
    client.force_login(other.admin)
    page = client.post("/posts/counters/", {"post": post.pk, "body": "x"}).content.decode()
    assert "/media/" not in page


def test_the_text_past_a_networks_limit_is_marked_by_its_own_counter():
    x = adapter_for("x")
    text = "a" * 279 + "👍" + "tail"  # an emoji weighs two on X
    cut = over_limit_at(x, text)
    assert cut == 279
    pieces = segments(text, cut)
    assert pieces[0].text == "a" * 279 and not pieces[0].over
    assert pieces[-1].text == "👍tail" and pieces[-1].over
    assert over_limit_at(adapter_for("mastodon"), text) is None


def test_linkedin_folds_a_long_text_behind_see_more(client, cast):
    linkedin = ChannelFactory(workspace=cast.workspace, name="LinkedIn page", kind="linkedin")
    client.force_login(cast.content)
    page = client.post(
        "/posts/counters/", {"body": "word " * 100, "channels": [linkedin.pk]}
    ).content.decode()
    assert "…see more" in page
    assert "Readers see about the first 210 characters" in page


def test_the_post_page_shows_the_media_and_what_the_networks_would_refuse(client, cast):
    bluesky = ChannelFactory(workspace=cast.workspace, name="Bluesky", kind="bluesky")
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[bluesky])
    media = attach(cast, post)
    client.force_login(cast.marketing)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert f'src="/media/{media.pk}/"' in page
    assert "No alternative text" in page
    assert "this network needs alternative text for every image." in page


def test_uploading_to_an_approved_post_says_the_approval_was_withdrawn(client, cast, post):
    actions.post_submit(actor=cast.content, post=post)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    client.force_login(cast.content)
    answer = client.post(f"/posts/{post.pk}/media/", {"file": png(), "version": 1}).json()
    assert "The approval was withdrawn" in answer["message"]
    post.refresh_from_db()
    assert (post.state, post.approved_version) == ("in_review", None)
