"""Writing, reviewing and moving posts through the services."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from planner.approvals import chains
from planner.approvals.chain_progress import progress
from planner.errors import Conflict, Invalid, NotAllowed, NotFound
from planner.models import (
    ApprovalDecision,
    AuditEvent,
    Post,
    PostVersion,
    Publication,
    PublicationState,
    StepMode,
)
from planner.posts import actions, scheduling, writing
from planner.publishing import engine, outgoing
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory

pytestmark = [pytest.mark.django_db, pytest.mark.domain]


def later(days=2):
    return timezone.now() + dt.timedelta(days=days)


def submit_and_approve(cast, post):
    actions.post_submit(actor=cast.content, post=post)
    return actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=1,
    )


def edit(actor, post, body, version=None):
    return writing.post_edit(
        actor=actor,
        post=post,
        expected_version=post.version if version is None else version,
        title=post.title,
        body=body,
        variants={v.channel_id: v.text for v in post.variants.all()},
    )


# --- creating ----------------------------------------------------------------------


def test_creating_a_post_keeps_its_first_version_and_logs_it(cast):
    channel = ChannelFactory(workspace=cast.workspace)
    post = writing.post_create(
        actor=cast.content,
        workspace=cast.workspace,
        body="Hello",
        variants={channel.pk: "Hello, Mastodon"},
        scheduled_at=later(),
    )
    assert post.state == State.DRAFT
    version = PostVersion.objects.get(post=post)
    assert (version.number, version.body, version.variants) == (
        1,
        "Hello",
        {str(channel.pk): "Hello, Mastodon"},
    )
    assert AuditEvent.objects.filter(post=post, action="post.create", actor=cast.content).exists()


def test_a_contributor_drafts_but_cannot_schedule(cast):
    post = writing.post_create(actor=cast.contributor, workspace=cast.workspace, body="Idea")
    assert post.scheduled_at is None
    with pytest.raises(NotAllowed, match="cannot schedule"):
        writing.post_create(
            actor=cast.contributor, workspace=cast.workspace, body="Idea", scheduled_at=later()
        )


def test_a_viewer_cannot_draft(cast):
    with pytest.raises(NotAllowed):
        writing.post_create(actor=cast.viewer, workspace=cast.workspace, body="Hi")


def test_a_post_cannot_be_planned_in_the_past(cast):
    with pytest.raises(Invalid, match="future") as error:
        writing.post_create(
            actor=cast.content,
            workspace=cast.workspace,
            body="Late",
            scheduled_at=timezone.now() - dt.timedelta(minutes=1),
        )
    assert "scheduled_at" in error.value.fields
    assert not Post.objects.exists()


def test_a_post_cannot_use_another_workspaces_channel(cast, other):
    foreign = ChannelFactory(workspace=other.workspace)
    with pytest.raises(Invalid, match="does not exist in this workspace"):
        writing.post_create(
            actor=cast.content, workspace=cast.workspace, body="Hi", variants={foreign.pk: ""}
        )
    assert not Post.objects.exists()


def test_a_disabled_channel_cannot_be_used(cast):
    channel = ChannelFactory(workspace=cast.workspace, is_active=False)
    with pytest.raises(Invalid, match="disabled"):
        writing.post_create(
            actor=cast.content, workspace=cast.workspace, body="Hi", variants={channel.pk: ""}
        )


def test_an_outsider_gets_not_found_rather_than_a_hint(cast, outsider):
    with pytest.raises(NotFound):
        writing.post_create(actor=outsider, workspace=cast.workspace, body="Hi")


# --- editing -----------------------------------------------------------------------


def test_every_content_change_leaves_a_version(cast, draft):
    first = draft.body
    post = edit(cast.content, draft, "Second")
    post = edit(cast.content, post, "Third")
    assert list(post.versions.values_list("number", "body")) == [
        (1, first),
        (2, "Second"),
        (3, "Third"),
    ]


def test_saving_unchanged_content_makes_no_version(cast, draft):
    edit(cast.content, draft, draft.body)
    assert draft.versions.count() == 1


def test_the_second_of_two_editors_gets_a_conflict_and_nothing_is_lost(cast, draft):
    writing.post_edit(
        actor=cast.content,
        post=draft,
        expected_version=1,
        title="",
        body="Mine",
        variants={v.channel_id: "" for v in draft.variants.all()},
    )
    with pytest.raises(Conflict, match="Someone else saved"):
        writing.post_edit(
            actor=cast.content2,
            post=draft,
            expected_version=1,
            title="",
            body="Theirs",
            variants={v.channel_id: "" for v in draft.variants.all()},
        )
    draft.refresh_from_db()
    assert draft.body == "Mine"
    assert draft.version == 2


def test_any_change_to_approved_content_withdraws_the_approval(cast, draft):
    post = submit_and_approve(cast, draft)
    assert post.state == State.APPROVED
    post = edit(cast.content, post, "A late typo fix")
    assert post.state == State.IN_REVIEW
    assert post.approved_version is None
    assert not ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).exists()
    assert set(Publication.objects.filter(post=post).values_list("state", flat=True)) == {
        PublicationState.CANCELLED
    }
    event = AuditEvent.objects.get(post=post, action="post.edit")
    assert event.data["approvals_withdrawn"] == 1
    assert event.data["before"]["body"] != event.data["after"]["body"]


def test_a_reapproved_post_reuses_its_publication_and_idempotency_key(cast, draft):
    post = submit_and_approve(cast, draft)
    key = Publication.objects.get(post=post).idempotency_key
    post = edit(cast.content, post, "Fixed")
    post = actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=2, step_position=1
    )
    publication = Publication.objects.get(post=post)
    assert (publication.state, publication.idempotency_key) == (PublicationState.SCHEDULED, key)


def test_a_contributor_cannot_edit_someone_elses_draft(cast, draft):
    with pytest.raises(NotAllowed, match="posts you wrote"):
        edit(cast.contributor, draft, "Hijack")


# --- moving in time ------------------------------------------------------------------


def test_moving_an_approved_post_sends_it_back_to_review_and_is_logged(cast, draft):
    from planner.models import Notification

    post = submit_and_approve(cast, draft)
    new_time = later(days=5)
    post = scheduling.post_reschedule(actor=cast.content, post=post, scheduled_at=new_time)
    assert (post.state, post.approved_version) == (State.IN_REVIEW, None)
    assert not ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).exists()
    assert Publication.objects.get(post=post).state == PublicationState.CANCELLED
    event = AuditEvent.objects.get(post=post, action="post.reschedule")
    assert event.data["approval_kept"] is False
    assert event.data["state"] == [State.APPROVED, State.IN_REVIEW]
    assert post.sequence == 1
    told = Notification.objects.filter(post=post, kind="approval_withdrawn")
    assert set(told.values_list("recipient", flat=True)) == {cast.marketing.pk}
    # Approved again, it goes out at its new time.
    post = actions.post_decide(
        actor=cast.marketing2,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=1,
    )
    assert Publication.objects.get(post=post).due_at == new_time


def test_moving_a_post_in_review_starts_its_chain_again(cast, draft):
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=None,
        steps=[(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, [])],
    )
    actions.post_submit(actor=cast.content, post=draft)
    actions.post_decide(
        actor=cast.marketing, post=draft, decision="approve", expected_version=1, step_position=1
    )
    post = scheduling.post_reschedule(actor=cast.content, post=draft, scheduled_at=later(days=4))
    assert post.state == State.IN_REVIEW
    assert progress(post, four_eyes_relaxed=False).current.position == 1


def test_moving_a_draft_changes_nothing_else(cast, draft):
    post = scheduling.post_reschedule(actor=cast.content, post=draft, scheduled_at=later(days=4))
    assert post.state == State.DRAFT
    assert (
        AuditEvent.objects.get(post=post, action="post.reschedule").data["approvals_withdrawn"] == 0
    )


def test_a_post_cannot_be_moved_into_the_past(cast, draft):
    with pytest.raises(Invalid, match="future"):
        scheduling.post_reschedule(
            actor=cast.content, post=draft, scheduled_at=timezone.now() - dt.timedelta(hours=1)
        )


def test_a_published_post_cannot_be_moved(cast, draft):
    post = submit_and_approve(cast, draft)
    engine.post_engine_transition(post=post, action="start_publishing")
    post = engine.post_engine_transition(post=post, action="mark_published")
    with pytest.raises(Conflict):
        scheduling.post_reschedule(actor=cast.admin, post=post, scheduled_at=later())


def test_a_contributor_cannot_move_posts(cast, draft):
    with pytest.raises(NotAllowed):
        scheduling.post_reschedule(actor=cast.contributor, post=draft, scheduled_at=later(3))


# --- review -------------------------------------------------------------------------


def test_nobody_approves_their_own_post(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.marketing)
    actions.post_submit(actor=cast.marketing, post=post)
    with pytest.raises(NotAllowed, match="someone else"):
        actions.post_decide(
            actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
        )


def test_nobody_approves_a_version_they_edited(cast, draft):
    draft = edit(cast.marketing, draft, "Marketing's rewrite")
    actions.post_submit(actor=cast.content, post=draft)
    with pytest.raises(NotAllowed, match="someone else"):
        actions.post_decide(
            actor=cast.marketing,
            post=draft,
            decision="approve",
            expected_version=2,
            step_position=1,
        )
    assert (
        actions.post_decide(
            actor=cast.marketing2,
            post=draft,
            decision="approve",
            expected_version=2,
            step_position=1,
        ).state
        == State.APPROVED
    )


def test_an_admin_relaxing_four_eyes_is_logged_and_lets_authors_approve(cast):
    from accounts.services import workspace_update_settings

    workspace_update_settings(actor=cast.admin, workspace=cast.workspace, four_eyes_relaxed=True)
    assert AuditEvent.objects.filter(action="workspace.settings").exists()
    post = PostFactory(workspace=cast.workspace, author=cast.marketing)
    actions.post_submit(actor=cast.marketing, post=post)
    post = actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    assert post.state == State.APPROVED


def test_only_an_admin_may_relax_four_eyes(cast):
    from accounts.services import workspace_update_settings

    with pytest.raises(NotAllowed):
        workspace_update_settings(
            actor=cast.marketing, workspace=cast.workspace, four_eyes_relaxed=True
        )


def test_requesting_changes_needs_a_comment(cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    with pytest.raises(Invalid, match="comment is required"):
        actions.post_decide(
            actor=cast.marketing,
            post=draft,
            decision="request_changes",
            expected_version=1,
            step_position=1,
        )
    post = actions.post_decide(
        actor=cast.marketing,
        post=draft,
        decision="request_changes",
        expected_version=1,
        step_position=1,
        comment="Shorter, please.",
    )
    assert post.state == State.CHANGES_REQUESTED
    assert post.comments.get().body == "Shorter, please."


def test_rejecting_cancels_the_post(cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    post = actions.post_decide(
        actor=cast.marketing,
        post=draft,
        decision="reject",
        expected_version=1,
        step_position=1,
        comment="Off brand.",
    )
    assert post.state == State.CANCELLED


def test_a_content_manager_cannot_approve(cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    with pytest.raises(NotAllowed):
        actions.post_decide(
            actor=cast.content2, post=draft, decision="approve", expected_version=1, step_position=1
        )


def test_a_decision_on_a_stale_version_is_a_conflict(cast, draft):
    draft = actions.post_submit(actor=cast.content, post=draft)
    edit(cast.content, draft, "Changed during review")
    with pytest.raises(Conflict, match="changed while you were reviewing"):
        actions.post_decide(
            actor=cast.marketing,
            post=draft,
            decision="approve",
            expected_version=1,
            step_position=1,
        )


def test_the_second_decision_on_the_same_step_is_a_conflict(cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    actions.post_decide(
        actor=cast.marketing, post=draft, decision="approve", expected_version=1, step_position=1
    )
    with pytest.raises(Conflict):
        actions.post_decide(
            actor=cast.marketing2,
            post=draft,
            decision="approve",
            expected_version=1,
            step_position=1,
        )
    assert ApprovalDecision.objects.filter(post=draft).count() == 1


def test_a_post_without_a_time_cannot_be_approved(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.contributor, scheduled_at=None)
    actions.post_submit(actor=cast.contributor, post=post)
    with pytest.raises(NotAllowed, match="time"):
        actions.post_decide(
            actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
        )


def test_a_post_without_channels_cannot_be_submitted(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[])
    with pytest.raises(NotAllowed, match="at least one channel"):
        actions.post_submit(actor=cast.content, post=post)


def test_a_two_step_chain_needs_marketing_then_admin(cast, draft):
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(workspace=cast.workspace, name="Sensitive")
    chains.approval_chain_set(
        actor=cast.marketing,
        workspace=cast.workspace,
        campaign=campaign,
        steps=[(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, [])],
    )
    Post.objects.filter(pk=draft.pk).update(campaign=campaign)
    draft.refresh_from_db()
    actions.post_submit(actor=cast.content, post=draft)
    post = actions.post_decide(
        actor=cast.marketing, post=draft, decision="approve", expected_version=1, step_position=1
    )
    assert post.state == State.IN_REVIEW
    assert progress(post, four_eyes_relaxed=False).current.position == 2
    with pytest.raises(NotAllowed, match="not an approver"):
        actions.post_decide(
            actor=cast.marketing2,
            post=post,
            decision="approve",
            expected_version=1,
            step_position=2,
        )
    post = actions.post_decide(
        actor=cast.admin, post=post, decision="approve", expected_version=1, step_position=2
    )
    assert post.state == State.APPROVED


def test_an_all_of_them_step_waits_for_every_eligible_approver(cast, draft):
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=None,
        steps=[(Role.MARKETING, StepMode.ALL, [])],
    )
    actions.post_submit(actor=cast.content, post=draft)
    post = actions.post_decide(
        actor=cast.marketing, post=draft, decision="approve", expected_version=1, step_position=1
    )
    assert post.state == State.IN_REVIEW
    with pytest.raises(NotAllowed):
        actions.post_decide(
            actor=cast.marketing,
            post=post,
            decision="approve",
            expected_version=1,
            step_position=1,
        )
    post = actions.post_decide(
        actor=cast.marketing2, post=post, decision="approve", expected_version=1, step_position=1
    )
    assert post.state == State.APPROVED


def test_marketing_cannot_change_the_workspace_default_chain(cast):
    with pytest.raises(NotAllowed):
        chains.approval_chain_set(
            actor=cast.marketing,
            workspace=cast.workspace,
            campaign=None,
            steps=[(Role.ADMIN, StepMode.ANY, [])],
        )


# --- cancelling, comments ---------------------------------------------------------------


def test_cancelling_an_approved_post_stops_its_deliveries(cast, draft):
    post = submit_and_approve(cast, draft)
    post = actions.post_cancel(actor=cast.content, post=post, reason="Event postponed")
    assert post.state == State.CANCELLED
    assert Publication.objects.get(post=post).state == PublicationState.CANCELLED
    assert AuditEvent.objects.get(post=post, action="post.cancel").data["note"] == "Event postponed"


def test_a_cancelled_post_can_be_reopened_as_a_draft(cast, draft):
    actions.post_cancel(actor=cast.content, post=draft)
    assert actions.post_reopen(actor=cast.content, post=draft).state == State.DRAFT


def test_a_viewer_cannot_comment_and_an_empty_comment_is_refused(cast, draft):
    with pytest.raises(NotAllowed):
        actions.comment_add(actor=cast.viewer, post=draft, body="Nice")
    with pytest.raises(Invalid, match="Write something"):
        actions.comment_add(actor=cast.contributor, post=draft, body="   ")
    assert actions.comment_add(actor=cast.contributor, post=draft, body="Nice").version == 1


def published(cast, draft):
    post = submit_and_approve(cast, draft)
    engine.post_engine_transition(post=post, action="start_publishing")
    return engine.post_engine_transition(post=post, action="mark_published")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MARKETING])
def test_admin_and_marketing_retract_a_published_post(cast, draft, role):
    post = published(cast, draft)
    post = actions.post_retract(actor=cast.as_role(role), post=post, reason="Wrong price")
    assert post.state == State.RETRACTED
    assert AuditEvent.objects.get(post=post, action="post.retract").data["note"] == "Wrong price"


@pytest.mark.parametrize("role", [Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER])
def test_other_roles_cannot_retract(cast, draft, role):
    post = published(cast, draft)
    with pytest.raises(NotAllowed):
        actions.post_retract(actor=cast.as_role(role), post=post)


def test_only_a_published_post_can_be_retracted(cast, draft):
    with pytest.raises(Conflict):
        actions.post_retract(actor=cast.admin, post=draft)


def test_a_post_a_network_would_refuse_cannot_be_submitted(cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, body="x" * 501, channels=[channel]
    )
    with pytest.raises(Invalid, match="Mastodon: Characters: 501 of 500") as error:
        actions.post_submit(actor=cast.content, post=post)
    assert error.value.fields["channels"]
    post.refresh_from_db()
    assert post.state == State.DRAFT


def test_refreshed_tokens_are_stored_and_an_empty_refresh_token_never_replaces_one(cast):
    channel = ChannelFactory(
        workspace=cast.workspace, credentials={"access_token": "old", "refresh_token": "r1"}
    )
    outgoing.channel_store_credentials(
        channel_id=channel.pk, credentials={"access_token": "new", "refresh_token": ""}
    )
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "new", "refresh_token": "r1"}


# --- a viewer changes nothing, even on the posts they wrote -------------------------------


def test_a_former_contributor_now_a_viewer_cannot_change_their_posts_details(cast):
    from accounts.models import Membership
    from tests.factories import CampaignFactory

    post = PostFactory(workspace=cast.workspace, author=cast.viewer)
    campaign = CampaignFactory(workspace=cast.workspace)
    with pytest.raises(NotAllowed, match="role does not allow"):
        writing.post_update_details(
            actor=cast.viewer, post=post, campaign=campaign, assignee=cast.viewer, labels=[]
        )
    post.refresh_from_db()
    assert (post.campaign, post.assignee) == (None, None)
    assert Membership.objects.get(user=cast.viewer).role == Role.VIEWER


def test_a_contributor_still_changes_the_details_of_their_own_post(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.contributor)
    writing.post_update_details(
        actor=cast.contributor, post=post, campaign=None, assignee=cast.contributor, labels=[]
    )
    post.refresh_from_db()
    assert post.assignee == cast.contributor


# --- a channel that points elsewhere puts its approved posts back to a person ---------------


def test_a_channels_approved_posts_go_back_to_review_when_it_points_elsewhere(cast, draft):
    from planner.models import Notification

    post = submit_and_approve(cast, draft)
    channel = post.variants.get().channel
    elsewhere = PostFactory(workspace=cast.workspace, author=cast.content)
    submit_and_approve(cast, elsewhere)
    touched = scheduling.post_approvals_withdraw_for_channel(actor=cast.admin, channel=channel)
    assert touched == [post.pk]
    post.refresh_from_db()
    assert (post.state, post.approved_version) == (State.IN_REVIEW, None)
    assert not ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).exists()
    assert Publication.objects.get(post=post).state == PublicationState.CANCELLED
    event = AuditEvent.objects.get(post=post, action="post.approval_revoked")
    assert event.data["state"] == [State.APPROVED, State.IN_REVIEW]
    assert event.data["reason"] == "channel_address"
    told = set(
        Notification.objects.filter(post=post, kind="approval_withdrawn").values_list(
            "recipient", flat=True
        )
    )
    assert told == {cast.marketing.pk, cast.content.pk}
    elsewhere.refresh_from_db()
    assert elsewhere.state == State.APPROVED


def test_only_channel_managers_withdraw_a_channels_approvals(cast, draft):
    post = submit_and_approve(cast, draft)
    with pytest.raises(NotAllowed):
        scheduling.post_approvals_withdraw_for_channel(
            actor=cast.marketing, channel=post.variants.get().channel
        )
    post.refresh_from_db()
    assert post.state == State.APPROVED
