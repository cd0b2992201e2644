"""A post's moves through the workflow table: check the move, set the state.

``apply_transition`` is a person's move (their role and the post's facts decide);
``engine_apply`` is the publishing engine's (the system's role, audited at once). Both
refuse what ``planner.workflow`` refuses. Imports only the shared modules and approvals."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import role_in
from planner import audit, workflow
from planner.approvals import chain_progress
from planner.errors import Conflict, NotAllowed, NotFound
from planner.models import (
    ApprovalDecision,
    Post,
)
from planner.workflow import Action, State


def lock_post(post: Post) -> Post:
    """Re-read the post with its row locked for the rest of the transaction: the post's
    row only (``of``), never its workspace's, which a send holds FOR SHARE before it
    locks the post (the engine's order: workspace, then post, then publication)."""
    return Post.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=post.pk)


def member_role(actor: User, workspace_id: int) -> str:
    role = role_in(actor, workspace_id)
    if role is None:
        raise NotFound(_("This post does not exist or you cannot see it."))
    return role


def transition_context(actor: User, post: Post, role: str, *, step=None) -> workflow.Context:
    authors = chain_progress.content_authors(post)
    already = False
    if step is not None:
        already = ApprovalDecision.objects.filter(
            post=post,
            version=post.version,
            step_position=step.position,
            step_role=step.role,
            decided_by=actor,
            withdrawn_at__isnull=True,
        ).exists()
    return workflow.Context(
        role=role,
        is_author=post.author_id == actor.pk,
        wrote_content=actor.pk in authors,
        four_eyes_relaxed=post.workspace.four_eyes_relaxed,
        is_step_approver=step is not None and step.may_decide(actor.pk, role) and not already,
        has_channels=post.variants.exists(),
        has_text=bool(post.body.strip()) or post.variants.exclude(text="").exists(),
        has_schedule=post.scheduled_at is not None,
    )


def apply_transition(post: Post, action: Action, ctx: workflow.Context) -> State:
    verdict = workflow.check(post.state, action, ctx)
    if not verdict:
        if verdict.refused_by == "state":
            raise Conflict(verdict.reason)
        raise NotAllowed(verdict.reason)
    assert verdict.target is not None
    if verdict.target != post.state:
        post.state = verdict.target
        post.state_changed_at = timezone.now()
    return verdict.target


def engine_apply(post: Post, action: Action, note: str = "") -> None:
    """The engine's move (start publishing, mark published or failed, miss the slot, hand
    over): the system's role, saved and audited at once; the caller holds the row lock."""
    verdict = workflow.check(post.state, action, workflow.Context(role=workflow.SYSTEM))
    if not verdict:
        raise Conflict(verdict.reason)
    was = post.state
    post.state = verdict.target
    post.state_changed_at = timezone.now()
    post.save(update_fields=["state", "state_changed_at", "updated_at"])
    audit.record(
        workspace=post.workspace,
        actor=None,
        action=f"post.{action}",
        post=post,
        target=str(post),
        data={"state": [was, post.state], "note": note},
    )
