"""Objectives, campaigns, channels, key dates, publications and the calendar window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from planner.models import Campaign, KeyDate, Objective, Publication
from tests.factories import CampaignFactory, ChannelFactory, ObjectiveFactory, PostFactory

pytestmark = pytest.mark.django_db

CAMPAIGN = {"name": "Spring", "starts_on": "2030-03-01", "ends_on": "2030-03-31"}
OBJECTIVE = {
    "title": "Reach",
    "kpi": "reach",
    "target": 1000,
    "period_start": "2030-01-01",
    "period_end": "2030-03-31",
}


def test_marketing_creates_a_campaign_with_channels_and_cadence(api_as, cast):
    channel = ChannelFactory(workspace=cast.workspace)
    response = api_as(cast.marketing).post(
        "/api/v1/campaigns/",
        {**CAMPAIGN, "channels": [channel.pk], "cadence": {str(channel.pk): 3}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["cadence"] == {str(channel.pk): 3}
    assert response.json()["channels"] == [channel.pk]


def test_a_content_manager_cannot_create_a_campaign(api_as, cast):
    response = api_as(cast.content).post("/api/v1/campaigns/", CAMPAIGN, format="json")
    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_a_campaign_that_ends_before_it_starts_is_refused_on_ends_on(api_as, cast):
    response = api_as(cast.marketing).post(
        "/api/v1/campaigns/", {**CAMPAIGN, "ends_on": "2030-02-01"}, format="json"
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()["fields"]


def test_a_second_campaign_of_the_same_name_is_a_409_on_its_name(api_as, cast):
    api = api_as(cast.marketing)
    api.post("/api/v1/campaigns/", CAMPAIGN, format="json")
    response = api.post("/api/v1/campaigns/", CAMPAIGN, format="json")
    assert response.status_code == 409
    assert "name" in response.json()["fields"]


def test_a_campaign_is_renamed_keeping_the_rest(api_as, cast):
    campaign = CampaignFactory(workspace=cast.workspace, guidelines="Be kind")
    response = api_as(cast.marketing).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert (campaign.name, campaign.guidelines) == ("Renamed", "Be kind")


def test_an_admin_sets_an_objective(api_as, cast):
    response = api_as(cast.admin).post("/api/v1/objectives/", OBJECTIVE, format="json")
    assert response.status_code == 201, response.json()
    assert Objective.objects.get().title == "Reach"


def test_marketing_cannot_set_an_objective(api_as, cast):
    assert (
        api_as(cast.marketing).post("/api/v1/objectives/", OBJECTIVE, format="json").status_code
        == 403
    )


def test_an_objective_is_updated(api_as, cast):
    objective = ObjectiveFactory(workspace=cast.workspace)
    response = api_as(cast.admin).patch(
        f"/api/v1/objectives/{objective.pk}/", {"target": 99}, format="json"
    )
    assert response.json()["target"] == 99


def test_channels_never_show_their_credentials(api_as, cast):
    ChannelFactory(workspace=cast.workspace, credentials={"access_token": "very-secret"})
    response = api_as(cast.viewer).get("/api/v1/channels/")
    assert response.status_code == 200
    assert b"very-secret" not in response.content
    assert set(response.json()["results"][0]) == {"id", "kind", "name", "handle", "is_active"}


def test_marketing_adds_and_removes_a_key_date(api_as, cast):
    api = api_as(cast.marketing)
    created = api.post(
        "/api/v1/key-dates/", {"title": "Launch", "starts_on": "2030-05-01"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["ends_on"] == "2030-05-01"
    assert api.delete(f"/api/v1/key-dates/{created.json()['id']}/").status_code == 204
    assert not KeyDate.objects.exists()


def test_a_viewer_cannot_add_a_key_date(api_as, cast):
    response = api_as(cast.viewer).post(
        "/api/v1/key-dates/", {"title": "Launch", "starts_on": "2030-05-01"}, format="json"
    )
    assert response.status_code == 403


def test_publications_are_filtered_by_state(api_as, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    channel = post.variants.get().channel
    Publication.objects.create(post=post, channel=channel, due_at=post.scheduled_at)
    api = api_as(cast.viewer)
    assert api.get("/api/v1/publications/?state=scheduled").json()["count"] == 1
    assert api.get("/api/v1/publications/?state=published").json()["count"] == 0
    assert api.get(f"/api/v1/publications/?post={post.pk}").json()["count"] == 1


def test_the_calendar_window_has_posts_campaigns_and_key_dates(api_as, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    CampaignFactory(workspace=cast.workspace)
    KeyDate.objects.create(
        workspace=cast.workspace,
        title="Fair",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    start = timezone.now() - dt.timedelta(days=1)
    end = start + dt.timedelta(days=7)
    response = api_as(cast.viewer).get(
        "/api/v1/calendar/",
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [p["id"] for p in body["posts"]] == [post.pk]
    assert len(body["campaigns"]) == 1
    assert [k["title"] for k in body["key_dates"]] == ["Fair"]


def test_a_calendar_window_longer_than_120_days_is_refused_on_end(api_as, cast):
    response = api_as(cast.viewer).get(
        "/api/v1/calendar/", {"start": "2030-01-01T00:00:00Z", "end": "2030-12-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "end" in response.json()["fields"]
