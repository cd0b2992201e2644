"""What people do to a post besides writing it: submit, withdraw, cancel, retract, reopen,
decide on a review step, and comment (with @mentions).

Each checks the actor's role and the workflow table, changes state inside one transaction
with the post row locked, and writes an audit event."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Capability
from planner import audit, jobs, workflow
from planner.access import require
from planner.approvals import chain_progress, notices
from planner.errors import Conflict, Invalid, NotAllowed
from planner.models import (
    ApprovalDecision,
    Comment,
    Decision,
    Post,
    Publication,
    PublicationState,
)
from planner.notifications.notify import Kind, notify
from planner.posts import mentions
from planner.posts.checks import MAX_COMMENT, refuse_invalid_content
from planner.posts.scheduling import schedule_publications, withdraw_approval
from planner.posts.transitions import apply_transition, lock_post, member_role, transition_context
from planner.workflow import Action, State


def _simple_transition(
    *, actor: User, post: Post, action: Action, event: str, note: str = ""
) -> Post:
    role = member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = lock_post(post)
        was = post.state
        apply_transition(post, action, transition_context(actor, post, role))
        leaving_review = was == State.IN_REVIEW or post.approved_version is not None
        if was != post.state and leaving_review:
            withdraw_approval(post)
        if action == Action.CANCEL:
            Publication.objects.filter(
                post=post,
                state__in=[PublicationState.SCHEDULED, PublicationState.RETRY_WAIT],
            ).update(state=PublicationState.CANCELLED)
        post.save()
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action=event,
            post=post,
            target=str(post),
            data={"state": [was, post.state], "version": post.version, "note": note},
        )
    return post


def post_submit(*, actor: User, post: Post) -> Post:
    """Send the current version to the first step of the approval chain.

    Each network's own rules are checked now, so nobody approves a post that
    would be refused at publishing time."""
    refuse_invalid_content(post)
    with transaction.atomic():
        post = _simple_transition(actor=actor, post=post, action=Action.SUBMIT, event="post.submit")
        notices.submitted(post=post, actor=actor)
    return post


def post_withdraw(*, actor: User, post: Post) -> Post:
    """Take a post back from review to keep working on it."""
    return _simple_transition(actor=actor, post=post, action=Action.WITHDRAW, event="post.withdraw")


def post_cancel(*, actor: User, post: Post, reason: str = "") -> Post:
    return _simple_transition(
        actor=actor, post=post, action=Action.CANCEL, event="post.cancel", note=reason.strip()
    )


def post_retract(*, actor: User, post: Post, reason: str = "") -> Post:
    """Retract a published post (admin or marketing): it is deleted from every network
    that allows it, by a task per delivery; each delivery records the result."""
    post = _simple_transition(
        actor=actor, post=post, action=Action.RETRACT, event="post.retract", note=reason.strip()
    )
    for publication_id in Publication.objects.filter(
        post=post, state=PublicationState.PUBLISHED
    ).values_list("pk", flat=True):
        jobs.after_commit(jobs.RETRACT_PUBLICATION, publication_id)
    return post


def post_reopen(*, actor: User, post: Post) -> Post:
    return _simple_transition(actor=actor, post=post, action=Action.REOPEN, event="post.reopen")


_DECISION_ACTIONS = {
    Decision.APPROVE: Action.APPROVE,
    Decision.REQUEST_CHANGES: Action.REQUEST_CHANGES,
    Decision.REJECT: Action.REJECT,
}


def post_decide(
    *,
    actor: User,
    post: Post,
    decision: str,
    expected_version: int,
    step_position: int,
    comment: str = "",
) -> Post:
    """Record an approver's decision on the step the post is waiting on.

    Two approvers acting on the same step at once: the post row is locked, so
    the second one finds the step already decided and gets a Conflict.
    """
    if decision not in _DECISION_ACTIONS:
        raise Invalid(_("Unknown decision."))
    comment = comment.strip()
    if decision == Decision.REQUEST_CHANGES and not comment:
        raise Invalid(
            _("Say what should change: a comment is required to request changes."),
            fields={"comment": [_("A comment is required to request changes.")]},
        )
    if len(comment) > MAX_COMMENT:
        raise Invalid(_("The comment is too long."))
    role = member_role(actor, post.workspace_id)
    with transaction.atomic():
        post = lock_post(post)
        if post.state != State.IN_REVIEW:
            raise Conflict(
                _("This post is no longer waiting for a decision: it is now “%(state)s”.")
                % {"state": State(post.state).label}
            )
        if post.version != expected_version:
            raise Conflict(
                _(
                    "The post changed while you were reviewing it (now version %(version)s): "
                    "review the new version."
                )
                % {"version": post.version}
            )
        relaxed = post.workspace.four_eyes_relaxed
        progress = chain_progress.progress(post, four_eyes_relaxed=relaxed)
        step = progress.current
        if step is None or step.position != step_position:
            raise Conflict(_("Someone else already decided this step."))
        action = _DECISION_ACTIONS[decision]
        ctx = transition_context(actor, post, role, step=step)
        verdict = workflow.check(post.state, action, ctx)
        if not verdict:
            raise NotAllowed(verdict.reason)
        # A decision of this person at this place that no longer counts (given for
        # another role, before the chain or the campaign changed) gives way to this one.
        ApprovalDecision.objects.filter(
            post=post,
            version=post.version,
            step_position=step.position,
            decided_by=actor,
            withdrawn_at__isnull=True,
        ).exclude(step_role=step.role).update(withdrawn_at=timezone.now())
        try:
            with transaction.atomic():
                ApprovalDecision.objects.create(
                    post=post,
                    version=post.version,
                    step_position=step.position,
                    step_role=step.role,
                    decided_by=actor,
                    decision=decision,
                    comment=comment,
                )
        except IntegrityError:
            raise Conflict(_("Your decision on this step was already recorded.")) from None
        if comment:
            Comment.objects.create(post=post, author=actor, body=comment, version=post.version)
        was = post.state
        next_step = None
        if decision == Decision.APPROVE:
            refuse_invalid_content(post)
            after = chain_progress.progress(post, four_eyes_relaxed=relaxed)
            done, next_step = after.is_complete, after.current
            if done:
                apply_transition(post, Action.APPROVE, ctx)
                post.approved_version = post.version
                post.save()
                schedule_publications(post)
        else:
            apply_transition(post, action, ctx)
            withdraw_approval(post)
            post.save()
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action=f"post.{decision}",
            post=post,
            target=str(post),
            data={
                "version": post.version,
                "step": step.position,
                "step_role": step.role,
                "state": [was, post.state],
                "comment": comment,
            },
        )
        notices.decided(
            post=post,
            actor=actor,
            decision=decision,
            step=step,
            comment=comment,
            next_step=next_step,
        )
    return post


def comment_add(*, actor: User, post: Post, body: str) -> Comment:
    require(actor, post.workspace, Capability.COMMENT)
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Write something first."), fields={"body": [_("Write something first.")]})
    if len(body) > MAX_COMMENT:
        raise Invalid(
            _("A comment is limited to %(n)s characters.") % {"n": MAX_COMMENT},
            fields={"body": [_("Too long.")]},
        )
    directory = mentions.members_of_workspace(post.workspace_id)
    named = mentions.mentioned(body, directory)
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=actor, body=body, version=post.version)
        audit.record(
            workspace=post.workspace,
            actor=actor,
            action="comment.add",
            post=post,
            target=str(post),
            data={"comment": comment.pk, "mentions": [p.pk for p in named]},
        )
        _tell_of_comment(post, actor, comment, named, directory)
    return comment


def _tell_of_comment(
    post: Post,
    actor: User,
    comment: Comment,
    named: list[mentions.Person],
    directory: mentions.Directory,
) -> None:
    """Those mentioned hear they were; the post's author and assignee hear of the
    comment (unless mentioned, or the commenter: nobody is told twice). Only members."""
    data = {"post_title": str(post), "comment": mentions.excerpt(comment.body)}
    notify(
        workspace=post.workspace,
        kind=Kind.MENTION,
        recipients=named,
        post=post,
        actor=actor,
        data=data,
    )
    members = {p.pk for p in directory.people}
    told = {p.pk for p in named}
    owners = {post.author_id, post.assignee_id} & members - told
    notify(
        workspace=post.workspace,
        kind=Kind.COMMENT,
        recipients=[p for p in directory.people if p.pk in owners],
        post=post,
        actor=actor,
        data=data,
    )
