"""The post page and the crisis switch, through the browser's HTTP."""

import pytest

from planner import services
from planner.models import AuditEvent
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db


def approved(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    services.post_submit(actor=cast.content, post=post)
    return services.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )


def test_the_post_page_shows_text_channels_counters_and_deliveries(client, cast):
    post = approved(cast)
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert post.body in page
    assert f"Characters: {len(post.body)} / 500" in page
    assert 'data-testid="publication-row"' in page
    assert "Approved" in page


def test_a_text_too_long_for_a_network_is_flagged_on_the_page(client, cast):
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        body="x" * 501,
        channels=[ChannelFactory(workspace=cast.workspace)],
    )
    client.force_login(cast.content)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "Characters: 501 of 500 (1 too many)." in page


def test_a_viewer_sees_no_action_buttons(client, cast, draft):
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{draft.pk}/").content.decode()
    assert "/submit/" not in page
    response = client.post(f"/posts/{draft.pk}/submit/", follow=True)
    assert "Your role does not allow this." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_submitting_from_the_page_moves_the_post_to_review(client, cast, draft):
    client.force_login(cast.content)
    response = client.post(f"/posts/{draft.pk}/submit/", follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW


def test_cancelling_asks_for_confirmation_first(client, cast, draft):
    client.force_login(cast.content)
    response = client.post(f"/posts/{draft.pk}/cancel/")
    assert b"will not be published" in response.content
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    client.post(f"/posts/{draft.pk}/cancel/", {"confirmed": "yes", "reason": "Off topic"})
    draft.refresh_from_db()
    assert draft.state == State.CANCELLED
    assert AuditEvent.objects.get(post=draft, action="post.cancel").data["note"] == "Off topic"


def test_an_unknown_action_is_not_found(client, cast, draft):
    client.force_login(cast.content)
    assert client.post(f"/posts/{draft.pk}/explode/").status_code == 404


def test_an_admin_pauses_with_a_reason_and_confirmation_then_resumes(client, cast):
    client.force_login(cast.admin)
    assert b"Pause all publishing" in client.get("/").content
    page = client.post("/publishing/pause/", {"reason": "Hacked account"})
    assert b"Pause all publishing of this workspace?" in page.content
    cast.workspace.refresh_from_db()
    assert not cast.workspace.is_paused
    client.post("/publishing/pause/", {"reason": "Hacked account", "confirmed": "yes"})
    cast.workspace.refresh_from_db()
    assert cast.workspace.publishing_paused_reason == "Hacked account"
    client.force_login(cast.viewer)
    assert b"Hacked account" in client.get("/").content
    client.force_login(cast.admin)
    response = client.post("/publishing/resume/", follow=True)
    assert b"Publishing resumed" in response.content
    cast.workspace.refresh_from_db()
    assert not cast.workspace.is_paused


def test_only_admins_see_and_use_the_crisis_switch(client, cast):
    client.force_login(cast.marketing)
    assert b"Pause all publishing" not in client.get("/").content
    response = client.post("/publishing/pause/", {"reason": "x", "confirmed": "yes"}, follow=True)
    assert b"Your role does not allow this." in response.content
    cast.workspace.refresh_from_db()
    assert not cast.workspace.is_paused
