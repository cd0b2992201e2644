"""Images in the editor, in a real browser: upload with progress, alternative text,
the preview on each network, and nothing typed ever lost."""

import re
from io import BytesIO

import pytest
from PIL import Image
from playwright.sync_api import expect

from planner.models import Media, Post
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Our spring collection is out! See https://acme.test/spring #spring"
ALT = "A shop window full of yellow tulips"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def channels(cast):
    return [
        ChannelFactory(
            workspace=cast.workspace,
            name="Mastodon",
            kind="mastodon",
            handle="@acme@example.social",
        ),
        ChannelFactory(
            workspace=cast.workspace, name="Bluesky", kind="bluesky", handle="@acme.example.social"
        ),
    ]


def png_bytes() -> bytes:
    image = Image.new("RGB", (320, 200), (250, 210, 40))
    for x in range(100, 220):
        for y in range(60, 140):
            image.putpixel((x, y), (40, 120, 60))
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def start_a_post(page, cast):
    sign_in(page, cast.content)
    page.goto("/posts/new/")
    page.fill("textarea[name=body]", TEXT)
    page.get_by_role("checkbox", name="Mastodon (Mastodon)").check()
    page.get_by_role("checkbox", name="Bluesky (Bluesky)").check()


def test_an_image_with_alt_text_is_uploaded_previewed_and_kept(page, cast, channels):
    start_a_post(page, cast)
    page.set_input_files(
        "#media-input",
        files=[{"name": "tulips.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    expect(page.get_by_test_id("media-thumb")).to_be_visible()
    expect(page.locator("#media-progress")).to_have_attribute("value", "100")
    expect(page.locator("#media-progress-label")).to_have_text("Upload finished.")
    expect(page.get_by_test_id("media-status")).to_contain_text("tulips.png added.")
    # The first file saved the draft: the page is now that draft's editor.
    expect(page).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    expect(page.locator("textarea[name=body]")).to_have_value(TEXT)
    expect(page.get_by_test_id("alt-status")).to_contain_text(
        "Describe the image for people who cannot see it"
    )
    expect(page.get_by_test_id("media-warnings")).to_contain_text(
        "Bluesky: tulips.png: this network needs alternative text for every image."
    )

    page.get_by_label("Alternative text for image 1").fill(ALT)
    expect(page.get_by_test_id("alt-status")).not_to_contain_text("Describe the image")
    # Bluesky's "needs alternative text" warning goes away as the text is typed.
    expect(page.get_by_test_id("media-warnings")).to_have_count(0)
    for network in ("mastodon", "bluesky"):
        card = page.get_by_test_id(f"preview-{network}")
        expect(card.get_by_test_id("preview-image")).to_have_attribute("alt", ALT)
        expect(card.get_by_test_id("preview-text")).to_contain_text("#spring")
    expect(page.get_by_test_id("preview-bluesky").locator(".preview-link")).to_have_text(
        "https://acme.test/spring"
    )
    page.get_by_test_id("preview-mastodon").scroll_into_view_if_needed()
    screenshot(page, "editor")
    assert serious_accessibility_violations(page) == []

    page.click("button[name=save_draft]")
    page.wait_for_url(re.compile(r"/posts/\d+/$"))
    post = Post.objects.get()
    page.goto(f"/posts/{post.pk}/edit/")
    expect(page.get_by_test_id("media-thumb")).to_be_visible()
    expect(page.get_by_label("Alternative text for image 1")).to_have_value(ALT)
    assert Media.objects.get().alt_text == ALT
    assert post.body == TEXT


def test_a_text_file_named_png_is_refused_and_the_typed_text_stays(page, cast, channels):
    start_a_post(page, cast)
    page.set_input_files(
        "#media-input",
        files=[{"name": "holiday.png", "mimeType": "image/png", "buffer": b"not a picture at all"}],
    )
    expect(page.get_by_test_id("media-error")).to_contain_text(
        "“holiday.png” is not an image or a video that a network accepts"
    )
    expect(page.locator("textarea[name=body]")).to_have_value(TEXT)
    expect(page).to_have_url(re.compile(r"/posts/new/$"))
    assert not Post.objects.exists()


def test_files_are_reordered_and_removed_with_the_keyboard(page, cast, channels):
    start_a_post(page, cast)
    files = [
        {"name": f"{name}.png", "mimeType": "image/png", "buffer": png_bytes()}
        for name in ("first", "second")
    ]
    page.set_input_files("#media-input", files=files)
    expect(page.get_by_test_id("media-item")).to_have_count(2)
    expect(page.locator("#media-progress-label")).to_have_text("Upload finished.")

    page.get_by_role("button", name="Move later (first.png)").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("media-status")).to_contain_text("first.png is now number 2.")
    expect(page.get_by_test_id("media-item").first).to_contain_text("second.png")
    # The keyboard stays on the moved file.
    expect(page.get_by_role("button", name="Move earlier (first.png)")).to_be_focused()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove (second.png)").click()
    expect(page.get_by_test_id("media-item")).to_have_count(1)
    expect(page.get_by_test_id("media-status")).to_contain_text("second.png removed.")
    assert list(Media.objects.values_list("position", flat=True)) == [0]
