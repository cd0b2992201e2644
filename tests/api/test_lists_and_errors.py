"""Pagination, validated filters, the error shape, and what a list costs."""

from __future__ import annotations

import pytest

from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db


def _posts(cast, n):
    channel = ChannelFactory(workspace=cast.workspace)
    return [
        PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
        for _ in range(n)
    ]


def test_lists_are_paginated_with_a_count(api_as, cast):
    _posts(cast, 5)
    body = api_as(cast.viewer).get("/api/v1/posts/?page_size=2&page=2").json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


@pytest.mark.parametrize("size", ["0", "101", "ten", "-1"])
def test_a_bad_page_size_is_a_400_naming_it(api_as, cast, size):
    response = api_as(cast.viewer).get(f"/api/v1/posts/?page_size={size}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["page_size"]


@pytest.mark.parametrize("page", ["0", "x", "9"])
def test_a_bad_page_is_a_400_naming_it(api_as, cast, page):
    response = api_as(cast.viewer).get(f"/api/v1/posts/?page={page}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["page"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("state=nope", "state"),
        ("state=", "state"),
        ("campaign=abc", "campaign"),
        ("campaign=999999", "campaign"),
        ("channel=99999999999999999999999", "channel"),
        ("scheduled_after=tomorrow", "scheduled_after"),
        ("scheduled_after=2030-01-01T00:00:00", "scheduled_after"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_as, cast, query, field):
    response = api_as(cast.viewer).get(f"/api/v1/posts/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_filter_by_another_workspaces_campaign_is_refused(api_as, cast, other):
    from tests.factories import CampaignFactory

    theirs = CampaignFactory(workspace=other.workspace)
    response = api_as(cast.viewer).get(f"/api/v1/posts/?campaign={theirs.pk}")
    assert response.status_code == 400


def test_posts_are_filtered_by_state_and_channel(api_as, cast):
    first, _second = _posts(cast, 2)
    api = api_as(cast.viewer)
    assert api.get("/api/v1/posts/?state=draft").json()["count"] == 2
    assert api.get("/api/v1/posts/?state=approved").json()["count"] == 0
    channel = first.variants.get().channel_id
    assert api.get(f"/api/v1/posts/?channel={channel}").json()["count"] == 2


def test_a_validation_error_has_a_message_and_a_field_map(api_as, cast):
    response = api_as(cast.content).post("/api/v1/posts/", {"title": 3}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "fields"}
    assert set(body["fields"]) == {"title", "body"}
    assert "body" in body["message"]


def test_an_unknown_object_is_a_404_in_the_same_shape(api_as, cast):
    response = api_as(cast.viewer).get("/api/v1/posts/999999/")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "fields"}


def test_an_unknown_address_is_a_json_404(api_as, cast):
    response = api_as(cast.viewer).get("/api/v1/posts/abc/")
    assert response.status_code == 404
    assert response.json()["message"]


def test_a_method_that_does_not_exist_is_a_405_in_the_same_shape(api_as, cast):
    response = api_as(cast.viewer).delete("/api/v1/posts/")
    assert response.status_code == 405
    assert response.json()["fields"] == {}


def test_a_body_that_is_not_json_is_a_415(api_as, cast):
    response = api_as(cast.content).post(
        "/api/v1/posts/", "body=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["message"]


def test_broken_json_is_a_400(api_as, cast):
    response = api_as(cast.content).post(
        "/api/v1/posts/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"]


def test_too_many_requests_is_a_429_with_retry_after(api_as, cast, settings):
    settings.API_RATE_PER_MINUTE = 2
    api = api_as(cast.viewer)
    assert api.get("/api/v1/channels/").status_code == 200
    assert api.get("/api/v1/channels/").status_code == 200
    response = api.get("/api/v1/channels/")
    assert response.status_code == 429
    assert response.json()["message"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/posts/",
        "/api/v1/publications/",
        "/api/v1/campaigns/",
        "/api/v1/key-dates/",
        "/api/v1/channels/",
        "/api/v1/objectives/",
    ],
)
def test_a_list_costs_the_same_queries_for_2_rows_as_for_30(
    api_as, cast, url, django_assert_max_num_queries
):
    from datetime import date, timedelta

    from planner.models import KeyDate, Publication
    from tests.factories import CampaignFactory, ObjectiveFactory

    api = api_as(cast.viewer)
    api.get(url)  # the token's first use writes last_used_at: not counted below

    def add(n):
        for post in _posts(cast, n):
            variant = post.variants.get()
            Publication.objects.create(post=post, channel=variant.channel, due_at=post.scheduled_at)
            post.labels.create(workspace=cast.workspace, name=f"label {post.pk}")
            ChannelFactory(workspace=cast.workspace)
            CampaignFactory(workspace=cast.workspace).channels.add(variant.channel)
            ObjectiveFactory(workspace=cast.workspace)
            KeyDate.objects.create(
                workspace=cast.workspace,
                title="x",
                starts_on=date(2030, 1, 1) + timedelta(days=post.pk % 300),
                ends_on=date(2030, 1, 1) + timedelta(days=post.pk % 300),
            )

    add(2)
    with django_assert_max_num_queries(8):
        assert api.get(f"{url}?page_size=100").json()["count"] >= 2
    add(28)
    with django_assert_max_num_queries(8):
        assert api.get(f"{url}?page_size=100").json()["count"] >= 30
