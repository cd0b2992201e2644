"""The API's reads: each starts from the request's workspace."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User, Workspace
from api.models import ApiToken
from planner.approvals import chain_progress
from planner.models import ApprovalDecision, KeyDate, Post, Publication, Variant


def tokens_of(user: User, workspace: Workspace) -> QuerySet[ApiToken]:
    """The person's tokens for this workspace, revoked ones included (for the record)."""
    return ApiToken.objects.filter(user=user, workspace=workspace)


def posts_of(workspace: Workspace, filters: dict | None = None) -> QuerySet[Post]:
    """The workspace's posts passing ``filters`` (validated by ``api.filters``), with what
    the API shows of each prefetched: a page costs the same few queries whatever its size."""
    filters = filters or {}
    posts = Post.objects.filter(workspace=workspace).prefetch_related("variants", "labels", "media")
    if "state" in filters:
        posts = posts.filter(state=filters["state"])
    if "campaign" in filters:
        posts = posts.filter(campaign=filters["campaign"])
    if "assignee" in filters:
        posts = posts.filter(assignee=filters["assignee"])
    if "scheduled_after" in filters:
        posts = posts.filter(scheduled_at__gte=filters["scheduled_after"])
    if "scheduled_before" in filters:
        posts = posts.filter(scheduled_at__lt=filters["scheduled_before"])
    # Exists rather than a join: no duplicate rows (as the calendar's selector).
    if "channel" in filters:
        posts = posts.filter(
            Exists(Variant.objects.filter(post=OuterRef("pk"), channel=filters["channel"]))
        )
    if "label" in filters:
        posts = posts.filter(
            Exists(Post.labels.through.objects.filter(post=OuterRef("pk"), label=filters["label"]))
        )
    return posts.order_by("scheduled_at", "pk")


def publications_of(workspace: Workspace, filters: dict | None = None) -> QuerySet[Publication]:
    filters = filters or {}
    publications = Publication.objects.filter(post__workspace=workspace)
    for name in ("post", "channel", "state"):
        if name in filters:
            publications = publications.filter(**{name: filters[name]})
    return publications.order_by("due_at", "pk")


def key_dates_of(workspace: Workspace, filters: dict | None = None) -> QuerySet[KeyDate]:
    filters = filters or {}
    key_dates = KeyDate.objects.filter(workspace=workspace).select_related("source")
    if "after" in filters:
        day = filters["after"]
        key_dates = key_dates.filter(
            Q(all_day=True, ends_on__gte=day) | Q(all_day=False, ends_at__date__gte=day)
        )
    if "before" in filters:
        day = filters["before"]
        key_dates = key_dates.filter(
            Q(all_day=True, starts_on__lt=day) | Q(all_day=False, starts_at__date__lt=day)
        )
    return key_dates.order_by("starts_on", "starts_at", "pk")


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


@dataclass(frozen=True)
class ApprovalStatus:
    state: str
    version: int
    current_step: int | None
    waiting_for: list[dict]
    steps: list[dict]
    decisions: list[dict]


def approval_status(post: Post) -> ApprovalStatus:
    """The chain's steps for the current version, who approved each, the step the post
    waits on and the people who may decide it, and every decision taken on the post."""
    relaxed = post.workspace.four_eyes_relaxed
    progress = chain_progress.progress(post, four_eyes_relaxed=relaxed)
    current = progress.current if post.state == "in_review" else None
    waiting = chain_progress.step_approvers(post, current, relaxed=relaxed) if current else []
    decisions = list(
        ApprovalDecision.objects.filter(post=post)
        .select_related("decided_by")
        .order_by("created_at", "pk")
    )
    names = {d.decided_by_id: d.decided_by for d in decisions if d.decided_by_id}
    steps = [
        {
            "position": step.position,
            "role": step.role,
            "mode": step.mode,
            "approved_by": [
                _person(names[user_id])
                for user_id in sorted(progress.approvals.get(step.position, set()))
                if user_id in names
            ],
            "is_current": current is not None and step.position == current.position,
        }
        for step in progress.steps
    ]
    return ApprovalStatus(
        state=post.state,
        version=post.version,
        current_step=current.position if current else None,
        waiting_for=[_person(user) for user in waiting],
        steps=steps,
        decisions=[
            {
                "step": d.step_position,
                "version": d.version,
                "decision": d.decision,
                "decided_by": _person(d.decided_by),
                "comment": d.comment,
                "decided_at": d.created_at,
                "withdrawn": d.withdrawn_at is not None,
            }
            for d in decisions
        ],
    )
