"""The audit trail in a real browser: an admin finds who changed a post's text."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from planner.posts import writing
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_finds_who_changed_a_posts_text(page, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    post = writing.post_create(
        actor=cast.content,
        workspace=cast.workspace,
        title="Spring sale",
        body="Everything at -10% this weekend.",
        variants={channel.pk: "Everything at -10% this weekend #sale"},
    )
    writing.post_edit(
        actor=cast.marketing,
        post=post,
        expected_version=post.version,
        title="Spring sale",
        body="Everything at -20% this weekend.",
        variants={channel.pk: "Everything at -20% this weekend #sale"},
    )
    sign_in(page, cast.admin)
    page.get_by_test_id("audit-link").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    page.get_by_label("Person").select_option(label=f"Marketing ({cast.marketing.email})")
    page.get_by_role("button", name="Filter").click()
    events = page.get_by_test_id("audit-event")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("Marketing edited the content (version 2)")
    expect(events.first.locator("del").first).to_contain_text("-10%")
    expect(events.first.locator("ins").first).to_contain_text("-20%")
    screenshot(page, "audit")
    assert serious_accessibility_violations(page) == []
    with page.expect_download() as download:
        page.get_by_test_id("audit-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "post.edit" in text and "post.create" not in text
