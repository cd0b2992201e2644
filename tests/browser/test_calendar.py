"""The calendar in a real browser: plan, move, refuse, filter, by each role."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from planner.models import Post
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def local_day(days: int) -> dt.date:
    return (timezone.now().astimezone(PARIS) + dt.timedelta(days=days)).date()


def day_cell(page, day: dt.date):
    return page.locator(f'td.fc-daygrid-day[data-date="{day.isoformat()}"]')


def drag_to_day(page, event, day: dt.date):
    """Drop on the bottom of the day's cell: its top may carry a campaign's span bar,
    which would take the drop instead of the day."""
    cell = day_cell(page, day)
    box = cell.bounding_box()
    event.drag_to(cell, target_position={"x": box["width"] / 2, "y": box["height"] - 6})


def open_month(page, day: dt.date):
    page.goto(f"/calendar/?view=dayGridMonth&date={day.replace(day=1).isoformat()}")
    page.wait_for_selector(".fc-daygrid-day")


@pytest.fixture
def planned(cast):
    """A post three days ahead, at 10:00 Paris time, on a campaign."""
    campaign = CampaignFactory(workspace=cast.workspace, name="Spring launch", colour="#0b6e4f")
    when = dt.datetime.combine(local_day(3), dt.time(10, 0), tzinfo=PARIS)
    return PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        campaign=campaign,
        title="Trailhead teaser",
        scheduled_at=when,
        channels=[ChannelFactory(workspace=cast.workspace, name="Mastodon")],
    )


def test_the_calendar_shows_a_post_on_its_day_with_its_status(page, cast, planned):
    sign_in(page, cast.viewer)
    open_month(page, local_day(3))
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    expect(event).to_be_visible()
    expect(event).to_contain_text("Draft")
    expect(event).to_contain_text("10:00")
    # Its channel as the network's icon, named for screen readers.
    expect(event.locator("i.bi-mastodon[title=Mastodon]")).to_be_visible()
    expect(event).to_have_attribute("aria-label", re.compile(r"Draft, Mastodon$"))
    screenshot(page, "calendar")
    assert serious_accessibility_violations(page) == []


def test_a_content_manager_plans_a_post_by_clicking_a_day(page, cast):
    ChannelFactory(workspace=cast.workspace, name="Mastodon")
    sign_in(page, cast.content)
    target = local_day(5)
    open_month(page, target)
    day_cell(page, target).locator(".fc-daygrid-day-frame").click(position={"x": 60, "y": 60})
    page.wait_for_url("**/posts/new/**")
    expect(page.locator("input[name=scheduled_at]")).to_have_value(f"{target.isoformat()}T09:00")
    page.fill("textarea[name=body]", "Planned from the calendar")
    page.check("input[name=channels]")
    expect(page.locator("#counters")).to_contain_text("Characters 25 / 500")
    screenshot(page, "editor")
    page.click("button[name=save_draft]")
    page.wait_for_url("**/posts/*/")
    post = Post.objects.get()
    assert post.scheduled_at.astimezone(PARIS).date() == target
    assert post.scheduled_at.astimezone(PARIS).hour == 9


def test_a_post_dragged_to_another_day_stays_there_after_a_reload(page, cast, planned):
    sign_in(page, cast.content)
    target = local_day(4)
    open_month(page, local_day(3))
    if day_cell(page, target).count() == 0:  # the next day is in the next month's view
        pytest.fail("choose days inside one month view")
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    drag_to_day(page, event, target)
    expect(page.locator("#calendar-status")).to_contain_text("Moved to")
    page.reload()
    page.wait_for_selector(".fc-event")
    expect(day_cell(page, target).locator(".fc-event", has_text="Trailhead teaser")).to_be_visible()
    planned.refresh_from_db()
    assert planned.scheduled_at.astimezone(PARIS).date() == target
    assert planned.scheduled_at.astimezone(PARIS).hour == 10


def test_a_drag_into_the_past_snaps_back_with_a_message(page, cast, planned):
    sign_in(page, cast.content)
    open_month(page, local_day(3))
    past = local_day(-1)
    if day_cell(page, past).count() == 0:
        pytest.fail("choose days inside one month view")
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    drag_to_day(page, event, past)
    expect(page.locator("#calendar-status")).to_contain_text("Choose a time in the future.")
    expect(
        day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    ).to_be_visible()
    before = planned.scheduled_at
    planned.refresh_from_db()
    assert planned.scheduled_at == before


def test_a_post_moves_a_day_with_the_keyboard_and_stays_there(page, cast, planned):
    sign_in(page, cast.content)
    open_month(page, local_day(3))
    target = local_day(4)
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    event.focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(page.locator("#calendar-status")).to_contain_text("Moved to")
    moved = day_cell(page, target).locator(".fc-event", has_text="Trailhead teaser")
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()  # the focus follows the post, so moves can be chained
    page.reload()
    page.wait_for_selector(".fc-event")
    expect(day_cell(page, target).locator(".fc-event", has_text="Trailhead teaser")).to_be_visible()
    planned.refresh_from_db()
    assert planned.scheduled_at.astimezone(PARIS).date() == target
    assert planned.scheduled_at.astimezone(PARIS).hour == 10


def test_a_keyboard_move_into_the_past_is_refused_and_put_back(page, cast, planned):
    sign_in(page, cast.content)
    open_month(page, local_day(3))
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    event.focus()
    page.keyboard.press("Alt+ArrowUp")  # a week earlier: four days ago
    expect(page.locator("#calendar-status")).to_contain_text("Choose a time in the future.")
    expect(
        day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    ).to_be_visible()
    before = planned.scheduled_at
    planned.refresh_from_db()
    assert planned.scheduled_at == before


def test_filters_are_kept_in_the_address(page, cast, planned):
    PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        title="Unrelated",
        scheduled_at=planned.scheduled_at,
    )
    sign_in(page, cast.viewer)
    open_month(page, local_day(3))
    page.select_option("#f-campaign", label="Spring launch")
    page.click("#calendar-filters button[type=submit]")
    page.wait_for_selector(".fc-event")
    assert f"campaign={planned.campaign_id}" in page.url
    expect(page.locator(".fc-event", has_text="Trailhead teaser")).to_be_visible()
    expect(page.locator(".fc-event", has_text="Unrelated")).to_have_count(0)


def test_a_campaign_page_has_its_own_calendar_to_see_move_and_plan_in(page, cast, planned):
    campaign = planned.campaign
    channel = planned.variants.get().channel
    campaign.channels.set([channel])
    campaign.cadences.create(channel=channel, posts_per_week=3)
    PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        campaign=CampaignFactory(workspace=cast.workspace, name="Autumn"),
        title="Another campaign's post",
        scheduled_at=planned.scheduled_at,
    )
    sign_in(page, cast.content)
    page.goto(f"/campaigns/{campaign.pk}/")
    page.wait_for_selector(".fc-event")
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    expect(event).to_be_visible()
    expect(page.locator(".fc-event", has_text="Another campaign's post")).to_have_count(0)
    expect(page.locator(".fc-event", has_text="Autumn")).to_have_count(0)  # its span neither
    url = page.url
    screenshot(page, "campaign")
    assert serious_accessibility_violations(page) == []

    # Moving a post on the campaign's calendar is checked by the server like anywhere.
    drag_to_day(page, event, local_day(4))
    expect(page.locator("#calendar-status")).to_contain_text("Moved to")
    assert page.url == url  # the page's own address is left alone
    page.reload()
    page.wait_for_selector(".fc-event")
    expect(
        day_cell(page, local_day(4)).locator(".fc-event", has_text="Trailhead teaser")
    ).to_be_visible()

    # Clicking a day plans a post in this campaign, on its channels.
    target = local_day(6)
    day_cell(page, target).locator(".fc-daygrid-day-frame").click(position={"x": 60, "y": 60})
    page.wait_for_url("**/posts/new/**")
    expect(page.locator("input[name=scheduled_at]")).to_have_value(f"{target.isoformat()}T09:00")
    expect(page.locator("select[name=campaign]")).to_have_value(str(campaign.pk))
    expect(page.locator(f"input[name=channels][value='{channel.pk}']")).to_be_checked()
