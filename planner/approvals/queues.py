"""A person's work queues in a workspace: what waits for their decision, their drafts,
their posts sent back with changes requested, and the posts at risk.

Reads only. Each queue costs the same few queries however many posts it holds (the
approval rules are asked of ``approvals.reviews``, which loads a whole queue at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Role, User, Workspace
from accounts.permissions import Capability, role_can
from planner.approvals import chain_progress, risk
from planner.approvals.chain_progress import StepSpec
from planner.models import ApprovalDecision, Decision, Post, Variant
from planner.workflow import State

WAITING, DRAFTS, CHANGES, AT_RISK = "waiting", "drafts", "changes", "at-risk"
NAMES = (WAITING, DRAFTS, CHANGES, AT_RISK)


def approves(role: str | None) -> bool:
    """Whether the role can hold an approval step (admin, marketing)."""
    return role_can(role, Capability.POST_APPROVE)


def _mine(user: User) -> Q:
    return Q(author=user) | Q(assignee=user)


# --- waiting for me ---------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    post: Post
    step: StepSpec
    steps: int  # how many steps the post's chain has
    since: datetime  # when the current version reached this step

    @property
    def role_label(self) -> str:
        return str(Role(self.step.role).label)


def _in_review(workspace: Workspace) -> list[Post]:
    posts = list(
        Post.objects.filter(workspace=workspace, state=State.IN_REVIEW).select_related("campaign")
    )
    for post in posts:
        post.workspace = workspace  # the rules read its four-eyes setting
    return posts


def waiting_for(user: User, workspace: Workspace, role: str | None) -> list[Waiting]:
    """Posts in review whose current step this person may decide now, longest waiting
    first. Nothing to read for a role that approves nothing."""
    if not approves(role):
        return []
    rows = [
        Waiting(review.post, review.step, len(review.progress.steps), review.waiting_since)
        for review in chain_progress.reviews(_in_review(workspace)).values()
        if review.step is not None and review.may_decide(user.pk, role)
    ]
    return sorted(rows, key=lambda row: (row.since, row.post.pk))


# --- my drafts ----------------------------------------------------------------------------


def drafts_of(user: User, workspace: Workspace) -> QuerySet[Post]:
    """Drafts the person wrote or is assigned, the soonest due first (undated last)."""
    return (
        Post.objects.filter(_mine(user), workspace=workspace, state=State.DRAFT)
        .select_related("campaign")
        .order_by(F("scheduled_at").asc(nulls_last=True), "-updated_at", "pk")
    )


# --- changes requested --------------------------------------------------------------------


@dataclass(frozen=True)
class SentBack:
    post: Post
    comment: str
    by: str  # who asked ("" when unknown)
    at: datetime | None


def sent_back_to(user: User, workspace: Workspace) -> list[SentBack]:
    """Posts sent back with changes requested that the person wrote or is assigned, with
    the request that sent them back (its comment, who, when): one query."""
    request = ApprovalDecision.objects.filter(
        post=OuterRef("pk"), decision=Decision.REQUEST_CHANGES
    ).order_by("-created_at", "-pk")
    posts = (
        Post.objects.filter(_mine(user), workspace=workspace, state=State.CHANGES_REQUESTED)
        .select_related("campaign")
        .annotate(
            request_comment=Subquery(request.values("comment")[:1]),
            request_at=Subquery(request.values("created_at")[:1]),
            request_name=Subquery(request.values("decided_by__full_name")[:1]),
            request_email=Subquery(request.values("decided_by__email")[:1]),
        )
        .order_by(F("request_at").desc(nulls_last=True), "pk")
    )
    return [
        SentBack(
            post,
            post.request_comment or "",
            post.request_name or (post.request_email or "").split("@")[0],
            post.request_at,
        )
        for post in posts
    ]


# --- at risk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRisk:
    """One of the post's channels that cannot take it, and why (``risk.connection_risk``)."""

    channel_id: int
    name: str
    reason: str  # risk.DISCONNECTED or risk.EXPIRES
    expires_at: datetime | None

    @property
    def disconnected(self) -> bool:
        return self.reason == risk.DISCONNECTED


@dataclass(frozen=True)
class AtRisk:
    post: Post
    yours: bool  # the person wrote it or is assigned
    waits_for_you: bool  # it waits for the person's decision
    unapproved: bool = False  # due soon and its current version not approved
    channels: tuple[ChannelRisk, ...] = ()  # its channels that cannot take it


def at_risk_posts(workspace: Workspace, now: datetime | None = None) -> QuerySet[Post]:
    """Posts due within the workspace's at-risk hours (or late by less than a day) whose
    current version is not approved, and posts still to go out on a channel that is
    disconnected or whose access ends before their time (``planner.approvals.risk``)."""
    now = now or timezone.now()
    return Post.objects.filter(
        risk.where(now, workspace.at_risk_hours) | risk.connection_where(now),
        workspace=workspace,
    )


def _channel_risks(posts: list[Post]) -> dict[int, list[ChannelRisk]]:
    """Each post's channels that cannot take it, by name: one query."""
    due = {post.pk: post.scheduled_at for post in posts}
    found: dict[int, list[ChannelRisk]] = {}
    rows = (
        Variant.objects.filter(post_id__in=due)
        .filter(
            Q(channel__disconnected_at__isnull=False) | Q(channel__access_expires_at__isnull=False)
        )
        .order_by("post_id", "channel__name", "channel_id")
        .values_list(
            "post_id",
            "channel_id",
            "channel__name",
            "channel__disconnected_at",
            "channel__access_expires_at",
        )
    )
    for post_id, channel_id, name, disconnected_at, expires_at in rows:
        if reason := risk.connection_risk(disconnected_at, expires_at, due[post_id]):
            found.setdefault(post_id, []).append(ChannelRisk(channel_id, name, reason, expires_at))
    return found


def at_risk_for(
    user: User, workspace: Workspace, role: str | None, now: datetime | None = None
) -> list[AtRisk]:
    """Everyone's posts at risk, soonest first, marking those that concern the person,
    with why each is at risk."""
    now = now or timezone.now()
    posts = list(
        at_risk_posts(workspace, now)
        .select_related("campaign", "author", "assignee")
        .order_by("scheduled_at", "pk")
    )
    in_review = [post for post in posts if post.state == State.IN_REVIEW]
    waiting = set()
    if approves(role) and in_review:
        for post in in_review:
            post.workspace = workspace
        waiting = {
            pk
            for pk, review in chain_progress.reviews(in_review).items()
            if review.may_decide(user.pk, role)
        }
    blocked = _channel_risks(posts)
    return [
        AtRisk(
            post,
            user.pk in (post.author_id, post.assignee_id),
            post.pk in waiting,
            unapproved=risk.is_at_risk(
                state=post.state,
                version=post.version,
                approved_version=post.approved_version,
                scheduled_at=post.scheduled_at,
                now=now,
                hours=workspace.at_risk_hours,
            ),
            channels=tuple(blocked.get(post.pk, ())),
        )
        for post in posts
    ]


# --- how many -----------------------------------------------------------------------------


def count(name: str, user: User, workspace: Workspace, role: str | None) -> int:
    if name == WAITING:
        return len(waiting_for(user, workspace, role))
    if name == DRAFTS:
        return drafts_of(user, workspace).count()
    if name == CHANGES:
        return Post.objects.filter(
            _mine(user), workspace=workspace, state=State.CHANGES_REQUESTED
        ).count()
    if name == AT_RISK:
        return at_risk_posts(workspace).count()
    raise ValueError(name)
