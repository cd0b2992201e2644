"""The post page and the crisis switch, through the browser's HTTP."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from planner.models import AuditEvent
from planner.posts import actions
from planner.publishing import engine
from planner.workflow import Action, State
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db


def approved(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    actions.post_submit(actor=cast.content, post=post)
    return actions.post_decide(
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


@pytest.mark.parametrize(
    ("stored", "linked"),
    [
        ("https://mastodon.example/@acme/1", True),
        ("javascript:alert(document.cookie)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
    ],
)
def test_only_a_web_address_from_the_network_is_linked_on_the_page_and_in_the_api(
    client, cast, stored, linked
):
    post = approved(cast)
    publication = post.publications.get()
    publication.external_url = stored
    publication.save(update_fields=["external_url"])
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert ("See it on the network" in page) is linked
    assert (f'href="{stored}"' in page) is linked
    assert "javascript:" not in page and "data:text/html" not in page
    api = client.get(f"/api/v1/publications/{publication.pk}/")
    assert api.status_code == 200
    assert api.json()["external_url"] == (stored if linked else None)


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


def test_the_history_reads_as_sentences_newest_first(client, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    actions.post_submit(actor=cast.content, post=post)
    actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="request_changes",
        expected_version=1,
        step_position=1,
        comment="Shorter, please.",
    )
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    marketing = cast.marketing.display_name
    content = cast.content.display_name
    requested = f"{marketing} requested changes on version 1 (step 1)"
    submitted = f"{content} submitted version 1 for approval"
    assert requested in page
    assert submitted in page
    assert page.index(requested) < page.index(submitted)
    assert "(In review → Changes requested)" in page
    assert "post.request_changes" not in page


def test_the_history_of_the_engine_names_maillon(client, cast):
    post = approved(cast)
    engine.post_engine_transition(post=post, action=Action.START_PUBLISHING)
    client.force_login(cast.content)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "Publishing started" in page
    assert "(Approved → Publishing)" in page


def test_moving_an_approved_post_with_the_form_sends_it_back_to_review(client, cast):
    post = approved(cast)
    client.force_login(cast.content)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert 'name="when"' in page
    when = timezone.localtime(post.scheduled_at, ZoneInfo(cast.content.time_zone))
    target = (when + dt.timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)
    response = client.post(
        f"/posts/{post.pk}/reschedule/", {"when": target.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    post.refresh_from_db()
    assert post.scheduled_at == target
    assert post.state == State.IN_REVIEW
    assert "Moved to" in response.content.decode()
    assert "waits for approval again" in response.content.decode()
    assert AuditEvent.objects.filter(post=post, action="post.reschedule").exists()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2020-01-01T09:00", "Choose a time in the future."),
        ("not a date", "Give a date and time"),
        ("", "Give a date and time"),
    ],
)
def test_the_move_form_refuses_bad_times_and_changes_nothing(client, cast, when, message):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    before = post.scheduled_at
    client.force_login(cast.content)
    response = client.post(f"/posts/{post.pk}/reschedule/", {"when": when}, follow=True)
    post.refresh_from_db()
    assert post.scheduled_at == before
    assert message in response.content.decode()


def test_a_viewer_gets_no_move_form_and_cannot_move(client, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    before = post.scheduled_at
    client.force_login(cast.viewer)
    assert 'name="when"' not in client.get(f"/posts/{post.pk}/").content.decode()
    client.post(f"/posts/{post.pk}/reschedule/", {"when": "2030-01-01T09:00"})
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_a_viewer_who_wrote_a_post_cannot_change_its_details_from_the_editor(client, cast):
    from tests.factories import CampaignFactory

    post = PostFactory(
        workspace=cast.workspace, author=cast.viewer, scheduled_at=None
    )  # a former contributor
    campaign = CampaignFactory(workspace=cast.workspace)
    client.force_login(cast.viewer)
    channel = post.variants.get().channel
    response = client.post(
        f"/posts/{post.pk}/edit/",
        {
            "title": post.title,
            "body": post.body,
            "channels": [channel.pk],
            "scheduled_at": "",
            "campaign": campaign.pk,
            "assignee": cast.viewer.pk,
            "version": post.version,
        },
    )
    assert response.status_code in (200, 403)
    post.refresh_from_db()
    assert (post.campaign, post.assignee) == (None, None)
