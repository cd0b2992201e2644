"""Notifications in a real browser: the bell, the inbox, opening one, the preferences."""

import pytest
from playwright.sync_api import expect

from planner.posts import actions
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approver_finds_what_waits_from_the_bell(page, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    posts = [
        PostFactory(workspace=cast.workspace, author=cast.content, title=title, channels=[channel])
        for title in ("Spring teaser", "Summer sale")
    ]
    for post in posts:
        actions.post_submit(actor=cast.content, post=post)

    sign_in(page, cast.marketing)
    bell = page.get_by_role("link", name="Notifications, 2 unread")
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_test_id("notification")).to_have_count(2)
    screenshot(page, "notifications")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="“Spring teaser” waits for your approval").click()
    page.wait_for_url(f"**/posts/{posts[0].pk}/")
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()

    page.goto("/notifications/")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("status")).to_contain_text("All notifications are marked as read.")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()


def test_the_preferences_page_saves_and_is_accessible(page, cast):
    sign_in(page, cast.content)
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Choose which notifications also reach you by email").click()
    expect(page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    box = page.get_by_label("A post waits for my approval")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Your notification preferences are saved.")
    expect(page.get_by_label("A post waits for my approval")).not_to_be_checked()
    expect(page.get_by_label("My post is approved")).to_be_checked()
    screenshot(page, "notification-preferences")
    assert serious_accessibility_violations(page) == []
