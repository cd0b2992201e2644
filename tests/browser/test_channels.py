"""An admin connects a Mastodon channel, tests it and disables it, in a real browser.

The "Mastodon server" is pytest-httpserver on 127.0.0.1 answering verify_credentials;
the channel form accepts plain http to this machine only.
"""

import pytest
from playwright.sync_api import expect

from planner.models import Channel
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "browser-secret-token"


def test_an_admin_connects_tests_and_disables_a_mastodon_channel(page, cast, httpserver):
    httpserver.expect_request(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json({"id": "1", "username": "acme", "acct": "acme"})
    sign_in(page, cast.admin)

    page.goto("/channels/")
    expect(page.get_by_test_id("channels-empty")).to_contain_text(
        "No channel yet: connect your first one."
    )
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="Connect a channel").click()

    expect(page.get_by_role("heading", name="Connect a channel")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="Mastodon", exact=True).click()

    expect(page.get_by_role("heading", name="Connect a Mastodon channel")).to_be_visible()
    expect(page.get_by_test_id("where")).to_contain_text("Preferences → Development")
    assert serious_accessibility_violations(page) == []
    page.fill("#id_name", "Acme on Mastodon")
    page.fill("#id_handle", "@acme@127.0.0.1")
    page.fill("#id_base_url", httpserver.url_for("/").rstrip("/"))
    page.fill("#id_access_token", TOKEN)
    page.get_by_role("button", name="Connect", exact=True).click()

    row = page.get_by_test_id("channel-row").filter(has_text="Acme on Mastodon")
    expect(row).to_contain_text("Never tested")
    row.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Acme on Mastodon: the connection works. Connected: @acme."
    )
    expect(row.get_by_test_id("channel-check")).to_contain_text("Works")
    assert TOKEN not in page.content()
    screenshot(page, "channels")
    assert serious_accessibility_violations(page) == []

    row.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("heading", name="Disable Acme on Mastodon?")).to_be_visible()
    expect(page.get_by_text("marked as failed")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Yes, disable it").click()

    expect(row).to_contain_text("Disabled")
    expect(row.get_by_role("button", name="Enable")).to_be_visible()
    assert not Channel.objects.get().is_active


def test_the_edit_page_is_accessible_and_keeps_the_secret_to_itself(page, cast):
    channel = Channel.objects.create(
        workspace=cast.workspace,
        kind="bluesky",
        name="Sky",
        credentials={"identifier": "acme.bsky.social", "app_password": TOKEN},
    )
    sign_in(page, cast.admin)
    page.goto(f"/channels/{channel.pk}/edit/")
    expect(page.locator("#id_identifier")).to_have_value("acme.bsky.social")
    expect(page.locator("#id_app_password")).to_have_value("")
    assert TOKEN not in page.content()
    assert serious_accessibility_violations(page) == []
