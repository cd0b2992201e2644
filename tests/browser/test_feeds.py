"""Calendar feeds in a real browser: from the profile, make a feed, copy its webcal:// and
https:// addresses (shown once), and the address answers a calendar."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_makes_a_feed_from_the_profile_and_copies_its_addresses(page, live_server, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    CampaignFactory(workspace=cast.workspace, name="Spring collection")
    PostFactory(
        workspace=cast.workspace, author=cast.marketing, title="Spring teaser", channels=[channel]
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, cast.marketing)

    page.goto("/accounts/profile/")
    page.get_by_test_id("feeds-link").click()
    expect(page.get_by_role("heading", name="Calendar feeds", exact=True)).to_be_visible()
    expect(page.get_by_test_id("no-feeds")).to_be_visible()
    page.get_by_label("What it shows").select_option(
        label="My posts (written by me or assigned to me)"
    )
    page.get_by_label("Name (for you)").fill("My week")
    page.get_by_role("button", name="Make the feed").click()

    fresh = page.get_by_test_id("fresh-feed")
    expect(fresh).to_contain_text("Copy the address now: it is shown only this once.")
    webcal = page.get_by_test_id("webcal-address").input_value()
    https = page.get_by_test_id("https-address").input_value()
    assert webcal.startswith("webcal://") and webcal.endswith(".ics")
    assert webcal.split("://", 1)[1] == https.split("://", 1)[1]
    expect(page.get_by_role("link", name="Open in my calendar app")).to_have_attribute(
        "href", webcal
    )

    page.get_by_role("button", name="Copy the webcal:// address").click()
    expect(page.get_by_test_id("copy-status")).to_have_text("The webcal:// address is copied.")
    assert page.evaluate("navigator.clipboard.readText()") == webcal
    page.get_by_role("button", name="Copy the https:// address").click()
    expect(page.get_by_test_id("copy-status")).to_have_text("The https:// address is copied.")
    assert page.evaluate("navigator.clipboard.readText()") == https

    answer = page.request.get(live_server.url + urlsplit(https).path)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Spring teaser" in answer.text()

    screenshot(page, "feeds")
    assert serious_accessibility_violations(page) == []

    # Later the page lists the feed, never its address again.
    page.goto("/feeds/")
    expect(page.get_by_test_id("feed-link")).to_contain_text("My week")
    expect(page.get_by_test_id("webcal-address")).to_have_count(0)
    assert urlsplit(https).path not in page.content()
    assert serious_accessibility_violations(page) == []


def test_without_the_clipboard_the_address_is_selected_for_copying_by_hand(page, cast):
    sign_in(page, cast.viewer)
    page.goto("/feeds/")
    page.get_by_label("What it shows").select_option(label="The whole workspace")
    page.get_by_role("button", name="Make the feed").click()
    expect(page.get_by_test_id("fresh-feed")).to_be_visible()
    # As in a browser that refuses the page the clipboard.
    page.evaluate(
        "Object.defineProperty(navigator, 'clipboard', {value: {writeText: () =>"
        " Promise.reject(new Error('denied'))}})"
    )
    page.get_by_role("button", name="Copy the https:// address").click()
    expect(page.get_by_test_id("copy-status")).to_contain_text("press Ctrl+C")
    selected = page.evaluate(
        "() => { const f = document.getElementById('fresh-https');"
        " return f.value.substring(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == page.get_by_test_id("https-address").input_value()
