"""Which approval chain applies to a post, and where a version stands in it.

Reads only; the decisions themselves are written by ``services.posts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Membership, Role
from planner.models import ApprovalChain, ApprovalDecision, Decision, Post, PostVersion, StepMode


@dataclass(frozen=True)
class StepSpec:
    position: int
    role: str
    mode: str = StepMode.ANY
    approver_ids: frozenset[int] = field(default_factory=frozenset)

    def may_decide(self, user_id: int, role: str | None) -> bool:
        if role != self.role:
            return False
        return not self.approver_ids or user_id in self.approver_ids


DEFAULT_STEPS = (StepSpec(position=1, role=Role.MARKETING),)
"""Without a configured chain: one marketing step, any one marketer."""


def chain_steps(post: Post) -> tuple[StepSpec, ...]:
    """The campaign's own chain, else the workspace default, else one marketing step."""
    chains = ApprovalChain.objects.filter(workspace_id=post.workspace_id).prefetch_related(
        "steps__approvers"
    )
    chain = chains.filter(campaign_id=post.campaign_id).first() if post.campaign_id else None
    if chain is None:
        chain = chains.filter(campaign__isnull=True).first()
    if chain is None or not chain.steps.all():
        return DEFAULT_STEPS
    return tuple(
        StepSpec(
            position=step.position,
            role=step.role,
            mode=step.mode,
            approver_ids=frozenset(a.pk for a in step.approvers.all()),
        )
        for step in chain.steps.all()
    )


def content_authors(post: Post) -> set[int]:
    """Everyone who wrote or edited any version of the post (the four-eyes rule)."""
    ids = set(PostVersion.objects.filter(post=post).values_list("author_id", flat=True))
    ids.discard(None)
    return ids


@dataclass(frozen=True)
class Progress:
    steps: tuple[StepSpec, ...]
    approvals: dict[int, set[int]]  # step position -> user ids who approved this version
    current: StepSpec | None  # the first step not yet satisfied; None when all are

    @property
    def is_complete(self) -> bool:
        return self.current is None


def _eligible(step: StepSpec, workspace_id: int, authors: set[int], relaxed: bool) -> set[int]:
    if step.approver_ids:
        people = set(step.approver_ids)
    else:
        people = set(
            Membership.objects.filter(workspace_id=workspace_id, role=step.role).values_list(
                "user_id", flat=True
            )
        )
    return people if relaxed else people - authors


def step_satisfied(
    step: StepSpec, approved_by: set[int], workspace_id: int, authors: set[int], relaxed: bool
) -> bool:
    if step.mode == StepMode.ANY:
        return bool(approved_by)
    eligible = _eligible(step, workspace_id, authors, relaxed)
    return bool(approved_by) and eligible <= approved_by


def progress(post: Post, *, four_eyes_relaxed: bool) -> Progress:
    steps = chain_steps(post)
    approvals: dict[int, set[int]] = {}
    for position, user_id in ApprovalDecision.objects.filter(
        post=post, version=post.version, decision=Decision.APPROVE, withdrawn_at__isnull=True
    ).values_list("step_position", "decided_by_id"):
        approvals.setdefault(position, set()).add(user_id)
    authors = content_authors(post)
    current = None
    for step in steps:
        if not step_satisfied(
            step, approvals.get(step.position, set()), post.workspace_id, authors, four_eyes_relaxed
        ):
            current = step
            break
    return Progress(steps=steps, approvals=approvals, current=current)
