"""The queues and the at-risk marker in a real browser."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from planner.posts import actions
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_an_approver_follows_the_navigation_to_what_waits_for_them(page, cast):
    campaign = CampaignFactory(workspace=cast.workspace, name="Spring launch", colour="#0b6e4f")
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        campaign=campaign,
        title="Trailhead teaser",
        scheduled_at=timezone.now() + dt.timedelta(hours=20),
    )
    actions.post_submit(actor=cast.content, post=post)
    sign_in(page, cast.marketing)
    link = page.get_by_role("link", name="Waiting for me, 1")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**/queues/waiting/")
    row = page.locator("[data-testid=queue-row]")
    expect(row).to_contain_text("Trailhead teaser")
    expect(row).to_contain_text("Step 1 of 1 · Marketing")
    expect(page.get_by_role("link", name="At risk, 1")).to_be_visible()
    screenshot(page, "queues")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="At risk, 1").click()
    page.wait_for_url("**/queues/at-risk/")
    expect(page.locator("[data-testid=concerns]")).to_contain_text("Waits for your decision")
    assert serious_accessibility_violations(page) == []


def test_an_empty_queue_says_what_to_do(page, cast):
    sign_in(page, cast.content)
    page.get_by_role("link", name="My drafts, 0").click()
    page.wait_for_url("**/queues/drafts/")
    expect(page.locator("[data-testid=queue-empty]")).to_contain_text("You have no drafts.")
    assert serious_accessibility_violations(page) == []


def test_the_calendar_marks_a_post_at_risk(page, cast):
    # Tomorrow at the earliest (an event on today's cell is another story).
    when = (timezone.now() + dt.timedelta(hours=30)).astimezone(PARIS).replace(second=0)
    PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        title="Due soon",
        scheduled_at=when,
        channels=[ChannelFactory(workspace=cast.workspace, name="Mastodon")],
    )
    sign_in(page, cast.viewer)
    page.goto(f"/calendar/?view=dayGridMonth&date={when.date().replace(day=1).isoformat()}")
    event = page.locator(".fc-event", has_text="Due soon")
    marker = event.locator("i.bi-exclamation-triangle-fill")
    expect(marker).to_be_visible()
    expect(marker).to_have_attribute("title", re.compile("At risk"))
    expect(marker).to_have_attribute("aria-label", re.compile("At risk"))
    expect(event).to_have_attribute("aria-label", re.compile(r"Draft, At risk: .*, Mastodon$"))
    assert serious_accessibility_violations(page) == []
