"""Who is told of each step of the approval workflow and of failed deliveries.

Called by the services inside their transaction, after the change: ``notify`` writes
the inbox rows (and queues the emails after commit), ``chat.announce`` queues the chat
message after commit. The post's title goes into ``data`` so the sentence survives
the post's deletion.
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import Membership, Role, User
from planner.approvals import chain_progress
from planner.approvals.chain_progress import StepSpec
from planner.models import ApprovalDecision, Decision, Post, Publication
from planner.notifications import chat
from planner.notifications.notify import Kind, notify


def _post_data(post: Post, **more: object) -> dict:
    return {"post_title": str(post), **more}


def _step_data(step: StepSpec) -> dict:
    return {"step_position": step.position, "step_role": step.role}


def _users(ids: Iterable[int | None]) -> list[User]:
    wanted = {pk for pk in ids if pk is not None}
    return list(User.objects.filter(pk__in=wanted, is_active=True)) if wanted else []


def ask_step(*, post: Post, actor: User | None, step: StepSpec) -> None:
    """The step's eligible approvers are asked to decide (never the content's authors
    unless the workspace relaxed four-eyes)."""
    people = chain_progress.step_approvers(post, step, relaxed=post.workspace.four_eyes_relaxed)
    notify(
        workspace=post.workspace,
        kind=Kind.SUBMITTED,
        recipients=people,
        post=post,
        actor=actor,
        data=_post_data(post, **_step_data(step)),
    )


def submitted(*, post: Post, actor: User) -> None:
    """A version was sent for review: its first waiting step is asked, the chat is told."""
    current = chain_progress.progress(
        post, four_eyes_relaxed=post.workspace.four_eyes_relaxed
    ).current
    if current is not None:
        ask_step(post=post, actor=actor, step=current)
    chat.announce(
        workspace=post.workspace, kind=Kind.SUBMITTED, post=post, actor=actor, data=_post_data(post)
    )


def decided(
    *,
    post: Post,
    actor: User,
    decision: str,
    step: StepSpec,
    comment: str,
    next_step: StepSpec | None,
) -> None:
    """After a decision: the next step is asked, or the author and assignee hear the
    outcome (and, for changes requested or a rejection, everyone who wrote the post)."""
    if decision == Decision.APPROVE:
        if post.approved_version == post.version:
            data = _post_data(post)
            notify(
                workspace=post.workspace,
                kind=Kind.APPROVED,
                recipients=_users([post.author_id, post.assignee_id]),
                post=post,
                actor=actor,
                data=data,
            )
            chat.announce(
                workspace=post.workspace, kind=Kind.APPROVED, post=post, actor=actor, data=data
            )
        elif next_step is not None and next_step.position != step.position:
            ask_step(post=post, actor=actor, step=next_step)
        return
    data = _post_data(post, decision=decision, comment=comment, **_step_data(step))
    notify(
        workspace=post.workspace,
        kind=Kind.DECIDED,
        recipients=_users(
            [post.author_id, post.assignee_id, *chain_progress.content_authors(post)]
        ),
        post=post,
        actor=actor,
        data=data,
    )
    chat.announce(workspace=post.workspace, kind=Kind.DECIDED, post=post, actor=actor, data=data)


def live_approvers(post: Post) -> list[int]:
    """Who approved the post and still stands by it (read before a withdrawal)."""
    return list(
        ApprovalDecision.objects.filter(
            post=post, decision=Decision.APPROVE, withdrawn_at__isnull=True
        )
        .values_list("decided_by_id", flat=True)
        .distinct()
    )


def approval_withdrawn(
    *,
    post: Post,
    actor: User,
    approver_ids: Iterable[int | None],
    reason: str = "",
    channel: str = "",
) -> None:
    """Approvals were withdrawn (the content changed, or ``reason``: a code such as
    "channel_address", with the ``channel``'s name): those people are told."""
    more: dict = {"version": post.version}
    if reason:
        more |= {"reason_code": reason, "channel": channel}
    notify(
        workspace=post.workspace,
        kind=Kind.APPROVAL_WITHDRAWN,
        recipients=_users(approver_ids),
        post=post,
        actor=actor,
        data=_post_data(post, **more),
    )


def publication_problem(publication: Publication, reason: str) -> None:
    """A delivery failed, waits for a person, or may not have gone out: its post's
    author and the workspace's admins are told, and the chat."""
    post = publication.post
    admins = Membership.objects.filter(workspace_id=post.workspace_id, role=Role.ADMIN)
    people = _users([post.author_id, *admins.values_list("user_id", flat=True)])
    data = _post_data(post, channel=publication.channel.name, reason=reason)
    notify(
        workspace=post.workspace,
        kind=Kind.PUBLICATION_PROBLEM,
        recipients=people,
        post=post,
        data=data,
    )
    chat.announce(workspace=post.workspace, kind=Kind.PUBLICATION_PROBLEM, post=post, data=data)
