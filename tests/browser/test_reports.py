"""Reports in a real browser: a viewer follows the navigation to the dashboard, sees the
objectives' pace, the charts drawn beside their tables and the best-time heatmap, opens a
campaign's report; a content manager fills the time from a suggested good slot."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from planner.models import Cadence, FollowerSnapshot
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import CampaignFactory, ChannelFactory, ObjectiveFactory, PostFactory
from tests.planner.analytics.report_data import failed, published

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def demo(workspace):
    """A month of a running campaign serving two objectives, with a history long enough
    for the best time to post on Mastodon."""
    now = timezone.now()
    today = timezone.localdate(timezone=PARIS)
    mastodon = ChannelFactory(workspace=workspace, name="Mastodon")
    bluesky = ChannelFactory(workspace=workspace, name="Bluesky", kind="bluesky")
    ChannelFactory(
        workspace=workspace,
        name="LinkedIn",
        kind="linkedin",
        metrics_error="The token lacks the r_organization_social scope",
    )
    reach = ObjectiveFactory(
        workspace=workspace,
        title="Reach 20,000 people",
        kpi="reach",
        target=20_000,
        period_start=today - dt.timedelta(days=20),
        period_end=today + dt.timedelta(days=9),
    )
    posts = ObjectiveFactory(
        workspace=workspace,
        title="Publish 12 posts",
        kpi="posts_published",
        target=12,
        period_start=today - dt.timedelta(days=20),
        period_end=today + dt.timedelta(days=9),
    )
    campaign = CampaignFactory(
        workspace=workspace,
        name="Spring launch",
        colour="#0b6e4f",
        objective=posts,
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=9),
    )
    visibility = CampaignFactory(
        workspace=workspace,
        name="Always on",
        colour="#6f42c1",
        objective=reach,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=60),
    )
    for day, views in ((2, 5200), (6, 4100), (11, 3900)):
        published(
            workspace=workspace,
            at=now - dt.timedelta(days=day),
            campaign=visibility,
            channels=[bluesky],
            title=f"Tip of the week {day}",
            likes=12,
            views=views,
        )
    campaign.channels.set([mastodon, bluesky])
    Cadence.objects.create(campaign=campaign, channel=mastodon, posts_per_week=3)
    Cadence.objects.create(campaign=campaign, channel=bluesky, posts_per_week=2)
    titles = ["Trailhead teaser", "Behind the seams", "Rain test", "Launch day", "Thank you"]
    for i, title in enumerate(titles):
        published(
            workspace=workspace,
            at=now - dt.timedelta(days=3 * i + 1),
            campaign=campaign,
            channels=[mastodon, bluesky] if i % 2 else [mastodon],
            title=title,
            likes=40 - 6 * i,
            reposts=8 - i,
            replies=3,
            views=3000 - 400 * i,
        )
    for day in range(0, 21, 5):
        FollowerSnapshot.objects.create(
            channel=mastodon, count=1200 + 9 * day, taken_at=now - dt.timedelta(days=20 - day)
        )
    failed(workspace=workspace, channel=bluesky, at=now - dt.timedelta(days=2), error="HTTP 502")
    # Two months of Tuesday and Thursday mornings on Mastodon, before the campaign.
    start = now - dt.timedelta(days=120)
    for week in range(12):
        for weekday, hour, likes in ((1, 8, 30), (3, 16, 18)):
            moment = (start + dt.timedelta(weeks=week)).astimezone(PARIS)
            moment = moment - dt.timedelta(days=moment.weekday() - weekday)
            moment = moment.replace(hour=hour, minute=0, second=0, microsecond=0)
            published(workspace=workspace, at=moment, channels=[mastodon], likes=likes + week % 3)
    return campaign, mastodon


def test_a_viewer_reads_the_dashboard_and_a_campaign_report(page, cast):
    campaign, _ = demo(cast.workspace)
    sign_in(page, cast.viewer)
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports/")

    rows = page.locator("[data-testid=objective-progress]")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Publish 12 posts").locator("[data-testid=pace]")).to_be_visible()
    expect(page.locator("[data-testid=campaign-plan]", has_text="Spring launch")).to_be_visible()
    # Sent to two channels, its engagement is summed: first of the top posts.
    expect(page.locator("[data-testid=top-post]").first).to_contain_text("Behind the seams")
    expect(page.locator("[data-testid=failing-channels]")).to_contain_text("Bluesky")
    expect(page.locator("[data-testid=failing-channels]")).to_contain_text("r_organization_social")
    expect(page.locator("[data-testid=heatmap]")).to_contain_text("Mastodon")
    for chart in ("objectives-chart", "campaigns-chart"):
        drawn = page.evaluate(
            "id => !!Chart.getChart(document.querySelector(`canvas[data-chart=${id}]`))", chart
        )
        assert drawn, chart
    screenshot(page, "dashboard")
    assert serious_accessibility_violations(page) == []

    page.goto(f"/campaigns/{campaign.pk}/")
    page.locator("[data-testid=campaign-report-link]").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/report/")
    expect(page.get_by_role("heading", name="Report: Spring launch")).to_be_visible()
    expect(page.locator("[data-testid=cadence-week]").first).to_contain_text("of 3 published")
    expect(page.locator("[data-testid=channel-row]")).to_have_count(2)
    assert page.evaluate("() => !!Chart.getChart(document.querySelector('canvas[data-chart]'))")
    screenshot(page, "campaign-report")
    assert serious_accessibility_violations(page) == []


def test_a_suggested_good_time_fills_the_time_field(page, cast):
    _, mastodon = demo(cast.workspace)
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[mastodon])
    sign_in(page, cast.content)
    page.goto(f"/posts/{post.pk}/edit/")
    box = page.locator("[data-testid=good-times]")
    expect(box).to_contain_text("Good times for Mastodon:")
    button = box.locator("button[data-good-time]").first
    value = button.get_attribute("data-good-time")
    button.click()
    expect(page.locator("input[name=scheduled_at]")).to_have_value(value)
    assert serious_accessibility_violations(page) == []
