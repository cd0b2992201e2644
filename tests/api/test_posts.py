"""Posts over the API: the same services, rules and refusals as the post's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from planner.models import AuditEvent, Post
from planner.posts import actions
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db


def _later(days=2) -> str:
    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0).isoformat()


@pytest.fixture
def channel(cast):
    return ChannelFactory(workspace=cast.workspace)


def test_a_content_manager_drafts_a_post_with_variants(api_as, cast, channel):
    response = api_as(cast.content).post(
        "/api/v1/posts/",
        {"body": "Spring!", "variants": {str(channel.pk): "Spring on Mastodon"}, "labels": ["x"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["version"] == 1
    assert body["variants"] == {str(channel.pk): "Spring on Mastodon"}
    assert body["labels"] == ["x"]
    assert AuditEvent.objects.filter(action="post.create", post_id=body["id"]).exists()


def test_a_viewer_cannot_draft_a_post(api_as, cast):
    response = api_as(cast.viewer).post("/api/v1/posts/", {"body": "x"}, format="json")
    assert response.status_code == 403
    assert Post.objects.count() == 0


def test_a_contributor_cannot_schedule_a_post(api_as, cast):
    response = api_as(cast.contributor).post(
        "/api/v1/posts/", {"body": "x", "scheduled_at": _later()}, format="json"
    )
    assert response.status_code == 403


def test_a_time_without_offset_is_refused_on_its_field(api_as, cast):
    response = api_as(cast.content).post(
        "/api/v1/posts/", {"body": "x", "scheduled_at": "2030-01-01T09:00:00"}, format="json"
    )
    assert response.status_code == 400
    assert "scheduled_at" in response.json()["fields"]


def test_times_come_back_in_utc(api_as, cast):
    response = api_as(cast.content).post(
        "/api/v1/posts/", {"body": "x", "scheduled_at": "2030-01-01T09:00:00+01:00"}, format="json"
    )
    assert response.json()["scheduled_at"] == "2030-01-01T08:00:00Z"


def test_a_channel_of_another_workspace_is_refused(api_as, cast, other):
    theirs = ChannelFactory(workspace=other.workspace)
    response = api_as(cast.content).post(
        "/api/v1/posts/", {"body": "x", "variants": {str(theirs.pk): ""}}, format="json"
    )
    assert response.status_code == 400
    assert "channels" in response.json()["fields"]


def test_an_edit_with_the_current_version_makes_a_new_one(api_as, cast, draft):
    response = api_as(cast.content).patch(
        f"/api/v1/posts/{draft.pk}/", {"version": 1, "body": "New text"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["version"], response.json()["body"]) == (2, "New text")


def test_an_edit_from_a_stale_version_is_a_409_and_saves_nothing(api_as, cast, draft):
    api = api_as(cast.content)
    api.patch(f"/api/v1/posts/{draft.pk}/", {"version": 1, "body": "First"}, format="json")
    response = api.patch(
        f"/api/v1/posts/{draft.pk}/", {"version": 1, "body": "Second"}, format="json"
    )
    assert response.status_code == 409
    assert "2" in response.json()["message"]
    draft.refresh_from_db()
    assert (draft.version, draft.body) == (2, "First")


def test_an_edit_needs_the_version(api_as, cast, draft):
    response = api_as(cast.content).patch(
        f"/api/v1/posts/{draft.pk}/", {"body": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["fields"]


def test_a_viewer_cannot_edit_a_post(api_as, cast, draft):
    response = api_as(cast.viewer).patch(
        f"/api/v1/posts/{draft.pk}/", {"version": 1, "body": "x"}, format="json"
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.body == PostFactory.body


def test_a_post_is_rescheduled(api_as, cast, draft):
    when = _later(5)
    response = api_as(cast.content).post(
        f"/api/v1/posts/{draft.pk}/reschedule/", {"scheduled_at": when}, format="json"
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (
        draft.scheduled_at.isoformat()
        == dt.datetime.fromisoformat(when).astimezone(dt.UTC).isoformat()
    )


def test_submit_then_approve_with_version_and_step(api_as, cast, draft):
    assert api_as(cast.content).post(f"/api/v1/posts/{draft.pk}/submit/").json()["state"] == (
        "in_review"
    )
    review = api_as(cast.marketing).get(f"/api/v1/posts/{draft.pk}/approvals/").json()
    assert review["current_step"] == 1
    assert {p["id"] for p in review["waiting_for"]} == {cast.marketing.pk, cast.marketing2.pk}
    response = api_as(cast.marketing).post(
        f"/api/v1/posts/{draft.pk}/approve/", {"version": 1, "step": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved"


def test_approving_a_step_already_decided_is_a_409(api_as, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    first = api_as(cast.marketing).post(
        f"/api/v1/posts/{draft.pk}/approve/", {"version": 1, "step": 1}, format="json"
    )
    assert first.status_code == 200
    second = api_as(cast.marketing2).post(
        f"/api/v1/posts/{draft.pk}/approve/", {"version": 1, "step": 1}, format="json"
    )
    assert second.status_code == 409
    assert second.json()["message"]


def test_approving_a_stale_version_is_a_409(api_as, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    response = api_as(cast.marketing).post(
        f"/api/v1/posts/{draft.pk}/approve/", {"version": 7, "step": 1}, format="json"
    )
    assert response.status_code == 409


def test_a_content_manager_cannot_approve(api_as, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    response = api_as(cast.content2).post(
        f"/api/v1/posts/{draft.pk}/approve/", {"version": 1, "step": 1}, format="json"
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == "in_review"


def test_requesting_changes_needs_a_comment(api_as, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    api = api_as(cast.marketing)
    refused = api.post(
        f"/api/v1/posts/{draft.pk}/request-changes/", {"version": 1, "step": 1}, format="json"
    )
    assert refused.status_code == 400
    assert "comment" in refused.json()["fields"]
    done = api.post(
        f"/api/v1/posts/{draft.pk}/request-changes/",
        {"version": 1, "step": 1, "comment": "Shorter, please"},
        format="json",
    )
    assert done.json()["state"] == "changes_requested"


def test_reject_cancels_the_post(api_as, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    response = api_as(cast.marketing).post(
        f"/api/v1/posts/{draft.pk}/reject/", {"version": 1, "step": 1}, format="json"
    )
    assert response.json()["state"] == "cancelled"


def test_withdraw_and_cancel(api_as, cast, draft):
    api = api_as(cast.content)
    api.post(f"/api/v1/posts/{draft.pk}/submit/")
    assert api.post(f"/api/v1/posts/{draft.pk}/withdraw/").json()["state"] == "draft"
    cancelled = api.post(f"/api/v1/posts/{draft.pk}/cancel/", {"reason": "Off"}, format="json")
    assert cancelled.json()["state"] == "cancelled"


def test_a_viewer_cannot_cancel(api_as, cast, draft):
    assert api_as(cast.viewer).post(f"/api/v1/posts/{draft.pk}/cancel/").status_code == 403


def test_submitting_twice_is_a_409(api_as, cast, draft):
    api = api_as(cast.content)
    api.post(f"/api/v1/posts/{draft.pk}/submit/")
    assert api.post(f"/api/v1/posts/{draft.pk}/submit/").status_code == 409


def test_a_viewer_who_wrote_a_post_cannot_change_its_details(api_as, cast):
    from tests.factories import CampaignFactory

    post = PostFactory(workspace=cast.workspace, author=cast.viewer)  # a former contributor
    campaign = CampaignFactory(workspace=cast.workspace)
    response = api_as(cast.viewer).patch(
        f"/api/v1/posts/{post.pk}/",
        {"version": post.version, "campaign": campaign.pk, "assignee": cast.viewer.pk},
        format="json",
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert (post.campaign, post.assignee) == (None, None)
