"""Approval chains: who may set them, what a step may name, the editor's pages, and what
happens to posts in review when a chain changes under them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from planner.approvals import chain_progress, chains
from planner.errors import Invalid, NotAllowed, NotFound
from planner.models import (
    ApprovalChain,
    ApprovalDecision,
    AuditEvent,
    Notification,
    Post,
    Publication,
    StepMode,
)
from planner.notifications import notify
from planner.posts import actions, history, writing
from planner.views.chains import chain_signature
from planner.workflow import State
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

MARKETING_THEN_ADMIN = [(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, [])]


@pytest.fixture
def campaign(cast):
    return CampaignFactory(workspace=cast.workspace, name="Sensitive")


def set_chain(cast, campaign, steps, actor=None):
    return chains.approval_chain_set(
        actor=actor or cast.admin, workspace=cast.workspace, campaign=campaign, steps=steps
    )


def roles(cast, campaign=None) -> list[str]:
    steps = chain_progress.chain_steps_for(cast.workspace.pk, campaign.pk if campaign else None)
    return [s.role for s in steps]


def in_campaign(post, campaign):
    Post.objects.filter(pk=post.pk).update(campaign=campaign)
    post.refresh_from_db()
    return post


def approve(post, who, position):
    return actions.post_decide(
        actor=who,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=position,
    )


def waiting_at(post) -> int | None:
    post.refresh_from_db()
    current = chain_progress.progress(post, four_eyes_relaxed=False).current
    return current.position if current else None


def live_approvals(post) -> list[int]:
    return sorted(
        ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).values_list(
            "step_position", flat=True
        )
    )


# --- who may set a chain -------------------------------------------------------------------


def test_marketing_sets_a_campaigns_chain(cast, campaign):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN, actor=cast.marketing)
    assert roles(cast, campaign) == [Role.MARKETING, Role.ADMIN]
    assert roles(cast) == [Role.MARKETING]  # the default is untouched


@pytest.mark.parametrize("role", [Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER])
def test_other_roles_cannot_set_or_drop_a_campaigns_chain(cast, campaign, role):
    with pytest.raises(NotAllowed):
        set_chain(cast, campaign, MARKETING_THEN_ADMIN, actor=cast.as_role(role))
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    with pytest.raises(NotAllowed):
        chains.approval_chain_remove(
            actor=cast.as_role(role), workspace=cast.workspace, campaign=campaign
        )
    assert roles(cast, campaign) == [Role.MARKETING, Role.ADMIN]


def test_only_admins_set_the_default_chain(cast):
    with pytest.raises(NotAllowed):
        set_chain(cast, None, MARKETING_THEN_ADMIN, actor=cast.marketing)
    set_chain(cast, None, MARKETING_THEN_ADMIN)
    assert roles(cast) == [Role.MARKETING, Role.ADMIN]


def test_a_campaign_of_another_workspace_is_not_found(cast, other):
    theirs = CampaignFactory(workspace=other.workspace)
    with pytest.raises(NotFound):
        set_chain(cast, theirs, MARKETING_THEN_ADMIN)
    assert not ApprovalChain.objects.filter(campaign=theirs).exists()


# --- what a step may name -------------------------------------------------------------------


def test_a_chain_needs_a_step(cast):
    with pytest.raises(Invalid, match="at least one step"):
        set_chain(cast, None, [])


def test_a_step_names_the_admin_or_the_marketing_role(cast):
    with pytest.raises(Invalid, match="admin or the marketing role"):
        set_chain(cast, None, [(Role.CONTENT_MANAGER, StepMode.ANY, [])])


def test_named_approvers_must_have_the_steps_role(cast):
    with pytest.raises(Invalid, match="Admin") as refused:
        set_chain(cast, None, [(Role.ADMIN, StepMode.ANY, [cast.admin, cast.marketing])])
    assert "Marketing cannot approve step 1" in refused.value.message
    assert "approvers" in refused.value.fields


def test_people_of_another_workspace_cannot_be_named(cast, other):
    with pytest.raises(Invalid, match="members with the step's role"):
        set_chain(cast, None, [(Role.ADMIN, StepMode.ANY, [other.admin])])


def test_named_approvers_are_kept_once_each(cast):
    chain = set_chain(cast, None, [(Role.MARKETING, StepMode.ALL, [cast.marketing] * 2)])
    step = chain.steps.get()
    assert list(step.approvers.all()) == [cast.marketing]
    assert step.mode == StepMode.ALL


def test_a_named_step_lets_only_those_people_decide(cast, draft):
    set_chain(cast, None, [(Role.MARKETING, StepMode.ANY, [cast.marketing2])])
    actions.post_submit(actor=cast.content, post=draft)
    with pytest.raises(NotAllowed):
        approve(draft, cast.marketing, 1)
    assert approve(draft, cast.marketing2, 1).state == State.APPROVED


# --- the audit trail ---------------------------------------------------------------------------


def test_a_change_is_audited_with_before_and_after(cast, campaign):
    set_chain(cast, campaign, [(Role.MARKETING, StepMode.ANY, [])], actor=cast.marketing)
    set_chain(
        cast,
        campaign,
        [(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ALL, [cast.admin])],
        actor=cast.marketing,
    )
    event = AuditEvent.objects.filter(action="approval_chain.set").latest("pk")
    assert (event.actor, event.campaign, event.target) == (cast.marketing, campaign, "Sensitive")
    assert event.data["before"] == [["marketing", "any", []]]
    assert event.data["after"] == [["marketing", "any", []], ["admin", "all", [cast.admin.email]]]


def test_saving_a_chain_as_it_is_records_nothing(cast, campaign):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    assert AuditEvent.objects.filter(action="approval_chain.set").count() == 1


def test_dropping_a_campaigns_chain_is_audited_and_the_default_applies(cast, campaign):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    chains.approval_chain_remove(actor=cast.marketing, workspace=cast.workspace, campaign=campaign)
    assert not ApprovalChain.objects.filter(campaign=campaign).exists()
    assert roles(cast, campaign) == [Role.MARKETING]
    event = AuditEvent.objects.get(action="approval_chain.remove")
    assert event.data["before"] == [["marketing", "any", []], ["admin", "any", []]]


# --- the chain in effect -------------------------------------------------------------------


def test_a_post_of_the_campaign_needs_marketing_then_admin(cast, campaign, draft):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN, actor=cast.marketing)
    post = in_campaign(draft, campaign)
    actions.post_submit(actor=cast.content, post=post)
    with pytest.raises(NotAllowed):
        approve(post, cast.admin, 1)  # step 1 is marketing's
    post = approve(post, cast.marketing, 1)
    assert post.state == State.IN_REVIEW
    assert waiting_at(post) == 2
    with pytest.raises(NotAllowed):
        approve(post, cast.marketing2, 2)
    assert approve(post, cast.admin, 2).state == State.APPROVED


def test_posts_outside_the_campaign_keep_the_default_chain(cast, campaign, draft):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    actions.post_submit(actor=cast.content, post=draft)
    assert approve(draft, cast.marketing, 1).state == State.APPROVED


# --- changing a chain while posts are in review --------------------------------------------


@pytest.fixture
def halfway(cast, campaign, draft):
    """A campaign post whose marketing step is approved, waiting for an admin."""
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    post = in_campaign(draft, campaign)
    actions.post_submit(actor=cast.content, post=post)
    approve(post, cast.marketing, 1)
    assert waiting_at(post) == 2
    return post


def test_adding_a_step_at_the_end_keeps_the_approvals_already_given(cast, campaign, halfway):
    set_chain(cast, campaign, [*MARKETING_THEN_ADMIN, (Role.MARKETING, StepMode.ANY, [])])
    assert live_approvals(halfway) == [1]
    assert waiting_at(halfway) == 2
    assert not AuditEvent.objects.filter(action="post.chain_change").exists()


def test_reordering_withdraws_approvals_that_no_longer_mean_the_same(cast, campaign, halfway):
    set_chain(cast, campaign, list(reversed(MARKETING_THEN_ADMIN)))
    assert live_approvals(halfway) == []
    assert waiting_at(halfway) == 1  # an admin first now; marketing's approval did not count
    with pytest.raises(NotAllowed):
        approve(halfway, cast.marketing2, 1)
    event = AuditEvent.objects.get(action="post.chain_change", post=halfway)
    assert event.data["step"] == 1
    assert history.describe(event) == (
        "Admin changed the approval chain: approvals from step 1 on no longer count"
    )


def test_a_chain_change_never_approves_a_post_by_itself(cast, campaign, halfway):
    set_chain(cast, campaign, [(Role.MARKETING, StepMode.ANY, [])])
    halfway.refresh_from_db()
    assert halfway.state == State.IN_REVIEW
    assert waiting_at(halfway) == 1  # a person makes the last call under the new chain
    assert approve(halfway, cast.marketing2, 1).state == State.APPROVED


def test_approved_posts_stay_approved_when_the_chain_changes(cast, campaign, halfway):
    approve(halfway, cast.admin, 2)
    set_chain(cast, campaign, [(Role.ADMIN, StepMode.ALL, [])])
    halfway.refresh_from_db()
    assert halfway.state == State.APPROVED
    assert live_approvals(halfway) == [1, 2]


def test_dropping_the_campaigns_chain_applies_the_same_rule(cast, campaign, halfway):
    set_chain(cast, None, [(Role.ADMIN, StepMode.ANY, [])])
    chains.approval_chain_remove(actor=cast.admin, workspace=cast.workspace, campaign=campaign)
    assert live_approvals(halfway) == []
    assert waiting_at(halfway) == 1
    assert approve(halfway, cast.admin, 1).state == State.APPROVED


def test_the_default_chain_does_not_touch_campaigns_with_their_own(cast, campaign, halfway):
    set_chain(cast, None, [(Role.ADMIN, StepMode.ANY, [])])
    assert live_approvals(halfway) == [1]
    assert waiting_at(halfway) == 2


# --- the editor's pages ------------------------------------------------------------------


DEFAULT_URL = reverse("planner:approval_chain_default")


def campaign_url(campaign) -> str:
    return reverse("planner:approval_chain_campaign", args=[campaign.pk])


def step_fields(prefix: str, role: str, mode: str = "any", people=()) -> dict:
    return {
        f"{prefix}-role": role,
        f"{prefix}-mode": mode,
        f"{prefix}-approvers": [p.pk for p in people],
    }


def post_op(client, url, cast, campaign=None, **data):
    steps = chain_progress.chain_steps_for(cast.workspace.pk, campaign.pk if campaign else None)
    return client.post(url, {"chain": chain_signature(steps), **data})


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def test_an_admin_adds_a_step_to_the_default_chain(admin, cast):
    response = post_op(admin, DEFAULT_URL, cast, op="add", **step_fields("new", "admin"))
    assert response.status_code == 302
    assert roles(cast) == [Role.MARKETING, Role.ADMIN]
    page = admin.get(DEFAULT_URL).text
    assert "Approval chain saved: Marketing → Admin." in page


def test_an_admin_changes_a_steps_mode_and_people(admin, cast):
    response = post_op(
        admin,
        DEFAULT_URL,
        cast,
        op="save",
        position="1",
        **step_fields("step-1", "marketing", "all", [cast.marketing, cast.marketing2]),
    )
    assert response.status_code == 302
    (step,) = chain_progress.chain_steps_for(cast.workspace.pk, None)
    assert step.mode == StepMode.ALL
    assert step.approver_ids == {cast.marketing.pk, cast.marketing2.pk}
    page = admin.get(DEFAULT_URL).text
    assert "Marketing: Marketing and Marketing2" in page


def test_steps_move_up_and_down(admin, cast):
    set_chain(cast, None, MARKETING_THEN_ADMIN)
    response = post_op(admin, DEFAULT_URL, cast, op="up", position="2")
    assert response.status_code == 302
    assert response.url.endswith("#step-1")
    assert roles(cast) == [Role.ADMIN, Role.MARKETING]
    post_op(admin, DEFAULT_URL, cast, op="down", position="1")
    assert roles(cast) == [Role.MARKETING, Role.ADMIN]
    post_op(admin, DEFAULT_URL, cast, op="down", position="2")  # already last: nothing
    assert roles(cast) == [Role.MARKETING, Role.ADMIN]


def test_removing_a_step_asks_first(admin, cast):
    set_chain(cast, None, MARKETING_THEN_ADMIN)
    url = reverse("planner:approval_step_remove_default", args=[2])
    page = admin.get(url)
    assert page.status_code == 200
    assert "Remove step 2 (Admin)?" in page.text
    assert roles(cast) == [Role.MARKETING, Role.ADMIN]
    assert admin.post(url).status_code == 302
    assert roles(cast) == [Role.MARKETING]


def test_the_last_step_cannot_be_removed(admin, cast):
    assert "Remove step 1" not in admin.get(DEFAULT_URL).text
    admin.post(reverse("planner:approval_step_remove_default", args=[1]))
    assert roles(cast) == [Role.MARKETING]
    assert "A chain needs at least one step" in admin.get(DEFAULT_URL).text


def test_a_button_pressed_on_an_out_of_date_page_changes_nothing(admin, cast):
    stale = chain_signature(chain_progress.chain_steps_for(cast.workspace.pk, None))
    set_chain(cast, None, MARKETING_THEN_ADMIN)
    admin.post(DEFAULT_URL, {"chain": stale, "op": "up", "position": "2"})
    assert roles(cast) == [Role.MARKETING, Role.ADMIN]
    assert "The chain changed while you were looking at it" in admin.get(DEFAULT_URL).text


def test_a_named_approver_without_the_role_is_refused_on_the_field(admin, cast):
    response = post_op(
        admin, DEFAULT_URL, cast, op="add", **step_fields("new", "admin", "any", [cast.marketing])
    )
    assert response.status_code == 400
    form = response.context["add_form"]
    assert "Marketing cannot approve step 2" in " ".join(form.errors["approvers"])
    assert form["role"].value() == "admin"
    assert form["approvers"].value() == [str(cast.marketing.pk)]
    assert roles(cast) == [Role.MARKETING]


def test_someone_of_another_workspace_cannot_be_ticked(admin, cast, other):
    response = post_op(
        admin, DEFAULT_URL, cast, op="add", **step_fields("new", "admin", "any", [other.admin])
    )
    assert response.status_code == 400
    assert "approvers" in response.context["add_form"].errors
    assert other.admin.email not in response.text
    assert roles(cast) == [Role.MARKETING]


def test_the_editor_offers_only_this_workspaces_approvers(admin, cast, other):
    page = admin.get(DEFAULT_URL).text
    assert "Marketing2 (Marketing)" in page and "Admin (Admin)" in page
    assert "Content (" not in page
    assert other.admin.full_name + " (" not in page or other.admin.email not in page


def test_marketing_edits_a_campaigns_chain_but_not_the_default(client, cast, campaign):
    client.force_login(cast.marketing)
    assert client.get(DEFAULT_URL).status_code == 403
    assert client.get(campaign_url(campaign)).status_code == 200
    response = post_op(
        client, campaign_url(campaign), cast, campaign, op="add", **step_fields("new", "admin")
    )
    assert response.status_code == 302
    assert roles(cast, campaign) == [Role.MARKETING, Role.ADMIN]
    assert roles(cast) == [Role.MARKETING]


@pytest.mark.parametrize("role", [Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER])
def test_other_roles_are_refused_by_the_campaign_editor(client, cast, campaign, role):
    client.force_login(cast.as_role(role))
    url = campaign_url(campaign)
    assert client.get(url).status_code == 403
    response = post_op(client, url, cast, campaign, op="add", **step_fields("new", "admin"))
    assert response.status_code == 403
    assert (
        client.get(reverse("planner:approval_chain_reset", args=[campaign.pk])).status_code == 403
    )
    assert not ApprovalChain.objects.filter(campaign=campaign).exists()


def test_another_workspaces_campaign_is_not_found(admin, other):
    theirs = CampaignFactory(workspace=other.workspace)
    assert admin.get(campaign_url(theirs)).status_code == 404


def test_a_campaign_goes_back_to_the_workspaces_chain(admin, cast, campaign):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    page = admin.get(campaign_url(campaign)).text
    assert "This campaign has its own chain." in page
    url = reverse("planner:approval_chain_reset", args=[campaign.pk])
    assert "Use the workspace&#x27;s approval chain for Sensitive?" in admin.get(url).text
    assert admin.post(url).status_code == 302
    assert not ApprovalChain.objects.filter(campaign=campaign).exists()
    assert "follows the workspace's chain" in admin.get(campaign_url(campaign)).text


def test_the_editor_says_how_many_posts_in_review_follow_the_chain(admin, cast, campaign, halfway):
    page = admin.get(campaign_url(campaign)).text
    assert "1 post in review follows this chain." in page
    assert "judged by the chain as it is now" in page


def test_the_campaign_page_shows_its_chain_and_a_link_for_those_allowed(client, cast, campaign):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    detail = reverse("planner:campaign_detail", args=[campaign.pk])
    client.force_login(cast.marketing)
    page = client.get(detail).text
    assert "Approval: <strong>Marketing → Admin</strong>" in page
    assert campaign_url(campaign) in page
    client.force_login(cast.content)
    page = client.get(detail).text
    assert "Marketing → Admin" in page
    assert campaign_url(campaign) not in page


# --- changing a post's campaign while it is in review ------------------------------------------


@pytest.fixture
def admin_first(cast):
    """A campaign whose chain asks an admin first, then marketing."""
    campaign = CampaignFactory(workspace=cast.workspace, name="Board")
    set_chain(cast, campaign, list(reversed(MARKETING_THEN_ADMIN)))
    return campaign


def move_to(cast, post, campaign, actor=None):
    return writing.post_update_details(
        actor=actor or cast.content, post=post, campaign=campaign, assignee=None, labels=[]
    )


def test_a_marketing_approval_never_counts_for_an_admin_step_after_a_campaign_change(
    cast, halfway, admin_first
):
    post = move_to(cast, halfway, admin_first)
    assert waiting_at(post) == 1  # the admin's step: marketing's approval does not count
    with pytest.raises(NotAllowed):
        approve(post, cast.marketing2, 1)
    assert approve(post, cast.admin, 1).state == State.IN_REVIEW
    assert waiting_at(post) == 2


def test_a_decision_counts_only_for_the_step_and_role_it_was_given_for(cast, halfway, admin_first):
    # Moved by hand, around the services: the reading itself refuses the mismatch.
    in_campaign(halfway, admin_first)
    assert waiting_at(halfway) == 1
    assert chain_progress.progress(halfway, four_eyes_relaxed=False).approvals == {}


def test_a_campaign_change_in_review_withdraws_by_the_rule_of_a_chain_edit(
    cast, halfway, admin_first
):
    move_to(cast, halfway, admin_first)
    assert live_approvals(halfway) == []
    event = AuditEvent.objects.get(action="post.details", post=halfway)
    assert (event.data["step"], event.data["approvals_withdrawn"]) == (1, 1)
    assert Notification.objects.filter(
        post=halfway, recipient=cast.marketing, kind="approval_withdrawn"
    ).exists()


def test_a_campaign_change_keeps_the_approvals_of_unchanged_leading_steps(cast, halfway):
    longer = CampaignFactory(workspace=cast.workspace, name="Longer")
    set_chain(cast, longer, [*MARKETING_THEN_ADMIN, (Role.ADMIN, StepMode.ANY, [])])
    move_to(cast, halfway, longer)
    assert live_approvals(halfway) == [1]
    assert waiting_at(halfway) == 2


def test_a_campaign_change_never_approves_a_post_by_itself(cast, halfway):
    move_to(cast, halfway, None)  # the default: one marketing step, already approved
    halfway.refresh_from_db()
    assert halfway.state == State.IN_REVIEW
    assert waiting_at(halfway) == 1
    assert approve(halfway, cast.marketing2, 1).state == State.APPROVED


# --- changing the campaign of a post already approved ------------------------------------------


@pytest.fixture
def approved_post(cast, draft):
    """A post approved under the default chain (one marketing step), delivery planned."""
    actions.post_submit(actor=cast.content, post=draft)
    post = approve(draft, cast.marketing, 1)
    assert post.state == State.APPROVED
    return post


def test_an_approved_post_moved_into_a_stricter_campaign_waits_for_the_missing_step(
    cast, approved_post, campaign
):
    set_chain(cast, campaign, MARKETING_THEN_ADMIN)
    post = move_to(cast, approved_post, campaign, actor=cast.marketing)
    post.refresh_from_db()
    assert post.state == State.IN_REVIEW and post.approved_version is None
    assert live_approvals(post) == [1]  # marketing's step is the same in both chains
    assert waiting_at(post) == 2
    assert not Publication.objects.filter(post=post, state="scheduled").exists()
    event = AuditEvent.objects.get(action="post.details", post=post)
    assert event.data["state"] == ["approved", "in_review"]
    assert event.data["reason"] == "campaign"
    told = Notification.objects.get(post=post, recipient=cast.content, kind="approval_withdrawn")
    assert notify.describe(told) == (
        f"{cast.marketing.display_name} moved “{post}” to a campaign whose approval chain asks "
        "for more: the approval is withdrawn and it waits for approval again."
    )
    assert approve(post, cast.admin, 2).state == State.APPROVED


def test_an_approved_post_moved_into_a_campaign_asking_no_more_stays_approved(
    cast, approved_post, campaign
):
    set_chain(cast, campaign, [(Role.MARKETING, StepMode.ANY, [])])
    post = move_to(cast, approved_post, campaign)
    post.refresh_from_db()
    assert post.state == State.APPROVED
    assert live_approvals(post) == [1]
    assert Publication.objects.filter(post=post, state="scheduled").count() == 1


def test_a_decision_that_no_longer_counts_never_blocks_its_author_from_deciding_again(
    cast, halfway, admin_first
):
    # Marketing approved step 1 as marketing; the post moved (around the services) to a
    # chain whose step 1 asks an admin, and the same person became an admin meanwhile.
    in_campaign(halfway, admin_first)
    cast.workspace.memberships.filter(user=cast.marketing).update(role=Role.ADMIN)
    assert waiting_at(halfway) == 1
    assert approve(halfway, cast.marketing, 1).state == State.IN_REVIEW
    assert waiting_at(halfway) == 2
    kept = ApprovalDecision.objects.filter(post=halfway, withdrawn_at__isnull=True)
    assert list(kept.values_list("step_position", "step_role")) == [(1, Role.ADMIN)]
