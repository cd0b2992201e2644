"""Campaign pages: marketing sets the parameters; everyone sees plan versus cadence."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from planner.models import AuditEvent, Campaign
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db


def form(channel, **overrides):
    today = timezone.localdate()
    return {
        "name": "Spring",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat(),
        "channels": [channel.pk],
        f"cadence_{channel.pk}": "3",
        "colour": "#0b6e4f",
        **overrides,
    }


def test_marketing_creates_a_campaign_with_its_cadence(client, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="LinkedIn", kind="linkedin")
    client.force_login(cast.marketing)
    response = client.post("/campaigns/new/", form(channel))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.cadences.get().posts_per_week == 3
    assert AuditEvent.objects.filter(action="campaign.create").exists()


def test_an_end_before_the_start_is_shown_on_the_form_and_nothing_is_saved(client, cast):
    channel = ChannelFactory(workspace=cast.workspace)
    client.force_login(cast.marketing)
    today = timezone.localdate()
    response = client.post(
        "/campaigns/new/", form(channel, ends_on=(today - dt.timedelta(days=1)).isoformat())
    )
    assert "must end on or after its first day" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_content_manager_cannot_create_campaigns(client, cast):
    channel = ChannelFactory(workspace=cast.workspace)
    client.force_login(cast.content)
    assert b"New campaign" not in client.get("/campaigns/").content
    response = client.post("/campaigns/new/", form(channel))
    assert response.status_code == 403
    assert "Only marketing and admins create and edit campaigns." in response.content.decode()
    assert not Campaign.objects.exists()
    assert client.get("/campaigns/new/").status_code == 403


def test_the_campaign_page_shows_plan_versus_cadence_this_week(client, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="LinkedIn", kind="linkedin")
    campaign = CampaignFactory(workspace=cast.workspace)
    campaign.channels.set([channel])
    campaign.cadences.create(channel=channel, posts_per_week=3)
    zone = zoneinfo.ZoneInfo(cast.workspace.time_zone)
    today = timezone.localdate(timezone=zone)
    monday = dt.datetime.combine(
        today - dt.timedelta(days=today.weekday()), dt.time(12), tzinfo=zone
    )
    for day in (0, 2):
        PostFactory(
            workspace=cast.workspace,
            author=cast.content,
            campaign=campaign,
            channels=[channel],
            scheduled_at=monday + dt.timedelta(days=day),
        )
    client.force_login(cast.viewer)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "LinkedIn: 2 of 3 this week" in page


def test_the_campaign_page_embeds_its_calendar_opening_on_its_first_day_until_it_runs(client, cast):
    later = timezone.localdate() + dt.timedelta(days=60)
    campaign = CampaignFactory(workspace=cast.workspace, starts_on=later)
    client.force_login(cast.content)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'data-campaign="{campaign.pk}"' in page
    assert f'data-initial-date="{later.isoformat()}"' in page
    assert "No post in this campaign yet. Click a day to plan one in it." in page
    assert f"/posts/new/?campaign={campaign.pk}" in page


def test_another_workspaces_campaign_is_not_found(client, cast, other):
    campaign = CampaignFactory(workspace=cast.workspace)
    client.force_login(other.admin)
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/edit/").status_code == 404
