"""Which approval chain applies to a post, and where a version stands in it.

Reads only; the decisions themselves are written by ``posts.writing``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from planner import workflow
from planner.models import ApprovalChain, ApprovalDecision, Decision, Post, PostVersion, StepMode
from planner.workflow import Action, State


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

    def counts(self, position: int, role: str) -> bool:
        """Does a decision given at ``position`` for ``role`` count for this step? Only
        when it was given for this very step: a marketing approval at place 1 never
        satisfies a step 1 that now asks an admin (after a campaign or chain change)."""
        return position == self.position and role == self.role


DEFAULT_STEPS = (StepSpec(position=1, role=Role.MARKETING),)
"""Without a configured chain: one marketing step, any one marketer."""


def steps_of(chain: ApprovalChain) -> tuple[StepSpec, ...]:
    """A stored chain's steps, in order (its steps and approvers prefetched or not)."""
    return tuple(
        StepSpec(
            position=step.position,
            role=step.role,
            mode=step.mode,
            approver_ids=frozenset(a.pk for a in step.approvers.all()),
        )
        for step in chain.steps.all()
    )


def chain_steps_for(workspace_id: int, campaign_id: int | None) -> tuple[StepSpec, ...]:
    """The campaign's own chain, else the workspace default, else one marketing step."""
    chains = ApprovalChain.objects.filter(workspace_id=workspace_id).prefetch_related(
        "steps__approvers"
    )
    chain = chains.filter(campaign_id=campaign_id).first() if campaign_id else None
    if chain is None:
        chain = chains.filter(campaign__isnull=True).first()
    if chain is None or not chain.steps.all():
        return DEFAULT_STEPS
    return steps_of(chain)


def chain_steps(post: Post) -> tuple[StepSpec, ...]:
    """The chain that judges the post: its campaign's own, else the workspace default."""
    return chain_steps_for(post.workspace_id, post.campaign_id)


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


def _eligible(
    step: StepSpec,
    workspace_id: int,
    authors: set[int],
    relaxed: bool,
    roles: Mapping[int, str] | None = None,
) -> set[int]:
    """Who counts for the step: its named approvers, else everyone with its role (read
    from ``roles``, user id -> role in the workspace, when the caller loaded them)."""
    if step.approver_ids:
        people = set(step.approver_ids)
    elif roles is not None:
        people = {user_id for user_id, role in roles.items() if role == step.role}
    else:
        people = set(
            Membership.objects.filter(workspace_id=workspace_id, role=step.role).values_list(
                "user_id", flat=True
            )
        )
    return people if relaxed else people - authors


def step_approvers(post: Post, step: StepSpec, *, relaxed: bool) -> list[User]:
    """The active people who may still decide ``step`` on the post's current version.

    Those with the step's role in the workspace (only its named approvers, when it
    names some), minus everyone who wrote or edited the post unless four-eyes is
    relaxed, minus those who already approved this version at this step: the people
    to ask."""
    members = Membership.objects.filter(workspace_id=post.workspace_id, role=step.role)
    if step.approver_ids:
        members = members.filter(user_id__in=step.approver_ids)
    excluded = set(
        ApprovalDecision.objects.filter(
            post=post,
            version=post.version,
            step_position=step.position,
            step_role=step.role,
            decision=Decision.APPROVE,
            withdrawn_at__isnull=True,
        ).values_list("decided_by_id", flat=True)
    )
    if not relaxed:
        excluded |= content_authors(post)
    return list(
        User.objects.filter(pk__in=members.values("user_id"), is_active=True)
        .exclude(pk__in=excluded)
        .order_by("pk")
    )


def step_satisfied(
    step: StepSpec,
    approved_by: set[int],
    workspace_id: int,
    authors: set[int],
    relaxed: bool,
    roles: Mapping[int, str] | None = None,
) -> bool:
    if step.mode == StepMode.ANY:
        return bool(approved_by)
    eligible = _eligible(step, workspace_id, authors, relaxed, roles)
    return bool(approved_by) and eligible <= approved_by


def _counted(steps: tuple[StepSpec, ...], position: int, role: str) -> bool:
    return any(step.counts(position, role) for step in steps)


def progress(post: Post, *, four_eyes_relaxed: bool) -> Progress:
    steps = chain_steps(post)
    approvals: dict[int, set[int]] = {}
    for position, role, user_id in ApprovalDecision.objects.filter(
        post=post, version=post.version, decision=Decision.APPROVE, withdrawn_at__isnull=True
    ).values_list("step_position", "step_role", "decided_by_id"):
        if _counted(steps, position, role):
            approvals.setdefault(position, set()).add(user_id)
    authors = content_authors(post)
    return _walk(
        steps,
        approvals,
        lambda step, by: step_satisfied(step, by, post.workspace_id, authors, four_eyes_relaxed),
    )


def _walk(
    steps: tuple[StepSpec, ...],
    approvals: dict[int, set[int]],
    satisfied: Callable[[StepSpec, set[int]], bool],
) -> Progress:
    """The first step not yet satisfied is the one the version waits on."""
    current = next((s for s in steps if not satisfied(s, approvals.get(s.position, set()))), None)
    return Progress(steps=steps, approvals=approvals, current=current)


# --- may this person decide now, and if not, why ------------------------------------

DECISION_ACTIONS: dict[str, Action] = {
    Decision.APPROVE: Action.APPROVE,
    Decision.REQUEST_CHANGES: Action.REQUEST_CHANGES,
    Decision.REJECT: Action.REJECT,
}


@dataclass(frozen=True)
class Turn:
    """Whether a person may decide the step a post waits on, now; and if not, why.

    ``decisions`` are the decisions open to them (approving alone may be closed,
    for a post without a time: ``reason`` then says why). ``waiting_for`` are the
    people the step still waits for. ``posts.actions.post_decide`` checks again when
    they act: this answers the page, the service decides."""

    step: StepSpec | None
    decisions: frozenset[str] = frozenset()
    reason: str = ""
    waiting_for: tuple[User, ...] = ()

    @property
    def may_decide(self) -> bool:
        return bool(self.decisions)


def _people(step: StepSpec, people: list[User]) -> str:
    names = ", ".join(p.display_name for p in people)
    if step.mode == StepMode.ANY and len(people) > 1:
        return _("one of %(names)s") % {"names": names}
    return names


def turn_of(post: Post, user: User, *, role: str | None, current: Progress | None = None) -> Turn:
    """May ``user`` (with ``role`` in the post's workspace) decide on ``post`` now?

    The same workflow guards as ``posts.actions.post_decide`` (the step's role or named
    approvers, four eyes, a time before approving), asked for each decision."""
    if post.state != State.IN_REVIEW:
        return Turn(step=None)
    relaxed = post.workspace.four_eyes_relaxed
    current = current or progress(post, four_eyes_relaxed=relaxed)
    step = current.current
    if step is None:
        return Turn(step=None)
    waiting = step_approvers(post, step, relaxed=relaxed)
    already = user.pk in current.approvals.get(step.position, set())
    ctx = workflow.Context(
        role=role,
        is_author=post.author_id == user.pk,
        wrote_content=user.pk in content_authors(post),
        four_eyes_relaxed=relaxed,
        is_step_approver=step.may_decide(user.pk, role) and not already,
        has_schedule=post.scheduled_at is not None,
    )
    verdicts = {d: workflow.check(post.state, a, ctx) for d, a in DECISION_ACTIONS.items()}
    open_ = frozenset(d for d, verdict in verdicts.items() if verdict)
    if open_:
        closed = verdicts[Decision.APPROVE]
        return Turn(step, open_, "" if closed else closed.reason, tuple(waiting))
    refusal = verdicts[Decision.REQUEST_CHANGES]
    role_label = Role(step.role).label.lower()
    if refusal.refused_by == "four_eyes":
        reason = _("You wrote or edited this version: someone else decides on it (four-eyes rule).")
    elif not waiting:
        reason = _(
            "Nobody can decide this step now: no one else with the %(role)s role may approve "
            "this version. An admin can change the approval chain."
        ) % {"role": role_label}
    elif already:
        reason = _("You approved this step; it still waits for %(people)s.") % {
            "people": _people(step, waiting)
        }
    else:
        reason = _("Waiting for %(role)s: %(people)s.") % {
            "role": role_label,
            "people": _people(step, waiting),
        }
    return Turn(step, frozenset(), reason, tuple(waiting))


# --- many posts at once: the queues and the reminders ---------------------------------


def may_decide_now(
    step: StepSpec,
    user_id: int,
    role: str | None,
    *,
    authors: Set[int],
    approved_by: Set[int],
    relaxed: bool,
) -> bool:
    """May this person decide ``step`` of the current version now? An approver of the
    step (its role, and one of its named approvers when it names some), not one of the
    post's writers unless four-eyes is relaxed, not already counted on it: the people
    ``step_approvers`` lists, and the guards ``posts.actions.post_decide`` applies."""
    return (
        step.may_decide(user_id, role)
        and (relaxed or user_id not in authors)
        and user_id not in approved_by
    )


@dataclass(frozen=True)
class Review:
    """Where a post in review stands, with what answering "may X decide it now?" needs;
    built for many posts at once by ``reviews``."""

    post: Post
    progress: Progress
    authors: frozenset[int]  # everyone who wrote or edited a version (four eyes)
    roles: Mapping[int, str]  # user id -> role in the workspace ({} unless loaded)
    relaxed: bool
    version_written_at: datetime | None
    approved_at: Mapping[int, datetime]  # step position -> its last approval of this version

    @property
    def step(self) -> StepSpec | None:
        return self.progress.current

    def may_decide(self, user_id: int, role: str | None) -> bool:
        step = self.progress.current
        if step is None:
            return False
        return may_decide_now(
            step,
            user_id,
            role,
            authors=self.authors,
            approved_by=self.progress.approvals.get(step.position, set()),
            relaxed=self.relaxed,
        )

    def deciders(self) -> set[int]:
        """Everyone who may decide the current step now (needs ``reviews(roles=True)``)."""
        return {user_id for user_id, role in self.roles.items() if self.may_decide(user_id, role)}

    @property
    def waiting_since(self) -> datetime:
        """When the current version reached the step it waits on: when it entered review
        (the post's last change of state: a submission, or an edit of approved content),
        when this version was written (an edit during review starts the chain again), or
        when an earlier step of this version was last approved, whichever came last."""
        moments = [self.post.state_changed_at]
        if self.version_written_at is not None:
            moments.append(self.version_written_at)
        step = self.progress.current
        if step is not None:
            moments += [at for position, at in self.approved_at.items() if position < step.position]
        return max(moments)


def reviews(posts: Sequence[Post], *, roles: bool = False) -> dict[int, Review]:
    """``progress`` of many posts, by post id, in at most six queries however many they
    are: the chains (with their steps and approvers), the live approvals, the versions,
    and the workspaces' members (when ``roles`` is asked for, or an "all of them" step
    needs them). The posts need their workspace loaded (``select_related``)."""
    if not posts:
        return {}
    ids = [post.pk for post in posts]
    workspace_ids = {post.workspace_id for post in posts}
    campaign_ids = {post.campaign_id for post in posts if post.campaign_id}
    defaults: dict[int, ApprovalChain] = {}
    own: dict[int, ApprovalChain] = {}
    for chain in ApprovalChain.objects.filter(
        Q(campaign__isnull=True) | Q(campaign_id__in=campaign_ids), workspace_id__in=workspace_ids
    ).prefetch_related("steps__approvers"):
        if chain.campaign_id:
            own[chain.campaign_id] = chain
        else:
            defaults[chain.workspace_id] = chain

    def steps_for(post: Post) -> tuple[StepSpec, ...]:
        # As chain_steps_for: the campaign's own chain, else the workspace default.
        chain = own.get(post.campaign_id) if post.campaign_id else None
        if chain is None:
            chain = defaults.get(post.workspace_id)
        if chain is None or not chain.steps.all():
            return DEFAULT_STEPS
        return steps_of(chain)

    steps = {post.pk: steps_for(post) for post in posts}
    version = {post.pk: post.version for post in posts}
    approvals: dict[int, dict[int, set[int]]] = {pk: {} for pk in ids}
    approved_at: dict[int, dict[int, datetime]] = {pk: {} for pk in ids}
    for post_id, number, position, role, user_id, at in ApprovalDecision.objects.filter(
        post_id__in=ids, decision=Decision.APPROVE, withdrawn_at__isnull=True
    ).values_list(
        "post_id", "version", "step_position", "step_role", "decided_by_id", "created_at"
    ):
        if number != version[post_id] or not _counted(steps[post_id], position, role):
            continue
        approvals[post_id].setdefault(position, set()).add(user_id)
        approved_at[post_id][position] = max(at, approved_at[post_id].get(position, at))
    authors: dict[int, set[int]] = {pk: set() for pk in ids}
    written_at: dict[int, datetime] = {}
    for post_id, number, author_id, at in PostVersion.objects.filter(post_id__in=ids).values_list(
        "post_id", "number", "author_id", "created_at"
    ):
        if author_id is not None:
            authors[post_id].add(author_id)
        if number == version[post_id]:
            written_at[post_id] = at
    members: dict[int, dict[int, str]] = {pk: {} for pk in workspace_ids}
    if roles or any(s.mode == StepMode.ALL for chain in steps.values() for s in chain):
        for workspace_id, user_id, role in Membership.objects.filter(
            workspace_id__in=workspace_ids
        ).values_list("workspace_id", "user_id", "role"):
            members[workspace_id][user_id] = role

    found = {}
    for post in posts:
        relaxed = post.workspace.four_eyes_relaxed
        wrote, people = authors[post.pk], members[post.workspace_id]

        def satisfied(step: StepSpec, by: set[int], post=post, wrote=wrote, people=people) -> bool:
            return step_satisfied(
                step, by, post.workspace_id, wrote, post.workspace.four_eyes_relaxed, people
            )

        found[post.pk] = Review(
            post=post,
            progress=_walk(steps[post.pk], approvals[post.pk], satisfied),
            authors=frozenset(wrote),
            roles=people,
            relaxed=relaxed,
            version_written_at=written_at.get(post.pk),
            approved_at=approved_at[post.pk],
        )
    return found
