"""A post's time and its deliveries: rescheduling, the publications planned for an approved
post, and approvals withdrawn when what they covered (the time, the channel) changes."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Capability
from planner import audit, workflow
from planner.access import require
from planner.approvals import notices
from planner.approvals.chain_progress import StepSpec
from planner.approvals.chains import carry_over
from planner.models import (
    ApprovalDecision,
    Channel,
    Post,
    Publication,
    PublicationState,
)
from planner.posts.checks import check_future
from planner.posts.transitions import apply_transition, lock_post, member_role, transition_context
from planner.workflow import Action, State


def withdraw_approval(post: Post) -> int:
    """Withdraw every live decision and stop the post's pending deliveries."""
    withdrawn = ApprovalDecision.objects.filter(post=post, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    post.approved_version = None
    cancel_pending(post)
    return withdrawn


def cancel_pending(post: Post) -> None:
    Publication.objects.filter(
        post=post, state__in=[PublicationState.SCHEDULED, PublicationState.RETRY_WAIT]
    ).update(state=PublicationState.CANCELLED, next_attempt_at=None)


# Deliveries that have not gone out and may be (re)planned at the post's time.
_REPLANNABLE = (
    PublicationState.SCHEDULED,
    PublicationState.RETRY_WAIT,
    PublicationState.CANCELLED,
    PublicationState.HELD,
    PublicationState.FAILED,
)


def schedule_publications(post: Post) -> None:
    """One publication per channel of the approved post, due at its time.

    A row keeps its idempotency key for life, so a delivery replanned after a
    withdrawal or a failure is still recognised by the network."""
    channel_ids = list(post.variants.values_list("channel_id", flat=True))
    existing = {p.channel_id: p for p in Publication.objects.filter(post=post)}
    for channel_id in channel_ids:
        publication = existing.get(channel_id)
        if publication is None:
            Publication.objects.create(post=post, channel_id=channel_id, due_at=post.scheduled_at)
        elif publication.state in _REPLANNABLE:
            publication.state = PublicationState.SCHEDULED
            publication.due_at = post.scheduled_at
            publication.attempts = 0
            publication.next_attempt_at = None
            publication.last_error = ""
            publication.save(
                update_fields=[
                    "state",
                    "due_at",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "updated_at",
                ]
            )
    Publication.objects.filter(post=post, state=PublicationState.SCHEDULED).exclude(
        channel_id__in=channel_ids
    ).update(state=PublicationState.CANCELLED)


def post_reschedule(*, actor: User, post: Post, scheduled_at: datetime) -> Post:
    """Move a post in time. The moment is part of what the approvers approved (a post
    needs a time to be approved): a move withdraws every live decision, so an approved
    or failed post goes back to review and a post in review starts its chain again;
    those whose approval was withdrawn, the author and the assignee are told. A post
    waiting for a person after a missed slot is rescheduled by its resolvers instead
    (``needs attention`` → approved). The move is logged."""
    role = member_role(actor, post.workspace_id)
    check_future(scheduled_at)
    with transaction.atomic():
        post = lock_post(post)
        before = post.scheduled_at
        if before == scheduled_at:
            return post
        was = post.state
        apply_transition(post, Action.RESCHEDULE, transition_context(actor, post, role))
        post.scheduled_at = scheduled_at
        post.sequence += 1
        withdrawn = 0
        if was in (State.APPROVED, State.FAILED, State.IN_REVIEW):
            approvers = notices.live_approvers(post)
            withdrawn = withdraw_approval(post)
            if withdrawn:
                notices.approval_withdrawn(
                    post=post,
                    actor=actor,
                    approver_ids=[*approvers, post.author_id, post.assignee_id],
                    reason="moved",
                )
        post.save()
        if post.state == State.APPROVED:
            schedule_publications(post)
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action="post.reschedule",
            post=post,
            target=str(post),
            data={
                "before": before,
                "after": scheduled_at,
                "state": [was, post.state],
                "approval_kept": post.approval_is_current,
                "approvals_withdrawn": withdrawn,
            },
        )
    return post


# States in which a post holds an approval that has not gone out.
APPROVAL_HELD = (State.APPROVED, State.FAILED, State.NEEDS_ATTENTION)


def revoke_approval(
    post: Post,
    actor: User,
    *,
    reason: str,
    channel: Channel | None = None,
    chains: tuple[tuple[StepSpec, ...], tuple[StepSpec, ...]] | None = None,
) -> dict:
    """Put one locked post holding an approval back to review, its pending deliveries
    cancelled: every decision withdrawn, or, when the chain judging it changed (``chains``:
    old, new), those the new chain cannot keep (``chains.carry_over``). Those who lost an
    approval, the author and the assignee are told (``reason``, a code that
    ``notifications.describe`` words). Returns what the audit entry records."""
    was = post.state
    approvers = notices.live_approvers(post)
    apply_transition(post, Action.REVOKE_APPROVAL, workflow.Context(role=workflow.SYSTEM))
    if chains is None:
        withdrawn = withdraw_approval(post)
    else:
        post.approved_version = None
        cancel_pending(post)
        _first, withdrawn = carry_over(post, *chains)
    post.save()
    still = set(notices.live_approvers(post))
    notices.approval_withdrawn(
        post=post,
        actor=actor,
        approver_ids=[
            *(pk for pk in approvers if pk not in still),
            post.author_id,
            post.assignee_id,
        ],
        reason=reason,
        channel=channel.name if channel else "",
    )
    return {
        "version": post.version,
        "state": [was, post.state],
        "reason": reason,
        "approvals_withdrawn": withdrawn,
    }


def post_approvals_withdraw_for_channel(*, actor: User, channel: Channel) -> list[int]:
    """Put a channel's approved posts that have not gone out back to a person.

    What the approvers approved went to the channel as it pointed then; when its
    address changes (another server, another webhook), their approval no longer covers
    where the post goes. Every post with a variant on the channel that is approved,
    failed or waiting for a person loses its approval (all decisions withdrawn, pending
    deliveries cancelled) and goes back to review; each is audited
    (``post.approval_revoked``) and its approvers, author and assignee are told.
    Posts publishing at this very moment are left to the engine. Returns the post ids.
    """
    # A code, told in the reader's language by ``notifications.describe``.
    reason = "channel_address"
    require(actor, channel.workspace, Capability.CHANNEL_MANAGE)
    touched = []
    with transaction.atomic():
        ids = Post.objects.filter(
            workspace_id=channel.workspace_id, state__in=APPROVAL_HELD, variants__channel=channel
        ).values_list("pk", flat=True)
        locked = Post.objects.filter(pk__in=list(ids)).select_for_update()
        # Only the posts are locked: the workspace is the channel's (no FOR UPDATE on it,
        # which would cross the engine's lock order).
        for post in locked.order_by("pk"):
            post.workspace = channel.workspace
            data = revoke_approval(post, actor, reason=reason, channel=channel)
            audit.record(
                workspace=channel.workspace,
                actor=actor,
                action="post.approval_revoked",
                post=post,
                target=str(post),
                data={**data, "channel": channel.pk},
            )
            touched.append(post.pk)
    return touched
