"""The weak-link report: where posts wait on their way from draft to published.

Reads only. Stage durations come from the audit trail (the workflow's events, which
carry who acted and when); approvals overdue now come from ``approvals.reviews``, the
same reading of the chain as the queues and the reminders. Every part costs a fixed
number of queries however much history there is: the events are fetched in one query
(their JSON read in the database: only a step's position, role and the resulting
state), and the medians and 90th percentiles are computed here, which works the same
on SQLite and PostgreSQL.

*Stages.* Drafting runs from the creation of a post (or a request for changes) to its
submission, and belongs to whoever submitted. An approval step runs from the moment
the version reached it (the submission, or the approval of the step before) to the
decision on it, and belongs to the person who decided. "Approved to published" runs
from the last approval to the engine marking the post published. A stage counts in
the period its end falls in; a stage abandoned (withdrawn, cancelled) counts nowhere,
nor does one that lasted under a second: one action did both ends (an import, a script
such as the demo seed), so nobody waited and its zero would only drag the medians down.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, F, Q
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role, User, Workspace
from accounts.permissions import Capability, role_can
from planner.approvals import chain_progress
from planner.models import AuditEvent, Post, Publication, PublicationState
from planner.workflow import State

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
MIN_STAGES = 5  # below this many finished stages, no sentence: not enough history
MIN_STAGE_SECONDS = 1.0  # shorter: both ends were one action, nobody waited
TOP_REWORK = 5

DRAFT, STEP, PUBLISH = "draft", "step", "publish"

_ACTIONS = (
    "post.create",
    "post.submit",
    "post.withdraw",
    "post.edit",
    "post.approve",
    "post.request_changes",
    "post.reject",
    "post.cancel",
    "post.mark_published",
    "post.miss_slot",
)


def may_read(role: str | None) -> bool:
    """Admins and marketing: the people who hold the approval steps and plan the chain."""
    return role_can(role, Capability.POST_APPROVE)


# --- figures ------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float, *, ordered: bool = False) -> float:
    """The ``fraction`` quantile of ``values``, interpolated between the two nearest
    ranks (as spreadsheets' PERCENTILE and numpy's default do)."""
    if not values:
        raise ValueError("no values")
    ordered_values = values if ordered else sorted(values)
    position = fraction * (len(ordered_values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered_values[low] + (ordered_values[high] - ordered_values[low]) * (position - low)


@dataclass(frozen=True)
class Figures:
    count: int
    median_hours: float
    p90_hours: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Figures:
        hours = sorted(s / 3600 for s in seconds)
        return cls(
            len(hours),
            percentile(hours, 0.5, ordered=True),
            percentile(hours, 0.9, ordered=True),
        )


def duration(hours: float) -> str:
    """A length of time as people say it: minutes, hours, or days."""
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    if hours < 72:
        rounded = round(hours)
        return ngettext("%(n)d h", "%(n)d h", rounded) % {"n": rounded}
    days = round(hours / 24, 1)
    return _("%(n)s days") % {"n": f"{days:g}"}


# --- stages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageKey:
    kind: str  # DRAFT, STEP or PUBLISH
    position: int = 0  # the step's position, for STEP
    role: str = ""  # the step's role, for STEP

    @property
    def label(self) -> str:
        if self.kind == DRAFT:
            return _("Drafting")
        if self.kind == PUBLISH:
            return _("Approved to published")
        return _("Approval step %(position)d: %(role)s") % {
            "position": self.position,
            "role": _role_label(self.role),
        }

    @property
    def phrase(self) -> str:
        """The stage as the subject of the sentence at the top."""
        if self.kind == DRAFT:
            return _("Drafting")
        if self.kind == PUBLISH:
            return _("Going from approved to published")
        return _("Approval by %(role)s") % {"role": _role_label(self.role).lower()}

    @property
    def order(self) -> tuple[int, int]:
        return ({DRAFT: 0, STEP: 1, PUBLISH: 2}[self.kind], self.position)


def _role_label(role: str | None) -> str:
    if role in Role.values:
        return str(Role(role).label)
    return _("Former member")


class Stage(NamedTuple):
    """One stage one post went through (a tuple: a year of history makes many)."""

    key: StageKey
    post_id: int
    actor_id: int | None  # who ended it: the submitter, the approver; None for the engine
    started_at: datetime
    ended_at: datetime
    seconds: float


_DRAFT_KEY = StageKey(DRAFT)
_PUBLISH_KEY = StageKey(PUBLISH)


@functools.cache
def _step_key(position: str | int | None, role: str | None) -> StageKey:
    return StageKey(STEP, int(position or 0), role or "")


class Event(NamedTuple):
    """One workflow event, as read: a tuple (tens of thousands are read at once)."""

    post_id: int
    action: str
    at: datetime
    actor_id: int | None
    step: str | int | None = None  # the decided step's position (text, as read)
    step_role: str | None = None
    to_state: str | None = None  # the post's state after the event


def stages_of(events: Iterable[Event]) -> list[Stage]:
    """The stages the events end (events in order of post, then time)."""
    stages: list[Stage] = []
    open_: dict[int, tuple[str, datetime]] = {}  # post -> (kind, since)

    def close(event: Event, kind: str, key: StageKey) -> None:
        found = open_.pop(event.post_id, None)
        if found is not None and found[0] == kind:
            seconds = max(0.0, (event.at - found[1]).total_seconds())
            stages.append(Stage(key, event.post_id, event.actor_id, found[1], event.at, seconds))

    for event in events:
        action, post_id = event.action, event.post_id
        if action == "post.create":
            open_[post_id] = (DRAFT, event.at)
        elif action == "post.submit":
            close(event, DRAFT, _DRAFT_KEY)
            open_[post_id] = (STEP, event.at)
        elif action in ("post.approve", "post.request_changes", "post.reject"):
            close(event, STEP, _step_key(event.step, event.step_role))
            if action == "post.request_changes":
                open_[post_id] = (DRAFT, event.at)
            elif action == "post.approve":
                approved = event.to_state == State.APPROVED
                open_[post_id] = (PUBLISH if approved else STEP, event.at)
        elif action == "post.mark_published":
            close(event, PUBLISH, _PUBLISH_KEY)
        elif action == "post.withdraw":
            open_[post_id] = (DRAFT, event.at)
        elif action == "post.edit" and event.to_state == State.IN_REVIEW:
            # An edit of approved content sends it back to the chain's first step; an
            # edit during review leaves the wait running.
            if open_.get(post_id, ("",))[0] != STEP:
                open_[post_id] = (STEP, event.at)
        elif action == "post.cancel":
            open_.pop(post_id, None)
    return stages


def _events(workspace: Workspace, since: datetime) -> list[Event]:
    """The workflow events of every post that had one since ``since``: one query.

    Earlier events of those posts are needed too (a stage that ended in the period may
    have begun before it)."""
    recent = AuditEvent.objects.filter(
        workspace=workspace, created_at__gte=since, action__in=_ACTIONS, post__isnull=False
    ).values("post_id")
    rows = (
        AuditEvent.objects.filter(workspace=workspace, action__in=_ACTIONS, post_id__in=recent)
        .order_by("post_id", "created_at", "pk")
        # As text: no JSON to decode for each of many rows.
        .annotate(step=KT("data__step"), step_role=KT("data__step_role"), to=KT("data__state__1"))
        .values_list("post_id", "action", "created_at", "actor_id", "step", "step_role", "to")
    )
    return list(map(Event._make, rows))


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    stage: StageKey
    who: str  # a role or a person; "" on the stage rows
    figures: Figures


@dataclass(frozen=True)
class Overdue:
    post: Post
    step: chain_progress.StepSpec
    since: datetime
    waited_hours: float

    @property
    def role_label(self) -> str:
        return _role_label(self.step.role)


@dataclass(frozen=True)
class ChannelTrouble:
    channel_id: int
    name: str
    kind: str
    deliveries: int  # publications due in the period
    failed: int
    missed: int  # deliveries of posts that missed their slot
    attention: int  # waiting for a person now (held, unknown outcome, post needs attention)

    @property
    def rate(self) -> float:
        return (self.failed + self.missed) / self.deliveries if self.deliveries else 0.0


@dataclass
class Report:
    days: int
    since: datetime
    now: datetime
    reminder_hours: int
    stages: list[Row] = field(default_factory=list)
    by_role: list[Row] = field(default_factory=list)
    by_person: list[Row] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    rework: list[tuple[str, int]] = field(default_factory=list)  # (changes requested, posts)
    rework_top: list[tuple[Post, int]] = field(default_factory=list)
    submitted: int = 0  # posts submitted in the period
    channels: list[ChannelTrouble] = field(default_factory=list)
    sentence: str = ""

    @property
    def measured(self) -> int:
        return sum(row.figures.count for row in self.stages)

    @property
    def enough(self) -> bool:
        return self.measured >= MIN_STAGES


def period_days(value: str | None) -> int:
    """The period asked for (days), one of PERIODS, else the default."""
    try:
        days = int(value or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def report(workspace: Workspace, days: int = DEFAULT_PERIOD, now: datetime | None = None) -> Report:
    """Everything the weak-link page shows, in a fixed number of queries."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    found = Report(days, since, now, workspace.approval_reminder_hours)
    events = _events(workspace, since)
    stages = stages_of(events)
    stages = [s for s in stages if since <= s.ended_at <= now and s.seconds >= MIN_STAGE_SECONDS]
    people = _people(workspace, {s.actor_id for s in stages if s.actor_id is not None})
    acted = [s for s in stages if s.actor_id is not None]
    found.stages = _rows(stages, lambda s: None, lambda group: "")
    found.by_role = _rows(
        acted, lambda s: people.get(s.actor_id, ("", ""))[1], lambda role: _role_label(role)
    )
    found.by_person = _rows(
        acted,
        lambda s: s.actor_id,
        lambda actor_id: people.get(actor_id, (_("Former member"), ""))[0],
    )
    found.sentence = sentence(found.stages) if found.enough else ""
    _rework(found, events, since, now)
    found.overdue = overdue_now(workspace, now)
    found.channels = troubles(workspace, since, now)
    return found


def _people(workspace: Workspace, ids: set[int]) -> dict[int, tuple[str, str]]:
    """user id -> (name, role in the workspace): one query."""
    roles = dict(
        Membership.objects.filter(workspace=workspace, user_id__in=ids).values_list(
            "user_id", "role"
        )
    )
    return {
        user.pk: (user.display_name, roles.get(user.pk, ""))
        for user in User.objects.filter(pk__in=ids).only("pk", "full_name", "email")
    }


def _rows(
    stages: list[Stage], group: Callable[[Stage], Hashable], name: Callable[[Any], str]
) -> list[Row]:
    """Figures per stage and ``group`` (a role, a person...), named once per group."""
    grouped: dict[tuple[StageKey, Hashable], list[float]] = defaultdict(list)
    for stage in stages:
        grouped[(stage.key, group(stage))].append(stage.seconds)
    rows = [Row(key, name(who), Figures.of(seconds)) for (key, who), seconds in grouped.items()]
    return sorted(
        rows, key=lambda row: (row.stage.order, row.stage.role, -row.figures.median_hours, row.who)
    )


def sentence(stages: Sequence[Row]) -> str:
    """The slowest stage, named: its median, and how many times the next slowest's."""
    ranked = sorted(stages, key=lambda row: row.figures.median_hours, reverse=True)
    if not ranked:
        return ""
    slowest = ranked[0]
    values = {
        "stage": slowest.stage.phrase,
        "median": duration(slowest.figures.median_hours),
    }
    if len(ranked) == 1:
        return (
            _(
                "%(stage)s takes a median of %(median)s; it is the only stage measured in this "
                "period."
            )
            % values
        )
    next_median = ranked[1].figures.median_hours
    if next_median <= 0:
        return _("%(stage)s is the slowest stage, with a median of %(median)s.") % values
    ratio = slowest.figures.median_hours / next_median
    values["ratio"] = f"{round(ratio)}" if ratio >= 2 else f"{ratio:.1f}"
    return _("%(stage)s takes a median of %(median)s, %(ratio)sx the next slowest stage.") % values


def _rework(found: Report, events: list[Event], since: datetime, now: datetime) -> None:
    """Requests for changes per post submitted in the period: how many posts had 0, 1,
    2, 3 or more, and the posts sent back most."""
    submitted: set[int] = set()
    requests: Counter[int] = Counter()
    for event in events:
        if not since <= event.at <= now:
            continue
        if event.action == "post.submit":
            submitted.add(event.post_id)
        elif event.action == "post.request_changes":
            requests[event.post_id] += 1
            submitted.add(event.post_id)
    found.submitted = len(submitted)
    buckets: Counter[str] = Counter(str(min(requests[post_id], 3)) for post_id in submitted)
    found.rework = [
        (label, buckets[key]) for key, label in (("0", "0"), ("1", "1"), ("2", "2"), ("3", "3+"))
    ]
    top = [(post_id, n) for post_id, n in requests.most_common(TOP_REWORK)]
    posts = Post.objects.in_bulk([post_id for post_id, _n in top])
    found.rework_top = [(posts[post_id], n) for post_id, n in top if post_id in posts]


def overdue_now(workspace: Workspace, now: datetime | None = None) -> list[Overdue]:
    """Posts whose current approval step has waited longer than the workspace's reminder
    limit, longest first: the clock of the reminders (``approvals.Review.waiting_since``),
    in a fixed number of queries."""
    now = now or timezone.now()
    limit = timedelta(hours=workspace.approval_reminder_hours)
    # A step cannot wait longer than its post has been in review: a cheap first cut.
    posts = list(
        Post.objects.filter(
            workspace=workspace, state=State.IN_REVIEW, state_changed_at__lte=now - limit
        ).select_related("campaign")
    )
    for post in posts:
        post.workspace = workspace
    rows = []
    for review in chain_progress.reviews(posts).values():
        if review.step is None:
            continue
        waited = now - review.waiting_since
        if waited >= limit:
            rows.append(
                Overdue(
                    review.post, review.step, review.waiting_since, waited.total_seconds() / 3600
                )
            )
    return sorted(rows, key=lambda row: (-row.waited_hours, row.post.pk))


def troubles(workspace: Workspace, since: datetime, now: datetime) -> list[ChannelTrouble]:
    """Per channel, deliveries due in the period that failed, that missed their slot
    (their post missed it, and they went out late or not at all), and that wait for a
    person now: one query."""
    P = PublicationState
    missed_posts = AuditEvent.objects.filter(
        workspace=workspace, action="post.miss_slot", created_at__gte=since
    ).values("post_id")
    # Missed: not delivered, or delivered after the late cut-off (a person sent it on).
    cutoff = timedelta(minutes=workspace.late_cutoff_minutes)
    late = Q(published_at__isnull=True) | Q(published_at__gt=F("due_at") + cutoff)
    rows = (
        Publication.objects.filter(post__workspace=workspace, due_at__gte=since, due_at__lte=now)
        .exclude(state=P.CANCELLED, post__state=State.CANCELLED)
        .values("channel_id", "channel__name", "channel__kind")
        .annotate(
            deliveries=Count("pk"),
            failed=Count("pk", filter=Q(state=P.FAILED)),
            missed=Count("pk", filter=Q(post_id__in=missed_posts) & late),
            attention=Count(
                "pk",
                filter=Q(state__in=[P.HELD, P.UNKNOWN])
                | Q(post__state=State.NEEDS_ATTENTION) & ~Q(state=P.PUBLISHED),
            ),
        )
        .order_by("channel__name", "channel_id")
    )
    found = [
        ChannelTrouble(
            row["channel_id"],
            row["channel__name"],
            row["channel__kind"],
            row["deliveries"],
            row["failed"],
            row["missed"],
            row["attention"],
        )
        for row in rows
    ]
    return sorted(found, key=lambda row: (-(row.failed + row.missed), -row.attention, row.name))
