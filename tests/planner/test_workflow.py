"""The post state machine, walked pair by pair against the spec written out here."""

import itertools

import pytest

from accounts.models import Role
from planner import workflow
from planner.workflow import SYSTEM, Action, Context, State

pytestmark = pytest.mark.domain

S, A = State, Action

# The spec: every allowed (state, action) and where it leads. Anything else is refused.
EXPECTED = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.CHANGES_REQUESTED, A.EDIT): S.CHANGES_REQUESTED,
    (S.IN_REVIEW, A.EDIT): S.IN_REVIEW,
    (S.APPROVED, A.EDIT): S.IN_REVIEW,
    (S.FAILED, A.EDIT): S.IN_REVIEW,
    (S.NEEDS_ATTENTION, A.EDIT): S.IN_REVIEW,
    (S.DRAFT, A.RESCHEDULE): S.DRAFT,
    (S.IN_REVIEW, A.RESCHEDULE): S.IN_REVIEW,
    (S.CHANGES_REQUESTED, A.RESCHEDULE): S.CHANGES_REQUESTED,
    (S.APPROVED, A.RESCHEDULE): S.IN_REVIEW,  # the moment was approved too
    (S.FAILED, A.RESCHEDULE): S.IN_REVIEW,
    (S.NEEDS_ATTENTION, A.RESCHEDULE): S.APPROVED,
    (S.DRAFT, A.SUBMIT): S.IN_REVIEW,
    (S.CHANGES_REQUESTED, A.SUBMIT): S.IN_REVIEW,
    (S.IN_REVIEW, A.WITHDRAW): S.DRAFT,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.IN_REVIEW, A.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.IN_REVIEW, A.REJECT): S.CANCELLED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.IN_REVIEW, A.CANCEL): S.CANCELLED,
    (S.CHANGES_REQUESTED, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.FAILED, A.CANCEL): S.CANCELLED,
    (S.NEEDS_ATTENTION, A.CANCEL): S.CANCELLED,
    (S.CANCELLED, A.REOPEN): S.DRAFT,
    (S.FAILED, A.RETRY): S.APPROVED,
    (S.NEEDS_ATTENTION, A.PUBLISH_NOW): S.APPROVED,
    (S.PUBLISHED, A.RETRACT): S.RETRACTED,
    (S.APPROVED, A.START_PUBLISHING): S.PUBLISHING,
    (S.APPROVED, A.MISS_SLOT): S.NEEDS_ATTENTION,
    (S.PUBLISHING, A.MARK_PUBLISHED): S.PUBLISHED,
    (S.PUBLISHING, A.MARK_FAILED): S.FAILED,
    (S.PUBLISHING, A.MISS_SLOT): S.NEEDS_ATTENTION,
    (S.PUBLISHING, A.HAND_OVER): S.NEEDS_ATTENTION,
    (S.APPROVED, A.REVOKE_APPROVAL): S.IN_REVIEW,
    (S.FAILED, A.REVOKE_APPROVAL): S.IN_REVIEW,
    (S.NEEDS_ATTENTION, A.REVOKE_APPROVAL): S.IN_REVIEW,
}

ADMIN, MKT, CM, CONTRIB, VIEWER = (
    Role.ADMIN,
    Role.MARKETING,
    Role.CONTENT_MANAGER,
    Role.CONTRIBUTOR,
    Role.VIEWER,
)
PLANNERS = {ADMIN, MKT, CM}
APPROVERS = {ADMIN, MKT}
ENGINE_ACTIONS = {
    A.START_PUBLISHING,
    A.MARK_PUBLISHED,
    A.MARK_FAILED,
    A.MISS_SLOT,
    A.HAND_OVER,
    A.REVOKE_APPROVAL,
}


def roles_allowed(state, action):
    """Who may act when every other guard is satisfied and the actor wrote the post."""
    if action in ENGINE_ACTIONS:
        return {SYSTEM}
    if action == A.EDIT:
        return PLANNERS | {CONTRIB} if state in (S.DRAFT, S.CHANGES_REQUESTED) else PLANNERS
    if action in (A.SUBMIT, A.WITHDRAW, A.REOPEN):
        return PLANNERS | {CONTRIB}
    if action == A.CANCEL:
        return PLANNERS | (
            {CONTRIB} if state in (S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED) else set()
        )
    if action in (A.APPROVE, A.REQUEST_CHANGES, A.REJECT, A.RETRACT):
        return APPROVERS
    return PLANNERS  # reschedule, retry, publish now


FRIENDLY = {
    "is_author": True,
    "is_step_approver": True,
    "has_schedule": True,
    "has_channels": True,
    "has_text": True,
    "wrote_content": False,
}


@pytest.mark.parametrize(
    ("state", "action", "role"),
    list(itertools.product(State, Action, [*Role.values, SYSTEM])),
)
def test_every_state_action_and_role_follows_the_table(state, action, role):
    verdict = workflow.check(state, action, Context(role=role, **FRIENDLY))
    if (state, action) not in EXPECTED:
        assert not verdict
        assert verdict.refused_by == "state"
        return
    allowed = role in roles_allowed(state, action)
    assert bool(verdict) is allowed, verdict.reason
    if allowed:
        assert verdict.target == EXPECTED[(state, action)]
    else:
        assert verdict.reason


def test_the_table_has_no_transition_the_spec_does_not_name():
    assert set(workflow.TRANSITIONS) == set(EXPECTED)


def ctx(role, **overrides):
    return Context(role=role, **{**FRIENDLY, **overrides})


def test_nobody_approves_a_version_they_wrote_or_edited():
    verdict = workflow.check(S.IN_REVIEW, A.APPROVE, ctx(MKT, wrote_content=True))
    assert not verdict
    assert verdict.refused_by == "four_eyes"
    assert "someone else" in verdict.reason


def test_a_workspace_that_relaxed_four_eyes_lets_the_writer_approve():
    assert workflow.check(
        S.IN_REVIEW, A.APPROVE, ctx(MKT, wrote_content=True, four_eyes_relaxed=True)
    )


def test_the_author_cannot_request_changes_on_their_own_version_either():
    assert not workflow.check(S.IN_REVIEW, A.REQUEST_CHANGES, ctx(ADMIN, wrote_content=True))


def test_only_an_approver_of_the_waiting_step_decides():
    verdict = workflow.check(S.IN_REVIEW, A.APPROVE, ctx(ADMIN, is_step_approver=False))
    assert not verdict
    assert verdict.refused_by == "step_approver"


def test_a_post_without_a_time_cannot_be_approved():
    verdict = workflow.check(S.IN_REVIEW, A.APPROVE, ctx(MKT, has_schedule=False))
    assert verdict.refused_by == "scheduled"


@pytest.mark.parametrize("missing", ["has_text", "has_channels"])
def test_a_post_needs_text_and_a_channel_to_be_submitted(missing):
    verdict = workflow.check(S.DRAFT, A.SUBMIT, ctx(CM, **{missing: False}))
    assert verdict.refused_by == "ready"


def test_a_contributor_edits_only_their_own_drafts():
    assert workflow.check(S.DRAFT, A.EDIT, ctx(CONTRIB, is_author=True))
    verdict = workflow.check(S.DRAFT, A.EDIT, ctx(CONTRIB, is_author=False))
    assert verdict.refused_by == "own_or_any"


def test_a_content_manager_edits_anyones_draft():
    assert workflow.check(S.DRAFT, A.EDIT, ctx(CM, is_author=False))


def test_editing_approved_content_sends_it_back_to_review():
    assert workflow.check(S.APPROVED, A.EDIT, ctx(CM)).target == S.IN_REVIEW


@pytest.mark.parametrize("state", [S.APPROVED, S.FAILED])
def test_moving_an_approved_post_in_time_sends_it_back_to_review(state):
    assert workflow.check(state, A.RESCHEDULE, ctx(CM)).target == S.IN_REVIEW


@pytest.mark.parametrize("state", [S.PUBLISHING, S.PUBLISHED, S.RETRACTED, S.CANCELLED])
def test_content_that_went_out_or_was_cancelled_cannot_be_edited_or_moved(state):
    assert not workflow.check(state, A.EDIT, ctx(ADMIN))
    assert not workflow.check(state, A.RESCHEDULE, ctx(ADMIN))


def test_people_cannot_play_the_publishing_engine():
    verdict = workflow.check(S.APPROVED, A.START_PUBLISHING, ctx(ADMIN))
    assert verdict.refused_by == "role"
