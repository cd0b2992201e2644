"""The calendar marks, in the browser, a post whose channel is disconnected."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from planner.models import ChannelKind
from tests.browser.conftest import serious_accessibility_violations, sign_in
from tests.browser.test_calendar import PARIS, day_cell, local_day, open_month
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_calendar_marks_a_post_whose_channel_is_disconnected(page, cast):
    channel = ChannelFactory(
        workspace=cast.workspace,
        kind=ChannelKind.X,
        name="Cairn on X",
        credentials={"access_token": "a", "refresh_token": "r"},
        disconnected_at=timezone.now(),
        disconnected_reason="HTTP 401: Unauthorized",
    )
    PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        title="Trailhead teaser",
        scheduled_at=dt.datetime.combine(local_day(3), dt.time(10, 0), tzinfo=PARIS),
        channels=[channel],
    )
    sign_in(page, cast.viewer)
    open_month(page, local_day(3))
    event = day_cell(page, local_day(3)).locator(".fc-event", has_text="Trailhead teaser")
    marker = event.locator("i.connection-risk[data-connection-risk=disconnected]")
    expect(marker).to_be_visible()
    expect(marker).to_have_attribute(
        "aria-label", "A channel of this post is disconnected: reconnect it"
    )
    expect(event).to_have_attribute(
        "aria-label",
        "10:00 Trailhead teaser, Draft, A channel of this post is disconnected: reconnect it, X",
    )
    assert serious_accessibility_violations(page) == []
