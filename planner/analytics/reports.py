"""Reports: how objectives progress, what campaigns publish and what it earns.

The rules (which figure a KPI is, how its pace is judged) live here with the reads that
feed them, so the dashboard, the campaign report, their CSV and the benchmark agree. Every
read is a fixed number of queries however many objectives, campaigns, posts or metrics
there are: figures are aggregated by the database, grouped, never fetched row by row.

Reports read ``PublicationMetric`` (the latest value of each metric of each delivery),
never the snapshot series."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from planner.models import Campaign, Channel, FollowerSnapshot, Objective, Post, Publication
from planner.models.campaigns import Cadence, Kpi
from planner.models.metrics import PublicationMetric
from planner.models.posts import Variant
from planner.models.publications import PublicationState
from planner.workflow import State

ENGAGEMENT_METRICS: tuple[str, ...] = ("likes", "reposts", "replies")
VIEWS_METRIC = "views"
PERFORMANCE_METRICS: tuple[str, ...] = (*ENGAGEMENT_METRICS, VIEWS_METRIC)

# The pace of an objective still running: what it achieved over what it should have
# achieved by now (the target prorated by the elapsed share of the period).
ON_TRACK_RATIO = 1.0
AT_RISK_RATIO = 0.8

# Top posts and failing channels look back this far.
TOP_POSTS_DAYS = 30
TOP_POSTS_LIMIT = 10
FAILING_DAYS = 7
# Finished objectives stay on the dashboard this long after their period.
OBJECTIVES_SHOWN_AFTER_END_DAYS = 30

# Deliveries that did not go out and wait for a person.
FAILED_STATES: tuple[str, ...] = (
    PublicationState.FAILED,
    PublicationState.UNKNOWN,
    PublicationState.HELD,
)
NOT_PLANNED_STATES: tuple[str, ...] = (State.CANCELLED, State.RETRACTED)


class Pace:
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    MET = "met"
    MISSED = "missed"

    LABELS = {
        NOT_STARTED: _("Not started"),
        ON_TRACK: _("On track"),
        AT_RISK: _("At risk"),
        BEHIND: _("Behind"),
        MET: _("Met"),
        MISSED: _("Missed"),
    }
    # Bootstrap contextual colours, always shown with the label (never colour alone).
    COLOURS = {
        NOT_STARTED: "secondary",
        ON_TRACK: "success",
        AT_RISK: "warning",
        BEHIND: "danger",
        MET: "success",
        MISSED: "danger",
    }


def zone_of(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.time_zone)


def local_day_bounds(
    start: dt.date, end: dt.date, zone: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """From the first instant of ``start`` to the first instant after ``end``, local time."""
    return (
        dt.datetime.combine(start, dt.time(0), tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
    )


def pace_of(
    *, achieved: int, target: int, period_start: dt.date, period_end: dt.date, today: dt.date
) -> tuple[str, float]:
    """The pace label and the expected share of the target by ``today`` (0..1).

    Days are counted inclusively: on the first day of a ten-day period one tenth is
    expected; after the last day the whole target, and the label is met or missed."""
    total_days = (period_end - period_start).days + 1
    if today < period_start:
        return Pace.NOT_STARTED, 0.0
    if today > period_end:
        return (Pace.MET if achieved >= target else Pace.MISSED), 1.0
    elapsed_share = ((today - period_start).days + 1) / total_days
    expected = target * elapsed_share
    if expected <= 0 or achieved >= expected * ON_TRACK_RATIO:
        return Pace.ON_TRACK, elapsed_share
    if achieved >= expected * AT_RISK_RATIO:
        return Pace.AT_RISK, elapsed_share
    return Pace.BEHIND, elapsed_share


@dataclass(frozen=True)
class ObjectiveProgress:
    objective: Objective
    actual: int  # the KPI measured over the period on the linked campaigns
    achieved: int  # actual - baseline: what counts against the target
    expected: float  # the target prorated by the elapsed share of the period
    pace: str

    @property
    def target(self) -> int:
        return self.objective.target

    @property
    def percent(self) -> int:
        """Achieved as a percentage of the target, for the bar (capped at 100)."""
        if self.target <= 0:
            return 100
        return max(0, min(100, round(100 * self.achieved / self.target)))

    @property
    def expected_percent(self) -> int:
        if self.target <= 0:
            return 100
        return max(0, min(100, round(100 * self.expected / self.target)))

    @property
    def pace_label(self) -> str:
        return str(Pace.LABELS[self.pace])

    @property
    def pace_colour(self) -> str:
        return Pace.COLOURS[self.pace]


def _period_filter(objectives: list[Objective], zone: dt.tzinfo, *, prefix: str) -> Q:
    """Rows of each objective's campaigns published within that objective's period."""
    clauses = []
    for objective in objectives:
        start, end = local_day_bounds(objective.period_start, objective.period_end, zone)
        clauses.append(
            Q(
                **{
                    f"{prefix}post__campaign__objective_id": objective.pk,
                    f"{prefix}published_at__gte": start,
                    f"{prefix}published_at__lt": end,
                    f"{prefix}state": PublicationState.PUBLISHED,
                }
            )
        )
    return reduce(or_, clauses)


def _posts_published(objectives: list[Objective], zone: dt.tzinfo) -> dict[int, int]:
    """Distinct posts with at least one delivery published in the period (a post sent
    to three channels is one post published)."""
    rows = (
        Publication.objects.filter(_period_filter(objectives, zone, prefix=""))
        .values("post__campaign__objective_id")
        .annotate(n=Count("post_id", distinct=True))
        .values_list("post__campaign__objective_id", "n")
    )
    return dict(rows)


def _metric_sums(
    objectives: list[Objective], zone: dt.tzinfo, names: tuple[str, ...]
) -> dict[int, int]:
    rows = (
        PublicationMetric.objects.filter(name__in=names)
        .filter(_period_filter(objectives, zone, prefix="publication__"))
        .values("publication__post__campaign__objective_id")
        .annotate(total=Sum("value"))
        .values_list("publication__post__campaign__objective_id", "total")
    )
    return {pk: int(total or 0) for pk, total in rows}


def _followers_gained(objectives: list[Objective], zone: dt.tzinfo) -> dict[int, int]:
    """Per objective: on each channel of its campaigns, the last follower count of the
    period minus the first, summed over the channels (a channel with fewer than two
    counts in the period gained nothing measurable)."""
    through = Campaign.channels.through
    channels_of: dict[int, set[int]] = defaultdict(set)
    for objective_id, channel_id in through.objects.filter(
        campaign__objective__in=objectives
    ).values_list("campaign__objective_id", "channel_id"):
        channels_of[objective_id].add(channel_id)
    all_channels = set().union(*channels_of.values()) if channels_of else set()
    if not all_channels:
        return {}
    earliest = min(o.period_start for o in objectives)
    latest = max(o.period_end for o in objectives)
    start, end = local_day_bounds(earliest, latest, zone)
    series: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for channel_id, taken_at, count in (
        FollowerSnapshot.objects.filter(
            channel_id__in=all_channels, taken_at__gte=start, taken_at__lt=end
        )
        .order_by("channel_id", "taken_at")
        .values_list("channel_id", "taken_at", "count")
    ):
        series[channel_id].append((taken_at, count))
    gained: dict[int, int] = {}
    for objective in objectives:
        o_start, o_end = local_day_bounds(objective.period_start, objective.period_end, zone)
        total = 0
        for channel_id in channels_of.get(objective.pk, ()):
            counts = [c for at, c in series.get(channel_id, ()) if o_start <= at < o_end]
            if len(counts) >= 2:
                total += counts[-1] - counts[0]
        gained[objective.pk] = total
    return gained


def objectives_progress(
    objectives: list[Objective], *, zone: dt.tzinfo, today: dt.date | None = None
) -> list[ObjectiveProgress]:
    """Progress and pace of each objective, from the campaigns linked to it.

    KPIs: posts_published = distinct posts with a delivery published in the period;
    engagement = likes + reposts + replies and reach = views, summed over the latest
    metrics of the deliveries published in the period; followers_gained = last minus
    first follower count in the period on the channels of the linked campaigns.
    At most five queries whatever the number of objectives."""
    objectives = list(objectives)
    if not objectives:
        return []
    today = today or timezone.localdate(timezone=zone)
    by_kpi: dict[str, list[Objective]] = defaultdict(list)
    for objective in objectives:
        by_kpi[objective.kpi].append(objective)
    actual: dict[int, int] = {}
    if by_kpi[Kpi.POSTS_PUBLISHED]:
        actual |= _posts_published(by_kpi[Kpi.POSTS_PUBLISHED], zone)
    if by_kpi[Kpi.ENGAGEMENT]:
        actual |= _metric_sums(by_kpi[Kpi.ENGAGEMENT], zone, ENGAGEMENT_METRICS)
    if by_kpi[Kpi.REACH]:
        actual |= _metric_sums(by_kpi[Kpi.REACH], zone, (VIEWS_METRIC,))
    if by_kpi[Kpi.FOLLOWERS_GAINED]:
        actual |= _followers_gained(by_kpi[Kpi.FOLLOWERS_GAINED], zone)
    result = []
    for objective in objectives:
        value = actual.get(objective.pk, 0)
        achieved = value - objective.baseline
        pace, share = pace_of(
            achieved=achieved,
            target=objective.target,
            period_start=objective.period_start,
            period_end=objective.period_end,
            today=today,
        )
        result.append(ObjectiveProgress(objective, value, achieved, objective.target * share, pace))
    return result


def dashboard_objectives(
    workspace: Workspace, *, today: dt.date | None = None
) -> list[ObjectiveProgress]:
    """The workspace's objectives that run now, start later or ended in the last month."""
    zone = zone_of(workspace)
    today = today or timezone.localdate(timezone=zone)
    objectives = Objective.objects.filter(
        workspace=workspace,
        period_end__gte=today - dt.timedelta(days=OBJECTIVES_SHOWN_AFTER_END_DAYS),
    ).order_by("period_end", "title")
    return objectives_progress(list(objectives), zone=zone, today=today)


@dataclass(frozen=True)
class CampaignPlan:
    campaign: Campaign
    planned: int  # posts in the campaign, cancelled and retracted ones aside
    published: int  # posts with at least one delivery published

    @property
    def percent(self) -> int:
        return round(100 * self.published / self.planned) if self.planned else 0


def published_versus_planned(
    workspace: Workspace, *, today: dt.date | None = None
) -> list[CampaignPlan]:
    """Current campaigns (running today), each with its planned and published posts: one
    query."""
    today = today or timezone.localdate(timezone=zone_of(workspace))
    campaigns = (
        Campaign.objects.filter(workspace=workspace, starts_on__lte=today, ends_on__gte=today)
        .annotate(
            n_planned=Count("posts", filter=~Q(posts__state__in=NOT_PLANNED_STATES), distinct=True),
            n_published=Count(
                "posts",
                filter=Q(posts__publications__state=PublicationState.PUBLISHED),
                distinct=True,
            ),
        )
        .order_by("ends_on", "name")
    )
    return [CampaignPlan(c, c.n_planned, c.n_published) for c in campaigns]


def _metric_sum(name: str, prefix: str) -> Coalesce:
    return Coalesce(
        Sum(f"{prefix}value", filter=Q(**{f"{prefix}name": name})),
        0,
    )


@dataclass(frozen=True)
class PostPerformance:
    post: Post
    likes: int
    reposts: int
    replies: int
    views: int

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


def top_posts(
    workspace: Workspace,
    *,
    now: dt.datetime | None = None,
    days: int = TOP_POSTS_DAYS,
    limit: int = TOP_POSTS_LIMIT,
) -> list[PostPerformance]:
    """Posts published in the last ``days`` days, most engaging first (then most
    viewed, then newest), summed over their deliveries: one query."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    prefix = "publications__metrics__"
    posts = (
        Post.objects.filter(
            workspace=workspace,
            publications__state=PublicationState.PUBLISHED,
            publications__published_at__gte=since,
        )
        .select_related("campaign")
        .annotate(**{name: _metric_sum(name, prefix) for name in PERFORMANCE_METRICS})
        .annotate(engagement=sum((F(name) for name in ENGAGEMENT_METRICS[1:]), F("likes")))
        .order_by("-engagement", "-views", "-scheduled_at", "-pk")[:limit]
    )
    return [
        PostPerformance(p, p.likes, p.reposts, p.replies, p.views)  # type: ignore[attr-defined]
        for p in posts
    ]


@dataclass(frozen=True)
class ChannelTrouble:
    channel: Channel
    failed: int  # deliveries failed, of unknown outcome or held, due in the window
    last_error: str


def failing_channels(
    workspace: Workspace, *, now: dt.datetime | None = None, days: int = FAILING_DAYS
) -> list[ChannelTrouble]:
    """Channels whose deliveries due in the last ``days`` days failed or wait for a
    person (with the latest error), and channels whose metrics cannot be read: three
    queries."""
    now = now or timezone.now()
    failed = {
        row["channel_id"]: row
        for row in Publication.objects.filter(
            channel__workspace=workspace,
            state__in=FAILED_STATES,
            due_at__gte=now - dt.timedelta(days=days),
            due_at__lte=now,
        )
        .values("channel_id")
        .annotate(n=Count("id"))
    }
    channels = Channel.objects.filter(workspace=workspace).filter(
        Q(pk__in=failed.keys()) | ~Q(metrics_error="")
    )
    # The latest error per channel (kept in Python: DISTINCT ON is PostgreSQL's only,
    # and a week of failed deliveries is a handful of rows).
    last_errors: dict[int, str] = {}
    for channel_id, error in (
        Publication.objects.filter(
            channel_id__in=failed.keys(),
            state__in=FAILED_STATES,
            due_at__gte=now - dt.timedelta(days=days),
            due_at__lte=now,
        )
        .order_by("channel_id", "-due_at")
        .values_list("channel_id", "last_error")
    ):
        last_errors.setdefault(channel_id, error)
    result = [
        ChannelTrouble(c, failed.get(c.pk, {}).get("n", 0), last_errors.get(c.pk, ""))
        for c in channels
    ]
    return sorted(result, key=lambda t: (-t.failed, t.channel.name))


@dataclass
class CadenceWeek:
    week_start: dt.date
    target: int
    scheduled: int = 0
    published: int = 0
    future: bool = False  # not begun yet: nothing is late in it

    @property
    def met(self) -> bool:
        return self.published >= self.target


@dataclass
class ChannelCadence:
    channel: Channel
    posts_per_week: int
    weeks: list[CadenceWeek] = field(default_factory=list)


def campaign_weeks(campaign: Campaign) -> list[dt.date]:
    """The Mondays of the weeks the campaign touches."""
    first = campaign.starts_on - dt.timedelta(days=campaign.starts_on.weekday())
    weeks = []
    while first <= campaign.ends_on:
        weeks.append(first)
        first += dt.timedelta(days=7)
    return weeks


def _monday(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    day = moment.astimezone(zone).date()
    return day - dt.timedelta(days=day.weekday())


def campaign_cadence(
    campaign: Campaign, *, zone: dt.tzinfo, today: dt.date | None = None
) -> list[ChannelCadence]:
    """Per channel with a cadence and per week of the campaign (local weeks, Monday
    first): the cadence, the posts scheduled and the deliveries published. Three
    queries."""
    today = today or timezone.localdate(timezone=zone)
    weeks = campaign_weeks(campaign)
    lines = {
        c.channel_id: ChannelCadence(
            c.channel,
            c.posts_per_week,
            [CadenceWeek(w, c.posts_per_week, future=w > today) for w in weeks],
        )
        for c in Cadence.objects.filter(campaign=campaign)
        .select_related("channel")
        .order_by("channel__name")
    }
    index = {w: i for i, w in enumerate(weeks)}
    for channel_id, at in (
        Variant.objects.filter(
            post__campaign=campaign, channel_id__in=lines.keys(), post__scheduled_at__isnull=False
        )
        .exclude(post__state__in=NOT_PLANNED_STATES)
        .values_list("channel_id", "post__scheduled_at")
    ):
        i = index.get(_monday(at, zone))
        if i is not None:
            lines[channel_id].weeks[i].scheduled += 1
    for channel_id, at in Publication.objects.filter(
        post__campaign=campaign, channel_id__in=lines.keys(), state=PublicationState.PUBLISHED
    ).values_list("channel_id", "published_at"):
        i = index.get(_monday(at, zone))
        if i is not None:
            lines[channel_id].weeks[i].published += 1
    return list(lines.values())


@dataclass(frozen=True)
class ChannelPerformance:
    channel: Channel
    published: int
    likes: int
    reposts: int
    replies: int
    views: int

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


def campaign_channel_performance(campaign: Campaign) -> list[ChannelPerformance]:
    """Sums of the latest metrics per channel of the campaign's published deliveries:
    one query."""
    prefix = "publications__metrics__"
    channels = (
        Channel.objects.filter(
            publications__post__campaign=campaign,
            publications__state=PublicationState.PUBLISHED,
        )
        .annotate(
            n_published=Count("publications", distinct=True),
            **{name: _metric_sum(name, prefix) for name in PERFORMANCE_METRICS},
        )
        .order_by("name")
    )
    return [
        ChannelPerformance(c, c.n_published, c.likes, c.reposts, c.replies, c.views)  # type: ignore[attr-defined]
        for c in channels
    ]


@dataclass(frozen=True)
class DeliveryPerformance:
    publication: Publication
    likes: int
    reposts: int
    replies: int
    views: int

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


def campaign_post_performance(campaign: Campaign) -> list[DeliveryPerformance]:
    """Each published delivery of the campaign with its latest metrics, newest first:
    one query."""
    prefix = "metrics__"
    publications = (
        Publication.objects.filter(post__campaign=campaign, state=PublicationState.PUBLISHED)
        .select_related("post", "channel")
        .annotate(**{name: _metric_sum(name, prefix) for name in PERFORMANCE_METRICS})
        .order_by("-published_at", "-pk")
    )
    return [
        DeliveryPerformance(p, p.likes, p.reposts, p.replies, p.views)  # type: ignore[attr-defined]
        for p in publications
    ]
