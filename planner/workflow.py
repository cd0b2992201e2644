"""The post state machine, as data. Pure: no database, no I/O.

``TRANSITIONS`` maps (state, action) to the next state and the capability the
actor needs. Guards that need more than a role (authorship, the approval
chain, the content version) are named on the transition and evaluated by
``check`` against a ``Context`` that the service builds. Services are the only
callers; nobody sets ``post.state`` by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability as C
from accounts.permissions import role_can


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")
    CANCELLED = "cancelled", _("Cancelled")
    RETRACTED = "retracted", _("Retracted")


class Action(models.TextChoices):
    EDIT = "edit", _("Edit content")
    RESCHEDULE = "reschedule", _("Move in time")
    SUBMIT = "submit", _("Submit for approval")
    WITHDRAW = "withdraw", _("Withdraw from review")
    APPROVE = "approve", _("Approve")
    REQUEST_CHANGES = "request_changes", _("Request changes")
    REJECT = "reject", _("Reject")
    CANCEL = "cancel", _("Cancel")
    REOPEN = "reopen", _("Reopen")
    RETRY = "retry", _("Retry publishing")
    PUBLISH_NOW = "publish_now", _("Publish now")
    RETRACT = "retract", _("Retract")
    # Actions of the publishing engine, never of a person.
    START_PUBLISHING = "start_publishing", _("Start publishing")
    MARK_PUBLISHED = "mark_published", _("Mark published")
    MARK_FAILED = "mark_failed", _("Mark failed")
    MISS_SLOT = "miss_slot", _("Miss its slot")
    HAND_OVER = "hand_over", _("Hand over to a person")
    # A consequence of a change elsewhere (where a channel points), never asked for.
    REVOKE_APPROVAL = "revoke_approval", _("Withdraw the approval")


SYSTEM = "system"
"""The role of the publishing engine; no person holds it."""

# States whose content is frozen: it went out, or it is going out.
LOCKED = frozenset({State.PUBLISHING, State.PUBLISHED, State.RETRACTED})
# States in which a post counts as approved (its approval is valid).
APPROVED_STATES = frozenset({State.APPROVED, State.PUBLISHING, State.PUBLISHED})
# States where the post is still ahead of us (counted in queues and "at risk").
OPEN_STATES = frozenset(
    {State.DRAFT, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED, State.NEEDS_ATTENTION}
)


@dataclass(frozen=True)
class Context:
    """What guards need to know about the actor and the post."""

    role: str | None
    is_author: bool = False
    wrote_content: bool = False
    four_eyes_relaxed: bool = False
    is_step_approver: bool = False
    has_channels: bool = True
    has_text: bool = True
    has_schedule: bool = False


@dataclass(frozen=True)
class Guard:
    name: str
    test: Callable[[Context], bool]
    message: str


def _g(name: str, test: Callable[[Context], bool], message: str) -> Guard:
    return Guard(name, test, message)


OWN_OR_ANY = _g(
    "own_or_any",
    lambda c: c.is_author or role_can(c.role, C.POST_EDIT_ANY),
    _("You can only change posts you wrote."),
)
OWN_OR_CANCEL_ANY = _g(
    "own_or_cancel_any",
    lambda c: c.is_author or role_can(c.role, C.POST_CANCEL),
    _("You can only cancel posts you wrote."),
)
READY = _g(
    "ready",
    lambda c: c.has_text and c.has_channels,
    _("A post needs text and at least one channel before it can be submitted."),
)
STEP_APPROVER = _g(
    "step_approver",
    lambda c: c.is_step_approver,
    _("You are not an approver of the step this post is waiting on."),
)
FOUR_EYES = _g(
    "four_eyes",
    lambda c: c.four_eyes_relaxed or not c.wrote_content,
    _("You cannot decide on a version you wrote or edited: someone else must review it."),
)
SCHEDULED = _g(
    "scheduled",
    lambda c: c.has_schedule,
    _("Give the post a time before approving it."),
)


@dataclass(frozen=True)
class Transition:
    source: State
    action: Action
    target: State
    capability: C | None  # None: only the publishing engine (role SYSTEM)
    guards: tuple[Guard, ...] = field(default_factory=tuple)


def _t(source, action, target, capability, *guards) -> Transition:
    return Transition(source, action, target, capability, tuple(guards))


S, A = State, Action
_EDITABLE_BEFORE_REVIEW = (S.DRAFT, S.CHANGES_REQUESTED)

TRANSITIONS: dict[tuple[State, Action], Transition] = {
    (t.source, t.action): t
    for t in [
        # Writing. Editing approved or failed content withdraws the approval and
        # sends the new version straight back to the approvers.
        _t(S.DRAFT, A.EDIT, S.DRAFT, C.POST_CREATE, OWN_OR_ANY),
        _t(S.CHANGES_REQUESTED, A.EDIT, S.CHANGES_REQUESTED, C.POST_CREATE, OWN_OR_ANY),
        _t(S.IN_REVIEW, A.EDIT, S.IN_REVIEW, C.POST_EDIT_ANY),
        _t(S.APPROVED, A.EDIT, S.IN_REVIEW, C.POST_EDIT_ANY),
        _t(S.FAILED, A.EDIT, S.IN_REVIEW, C.POST_EDIT_ANY),
        _t(S.NEEDS_ATTENTION, A.EDIT, S.IN_REVIEW, C.POST_EDIT_ANY),
        # Moving in time: the moment is part of what was approved (approving needs a
        # time), so moving an approved or failed post sends it back to the approvers.
        *[
            _t(s, A.RESCHEDULE, s, C.POST_SCHEDULE)
            for s in (S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED)
        ],
        _t(S.APPROVED, A.RESCHEDULE, S.IN_REVIEW, C.POST_SCHEDULE),
        _t(S.FAILED, A.RESCHEDULE, S.IN_REVIEW, C.POST_SCHEDULE),
        _t(S.NEEDS_ATTENTION, A.RESCHEDULE, S.APPROVED, C.POST_RESOLVE),
        # Review.
        *[
            _t(s, A.SUBMIT, S.IN_REVIEW, C.POST_SUBMIT, OWN_OR_ANY, READY)
            for s in _EDITABLE_BEFORE_REVIEW
        ],
        _t(S.IN_REVIEW, A.WITHDRAW, S.DRAFT, C.POST_SUBMIT, OWN_OR_ANY),
        _t(S.IN_REVIEW, A.APPROVE, S.APPROVED, C.POST_APPROVE, STEP_APPROVER, FOUR_EYES, SCHEDULED),
        _t(
            S.IN_REVIEW,
            A.REQUEST_CHANGES,
            S.CHANGES_REQUESTED,
            C.POST_APPROVE,
            STEP_APPROVER,
            FOUR_EYES,
        ),
        _t(S.IN_REVIEW, A.REJECT, S.CANCELLED, C.POST_APPROVE, STEP_APPROVER, FOUR_EYES),
        # Giving up and coming back.
        *[
            _t(s, A.CANCEL, S.CANCELLED, C.POST_CREATE, OWN_OR_CANCEL_ANY)
            for s in (S.DRAFT, S.IN_REVIEW, S.CHANGES_REQUESTED)
        ],
        *[
            _t(s, A.CANCEL, S.CANCELLED, C.POST_CANCEL)
            for s in (S.APPROVED, S.FAILED, S.NEEDS_ATTENTION)
        ],
        _t(S.CANCELLED, A.REOPEN, S.DRAFT, C.POST_CREATE, OWN_OR_ANY),
        # After publishing went wrong or late: a person decides.
        _t(S.FAILED, A.RETRY, S.APPROVED, C.POST_RESOLVE),
        _t(S.NEEDS_ATTENTION, A.PUBLISH_NOW, S.APPROVED, C.POST_RESOLVE),
        _t(S.PUBLISHED, A.RETRACT, S.RETRACTED, C.POST_RETRACT),
        # The publishing engine.
        _t(S.APPROVED, A.START_PUBLISHING, S.PUBLISHING, None),
        _t(S.APPROVED, A.MISS_SLOT, S.NEEDS_ATTENTION, None),
        _t(S.PUBLISHING, A.MARK_PUBLISHED, S.PUBLISHED, None),
        _t(S.PUBLISHING, A.MARK_FAILED, S.FAILED, None),
        _t(S.PUBLISHING, A.MISS_SLOT, S.NEEDS_ATTENTION, None),
        _t(S.PUBLISHING, A.HAND_OVER, S.NEEDS_ATTENTION, None),
        # What was approved no longer holds (its channel points elsewhere): back to
        # the approvers. The service of that change applies it, as the engine would.
        *[
            _t(s, A.REVOKE_APPROVAL, S.IN_REVIEW, None)
            for s in (S.APPROVED, S.FAILED, S.NEEDS_ATTENTION)
        ],
    ]
}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    target: State | None = None
    reason: str = ""
    # Why it was refused: "state" (nothing leads there from this state, often
    # because someone acted first), "role" (the actor's role) or "guard".
    refused_by: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def check(state: str, action: str, ctx: Context) -> Verdict:
    """May an actor described by ``ctx`` apply ``action`` to a post in ``state``?"""
    transition = TRANSITIONS.get((State(state), Action(action)))
    if transition is None:
        return Verdict(
            False,
            refused_by="state",
            reason=str(
                _("A post that is “%(state)s” cannot be “%(action)s”.")
                % {
                    "state": State(state).label.lower(),
                    "action": Action(action).label.lower(),
                }
            ),
        )
    if transition.capability is None:
        if ctx.role != SYSTEM:
            return Verdict(
                False, reason=str(_("Only the publishing engine does this.")), refused_by="role"
            )
        return Verdict(True, transition.target)
    if not role_can(ctx.role, transition.capability):
        return Verdict(False, reason=str(_("Your role does not allow this.")), refused_by="role")
    for guard in transition.guards:
        if not guard.test(ctx):
            return Verdict(False, reason=str(guard.message), refused_by=guard.name)
    return Verdict(True, transition.target)


def actions_from(state: str) -> list[Action]:
    """Actions that exist from ``state`` for someone (used to draw buttons)."""
    return [action for (source, action) in TRANSITIONS if source == state]
