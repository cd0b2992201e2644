"""Months of past activity written in bulk: for the demo (``seed_demo``) and the reports
benchmark (``bench/reports.py``), never for real workspaces.

What happened is written as it would have been: published posts with their versions,
variants, approval decisions and deliveries, the audit events of every step at the time
it happened (drafting a few hours, marketing's approval the slowest wait, a few requests
for changes, a few missed slots and failures), the metrics read after each publication
(rounds at about 1 h, 6 h, 24 h and 7 days, and the latest values) and each channel's
follower count per day.

The services stamp every row with the current time and refuse times in the past, so
this writes rows directly, with the times they carry (``insert_as_given``): an
``auto_now_add`` field keeps the value given here. Audit events are append-only; these
are new ones, written once, at the time they describe.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import models

from accounts.models import User, Workspace
from planner.models import (
    ApprovalDecision,
    AuditEvent,
    Channel,
    Decision,
    FollowerSnapshot,
    MetricSnapshot,
    Post,
    PostVersion,
    Publication,
    PublicationMetric,
    PublicationState,
    Variant,
)
from planner.workflow import State

BATCH = 500
ROUNDS = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24), timedelta(days=7))
METRICS = ("likes", "reposts", "replies", "views")
# How far each round's value has got of the final one.
ROUND_SHARE = (0.35, 0.7, 0.9, 1.0)

TOPICS = (
    ("Repair of the week", "A strap torn on a via ferrata, fixed in twenty minutes at the bench."),
    ("Trail notes", "Three days on the GR20 with a 28-litre bag: what we packed, what we left."),
    ("Behind the seams", "How a zip is chosen: 4,000 cycles in the test rig before it ships."),
    ("Community photo", "Your bags, your trails: this week's favourite, from the Vercors."),
    ("Care tip", "Wash the shell cold, dry it flat, never iron the coating."),
    ("Workshop", "Repair café this Saturday: bring any bag, any brand."),
    ("From the archive", "Our first prototype, 2014: canvas, leather, and far too many pockets."),
)


def insert_as_given(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert rows as built, their ``auto_now``/``auto_now_add`` times included (the
    way fixtures are loaded), in batches. Primary keys are not returned."""
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
    for start in range(0, len(rows), BATCH):
        model._base_manager._insert(rows[start : start + BATCH], fields=fields, raw=True)


@dataclass
class Written:
    posts: int = 0
    publications: int = 0
    events: int = 0
    snapshots: int = 0
    followers: int = 0
    states: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Cast:
    """Who does what in the history: writers draft, approvers decide the one step."""

    writers: Sequence[User]
    approvers: Sequence[User]  # the first one is the slow one
    planner: User  # sends a missed post on by hand


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


@dataclass
class _Plan:
    slot: datetime
    writer: User
    approver: User
    title: str
    body: str
    channels: list[Channel]
    created: datetime
    outcome: str  # sent, missed, failed
    events: list[tuple[datetime, User | None, str, dict]] = field(default_factory=list)
    decisions: list[tuple[datetime, str, str, int]] = field(default_factory=list)
    edited: datetime | None = None  # when a second version was written (after changes)

    @property
    def version(self) -> int:
        return 2 if self.edited else 1

    @property
    def state(self) -> str:
        return State.FAILED if self.outcome == "failed" else State.PUBLISHED


def _plan(
    n: int, slot: datetime, workspace: Workspace, cast: Cast, channels, rng: random.Random
) -> _Plan:
    """One post's road, worked back from its slot: approved a few hours before it, after
    a wait on marketing (long for the first approver), after a few hours of drafting;
    sometimes sent back once; rarely late or failed."""
    writer = cast.writers[n % len(cast.writers)]
    slow = rng.random() < 0.7
    approver = cast.approvers[0] if slow else cast.approvers[-1]
    approved = slot - _hours(rng, 2, 8)
    submitted = approved - (_hours(rng, 20, 44) if slow else _hours(rng, 8, 20))
    roll = rng.random()
    rework = roll < 0.15
    if rework:
        resubmitted = submitted
        asked = resubmitted - _hours(rng, 3, 6)
        submitted = asked - _hours(rng, 10, 30)
    created = submitted - _hours(rng, 1, 6)
    title, body = TOPICS[n % len(TOPICS)]
    plan = _Plan(
        slot=slot,
        writer=writer,
        approver=approver,
        title=f"{title} #{n + 1}",
        body=body,
        channels=rng.sample(list(channels), k=min(len(channels), rng.choice((2, 2, 3)))),
        created=created,
        outcome="failed" if roll > 0.97 else "missed" if roll > 0.94 else "sent",
    )
    events = plan.events
    events.append((created, writer, "post.create", {"scheduled_at": slot}))
    events.append((submitted, writer, "post.submit", _moved(State.DRAFT, State.IN_REVIEW)))
    if rework:
        note = "Give the weight and the price, please."
        events.append((asked, approver, "post.request_changes", _decided(CHANGES, note)))
        plan.decisions.append((asked, Decision.REQUEST_CHANGES, note, 1))
        plan.edited = resubmitted - timedelta(minutes=10)
        events.append((plan.edited, writer, "post.edit", _moved(CHANGES, CHANGES, 2)))
        events.append((resubmitted, writer, "post.submit", _moved(CHANGES, State.IN_REVIEW, 2)))
    events.append(
        (approved, approver, "post.approve", _decided(State.APPROVED, version=plan.version))
    )
    plan.decisions.append((approved, Decision.APPROVE, "", plan.version))
    sent_at = slot + timedelta(seconds=30)
    if plan.outcome == "missed":
        late = slot + timedelta(minutes=workspace.late_cutoff_minutes)
        events.append((late, None, "post.miss_slot", _moved(State.APPROVED, ATTENTION)))
        sent_at = slot + _hours(rng, 1, 3)
        events.append((sent_at, cast.planner, "post.publish_now", _moved(ATTENTION, SENDING)))
    else:
        events.append((slot, None, "post.start_publishing", _moved(State.APPROVED, SENDING)))
    done = "post.mark_failed" if plan.outcome == "failed" else "post.mark_published"
    events.append((sent_at + timedelta(seconds=20), None, done, _moved(SENDING, plan.state)))
    return plan


CHANGES, ATTENTION, SENDING = State.CHANGES_REQUESTED, State.NEEDS_ATTENTION, State.PUBLISHING


def write_history(
    workspace: Workspace,
    cast: Cast,
    channels: Sequence[Channel],
    *,
    start: datetime,
    end: datetime,
    posts: int,
    seed: int = 8025,
    with_metrics: bool = True,
) -> Written:
    """``posts`` published posts spread between ``start`` and ``end`` on ``channels``
    (two or three each), with everything that happened around them."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    plans = []
    for n in range(posts):
        slot = start + timedelta(seconds=span * (n + rng.random()) / posts)
        slot = slot.replace(minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0)
        plans.append(_plan(n, slot, workspace, cast, channels, rng))
    post_rows = [
        Post(
            workspace=workspace,
            uid=uuid.uuid4(),
            title=plan.title,
            body=plan.body,
            scheduled_at=plan.slot,
            state=plan.state,
            author=plan.writer,
            assignee=plan.writer,
            version=plan.version,
            approved_version=plan.version,
            sequence=len(plan.events),
            state_changed_at=plan.events[-1][0],
            created_at=plan.created,
            updated_at=plan.events[-1][0],
        )
        for plan in plans
    ]
    insert_as_given(Post, post_rows)
    ids = dict(Post.objects.filter(uid__in=[row.uid for row in post_rows]).values_list("uid", "pk"))
    versions, variants, decisions, deliveries, audit = [], [], [], [], []
    for row, plan in zip(post_rows, plans, strict=True):
        post_id = ids[row.uid]
        versions += [
            PostVersion(
                post_id=post_id,
                number=number,
                title=row.title,
                body=row.body,
                variants={str(c.pk): "" for c in plan.channels},
                author=plan.writer,
                created_at=at,
            )
            for number, at in enumerate((plan.created, plan.edited), start=1)
            if at is not None
        ]
        variants += [Variant(post_id=post_id, channel=c, text="") for c in plan.channels]
        decisions += [
            ApprovalDecision(
                post_id=post_id,
                version=number,
                step_position=1,
                step_role="marketing",
                decided_by=plan.approver,
                decision=decision,
                comment=comment,
                created_at=at,
            )
            for at, decision, comment, number in plan.decisions
        ]
        sent_at = plan.events[-1][0] - timedelta(seconds=20)
        for k, channel in enumerate(plan.channels):
            failed = plan.outcome == "failed" and k == len(plan.channels) - 1
            external = str(113_500_000_000_000_000 + post_id * 100 + channel.pk)
            deliveries.append(
                Publication(
                    post_id=post_id,
                    channel=channel,
                    state=PublicationState.FAILED if failed else PublicationState.PUBLISHED,
                    due_at=plan.slot,
                    idempotency_key=uuid.uuid4(),
                    attempts=3 if failed else 1,
                    external_id="" if failed else external,
                    last_error="The network answered 503 three times: gave up." if failed else "",
                    published_at=None if failed else sent_at + timedelta(seconds=7 * k),
                    metrics_round=len(ROUNDS),
                    metrics_due_at=None,
                    created_at=plan.created,
                    updated_at=sent_at,
                )
            )
        audit += [
            AuditEvent(
                workspace=workspace,
                actor=actor,
                action=action,
                post_id=post_id,
                target=row.title,
                data=data,
                created_at=at,
            )
            for at, actor, action, data in plan.events
        ]
    for model, rows in (
        (PostVersion, versions),
        (Variant, variants),
        (ApprovalDecision, decisions),
        (Publication, deliveries),
        (AuditEvent, audit),
    ):
        insert_as_given(model, rows)
    written = Written(posts=len(post_rows), publications=len(deliveries), events=len(audit))
    for row in post_rows:
        written.states[row.state] = written.states.get(row.state, 0) + 1
    if with_metrics:
        keys = [d.idempotency_key for d in deliveries if d.state == PublicationState.PUBLISHED]
        published = list(
            Publication.objects.filter(idempotency_key__in=keys).only("pk", "published_at")
        )
        written.snapshots = write_metrics(published, end=end, seed=seed)
    return written


def _moved(was: str, now: str, version: int = 1) -> dict:
    return {"version": version, "state": [was, now]}


def _decided(now: str, comment: str = "", version: int = 1) -> dict:
    return {
        "version": version,
        "step": 1,
        "step_role": "marketing",
        "state": [State.IN_REVIEW, now],
        "comment": comment,
    }


def write_metrics(publications: Sequence[Publication], *, end: datetime, seed: int = 8025) -> int:
    """Metric rounds (1 h, 6 h, 24 h, 7 days after publication, those before ``end``) and
    the latest value of each metric, for deliveries already out. Returns the number of
    snapshots written."""
    rng = random.Random(seed + 1)
    snapshots, latest = [], []
    for publication in publications:
        views = int(rng.lognormvariate(7.2, 0.8))  # a few hundred to a few thousand
        final = {
            "views": views,
            "likes": int(views * rng.uniform(0.02, 0.08)),
            "reposts": int(views * rng.uniform(0.003, 0.015)),
            "replies": int(views * rng.uniform(0.001, 0.01)),
        }
        last: datetime | None = None
        for delay, share in zip(ROUNDS, ROUND_SHARE, strict=True):
            taken = publication.published_at + delay
            if taken > end:
                break
            last = taken
            values = {name: int(final[name] * share) for name in METRICS}
            snapshots += [
                MetricSnapshot(
                    publication_id=publication.pk, name=name, value=value, taken_at=taken
                )
                for name, value in values.items()
            ]
        if last is not None:
            latest += [
                PublicationMetric(
                    publication_id=publication.pk, name=name, value=value, taken_at=last
                )
                for name, value in values.items()
            ]
    MetricSnapshot.objects.bulk_create(snapshots, batch_size=BATCH)
    PublicationMetric.objects.bulk_create(latest, batch_size=BATCH)
    return len(snapshots)


def write_followers(
    channels: Sequence[Channel], *, start: datetime, end: datetime, seed: int = 8025
) -> int:
    """One follower count per channel per day from ``start`` to ``end``, growing."""
    rng = random.Random(seed + 2)
    start = start.astimezone(UTC)  # a day is 24 hours here, summer time or not
    rows = []
    days = max(1, (end - start).days)
    for channel in channels:
        count = rng.randint(800, 4_000)
        for day in range(days + 1):
            count += rng.randint(-2, 12)
            rows.append(
                FollowerSnapshot(channel=channel, count=count, taken_at=start + timedelta(days=day))
            )
    FollowerSnapshot.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
