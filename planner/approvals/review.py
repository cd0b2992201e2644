"""A post's review as its page shows it: the chain's steps in order, who approved
each on the current version and when, which step is current and whom it waits for,
and the viewer's own turn. Reads only, built on ``planner.approvals.chain_progress``."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Role, User
from planner.approvals import chain_progress
from planner.approvals.chain_progress import StepSpec, Turn
from planner.models import ApprovalDecision, Decision, Post, StepMode
from planner.workflow import State

DONE, CURRENT, PENDING = "done", "current", "pending"


@dataclass(frozen=True)
class StepLine:
    spec: StepSpec
    status: str  # DONE, CURRENT (the post waits on it) or PENDING
    approvals: tuple[ApprovalDecision, ...]  # live approvals of the current version
    refusals: tuple[ApprovalDecision, ...]  # changes requested or rejections, same version
    named: tuple[User, ...]  # the step's named approvers, when it names people
    waiting_for: tuple[User, ...]  # who may still decide, on the current step

    @property
    def role_label(self) -> str:
        return Role(self.spec.role).label

    @property
    def mode_label(self) -> str:
        if self.spec.mode == StepMode.ALL:
            return _("all of them must approve")
        return _("any one of them approves")

    @property
    def status_label(self) -> str:
        return {DONE: _("Done"), CURRENT: _("Waiting"), PENDING: _("Not yet")}[self.status]


@dataclass(frozen=True)
class Review:
    steps: tuple[StepLine, ...]
    turn: Turn

    @property
    def in_review(self) -> bool:
        return self.turn.step is not None


def review_of(post: Post, viewer: User, *, role: str | None) -> Review:
    """The chain's progress on ``post``'s current version, and ``viewer``'s turn."""
    current = chain_progress.progress(post, four_eyes_relaxed=post.workspace.four_eyes_relaxed)
    turn = chain_progress.turn_of(post, viewer, role=role, current=current)
    decisions = list(
        ApprovalDecision.objects.filter(post=post, version=post.version).select_related(
            "decided_by"
        )
    )
    named_ids = set().union(*(s.approver_ids for s in current.steps))
    named = {u.pk: u for u in User.objects.filter(pk__in=named_ids)} if named_ids else {}
    satisfied = True
    lines = []
    for spec in current.steps:
        if current.current is not None and spec.position == current.current.position:
            satisfied = False
        is_current = post.state == State.IN_REVIEW and spec == turn.step
        status = CURRENT if is_current else DONE if satisfied else PENDING
        at_step = [d for d in decisions if spec.counts(d.step_position, d.step_role)]
        lines.append(
            StepLine(
                spec=spec,
                status=status,
                approvals=tuple(
                    d for d in at_step if d.decision == Decision.APPROVE and d.withdrawn_at is None
                ),
                refusals=tuple(d for d in at_step if d.decision != Decision.APPROVE),
                named=tuple(
                    sorted(
                        (named[pk] for pk in spec.approver_ids if pk in named),
                        key=lambda u: u.display_name.lower(),
                    )
                ),
                waiting_for=turn.waiting_for if is_current else (),
            )
        )
    return Review(steps=tuple(lines), turn=turn)
