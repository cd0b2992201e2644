"""Reports: the executive dashboard and each campaign's report, as pages with charts
beside their data tables, and as CSV (``?format=csv&table=<name>``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from accounts.selectors import membership_or_404
from planner.analytics import best_times, reports
from planner.analytics.csv_export import csv_response
from planner.models import Campaign

Table = tuple[list[str], list[list[object]]]


def weekday_name(iso_weekday: int) -> str:
    return str(WEEKDAYS_ABBR[iso_weekday - 1])


def slot_label(moment: dt.datetime, zone: dt.tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{weekday_name(local.isoweekday())} {local:%H:%M}"


def _csv_or_404(request, tables: dict[str, Callable[[], Table]], stem: str) -> HttpResponse:
    name = request.GET.get("table", next(iter(tables)))
    if name not in tables:
        raise Http404
    header, rows = tables[name]()
    return csv_response(f"{stem}-{name}.csv", header, rows)


def _objectives_table(progress: list[reports.ObjectiveProgress]) -> Table:
    return (
        [
            _("Objective"),
            _("KPI"),
            _("Period start"),
            _("Period end"),
            _("Baseline"),
            _("Actual"),
            _("Achieved"),
            _("Target"),
            _("Expected by now"),
            _("Pace"),
        ],
        [
            [
                p.objective.title,
                p.objective.get_kpi_display(),
                p.objective.period_start.isoformat(),
                p.objective.period_end.isoformat(),
                p.objective.baseline,
                p.actual,
                p.achieved,
                p.target,
                round(p.expected),
                p.pace_label,
            ]
            for p in progress
        ],
    )


def _campaigns_table(plans: list[reports.CampaignPlan]) -> Table:
    return (
        [_("Campaign"), _("Starts on"), _("Ends on"), _("Planned posts"), _("Published posts")],
        [
            [
                p.campaign.name,
                p.campaign.starts_on.isoformat(),
                p.campaign.ends_on.isoformat(),
                p.planned,
                p.published,
            ]
            for p in plans
        ],
    )


def _top_posts_table(posts: list[reports.PostPerformance]) -> Table:
    return (
        [
            _("Post"),
            _("Campaign"),
            _("Engagement"),
            _("Likes"),
            _("Reposts"),
            _("Replies"),
            _("Views"),
        ],
        [
            [
                str(p.post),
                p.post.campaign.name if p.post.campaign else "",
                p.engagement,
                p.likes,
                p.reposts,
                p.replies,
                p.views,
            ]
            for p in posts
        ],
    )


def _failing_table(troubles: list[reports.ChannelTrouble]) -> Table:
    return (
        [_("Channel"), _("Failed deliveries (7 days)"), _("Last error"), _("Metrics problem")],
        [[t.channel.name, t.failed, t.last_error, t.channel.metrics_error] for t in troubles],
    )


def _best_times_table(times: list[best_times.ChannelBestTimes]) -> Table:
    return (
        [_("Channel"), _("Weekday"), _("Hour"), _("Posts"), _("Average engagement")],
        [
            [t.channel.name, weekday_name(s.weekday), s.hour, s.posts, round(s.average, 1)]
            for t in times
            if t.enough
            for s in sorted(t.slots, key=lambda s: (s.weekday, s.hour))
        ],
    )


@login_required
def dashboard(request):
    membership = membership_or_404(request.user)
    workspace = membership.workspace
    zone = reports.zone_of(workspace)
    progress = reports.dashboard_objectives(workspace)
    plans = reports.published_versus_planned(workspace)
    top = reports.top_posts(workspace)
    failing = reports.failing_channels(workspace)
    times = best_times.best_times(workspace)
    if request.GET.get("format") == "csv":
        return _csv_or_404(
            request,
            {
                "objectives": lambda: _objectives_table(progress),
                "campaigns": lambda: _campaigns_table(plans),
                "top-posts": lambda: _top_posts_table(top),
                "failing-channels": lambda: _failing_table(failing),
                "best-times": lambda: _best_times_table(times),
            },
            "maillon-dashboard",
        )
    charts = {
        "objectives_chart": {
            "type": "bar",
            "indexAxis": "y",
            "max": 100,
            "labels": [p.objective.title for p in progress],
            "datasets": [
                {"label": _("Achieved, % of target"), "data": [p.percent for p in progress]},
                {
                    "label": _("Expected by now, % of target"),
                    "data": [p.expected_percent for p in progress],
                },
            ],
        },
        "campaigns_chart": {
            "type": "bar",
            "labels": [p.campaign.name for p in plans],
            "datasets": [
                {"label": _("Planned posts"), "data": [p.planned for p in plans]},
                {"label": _("Published posts"), "data": [p.published for p in plans]},
            ],
        },
    }
    return render(
        request,
        "planner/reports.html",
        {
            "progress": progress,
            "plans": plans,
            "top_posts": top,
            "failing": failing,
            "best_times": [t for t in times if t.enough],
            "below_sample": [t for t in times if not t.enough],
            "weekdays": [(i, weekday_name(i)) for i in range(1, 8)],
            "min_posts_per_channel": best_times.MIN_POSTS_PER_CHANNEL,
            "min_posts_per_slot": best_times.MIN_POSTS_PER_SLOT,
            "time_zone": workspace.time_zone,
            "today": timezone.localdate(timezone=zone),
            **charts,
        },
    )


def _cadence_table(lines: list[reports.ChannelCadence]) -> Table:
    return (
        [_("Channel"), _("Week of"), _("Cadence"), _("Scheduled"), _("Published")],
        [
            [
                line.channel.name,
                week.week_start.isoformat(),
                week.target,
                week.scheduled,
                week.published,
            ]
            for line in lines
            for week in line.weeks
        ],
    )


def _channels_table(rows: list[reports.ChannelPerformance]) -> Table:
    return (
        [_("Channel"), _("Published"), _("Likes"), _("Reposts"), _("Replies"), _("Views")],
        [[r.channel.name, r.published, r.likes, r.reposts, r.replies, r.views] for r in rows],
    )


def _posts_table(rows: list[reports.DeliveryPerformance], zone: dt.tzinfo) -> Table:
    return (
        [
            _("Post"),
            _("Channel"),
            _("Published at"),
            _("Likes"),
            _("Reposts"),
            _("Replies"),
            _("Views"),
            _("Engagement"),
        ],
        [
            [
                str(r.publication.post),
                r.publication.channel.name,
                r.publication.published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                r.likes,
                r.reposts,
                r.replies,
                r.views,
                r.engagement,
            ]
            for r in rows
        ],
    )


@login_required
def campaign_report(request, pk: int):
    membership = membership_or_404(request.user)
    campaign = Campaign.objects.filter(workspace=membership.workspace, pk=pk).first()
    if campaign is None:
        raise Http404
    zone = reports.zone_of(membership.workspace)
    cadence = reports.campaign_cadence(campaign, zone=zone)
    channels = reports.campaign_channel_performance(campaign)
    posts = reports.campaign_post_performance(campaign)
    if request.GET.get("format") == "csv":
        return _csv_or_404(
            request,
            {
                "cadence": lambda: _cadence_table(cadence),
                "channels": lambda: _channels_table(channels),
                "posts": lambda: _posts_table(posts, zone),
            },
            f"maillon-campaign-{campaign.pk}",
        )
    weeks = reports.campaign_weeks(campaign)
    cadence_chart = {
        "type": "bar",
        "labels": [w.strftime("%d/%m") for w in weeks],
        "datasets": [
            {
                "label": _("Cadence (all channels)"),
                "data": [sum(line.weeks[i].target for line in cadence) for i in range(len(weeks))],
            },
            {
                "label": _("Published (all channels)"),
                "data": [
                    sum(line.weeks[i].published for line in cadence) for i in range(len(weeks))
                ],
            },
        ],
    }
    channels_chart = {
        "type": "bar",
        "stacked": True,
        "labels": [r.channel.name for r in channels],
        "datasets": [
            {"label": _("Likes"), "data": [r.likes for r in channels]},
            {"label": _("Reposts"), "data": [r.reposts for r in channels]},
            {"label": _("Replies"), "data": [r.replies for r in channels]},
        ],
    }
    return render(
        request,
        "planner/campaign_report.html",
        {
            "campaign": campaign,
            "cadence": cadence,
            "weeks": weeks,
            "channels": channels,
            "posts": posts,
            "cadence_chart": cadence_chart,
            "channels_chart": channels_chart,
            "time_zone": membership.workspace.time_zone,
        },
    )


def editor_good_times(form, post) -> list[dict]:
    """The post editor's suggestions: for the post's channels (every active channel of
    the workspace for a new post without channels yet), the next good slots as labels in
    the workspace's time zone and values for the time field in the person's own."""
    workspace = form.workspace
    if post is not None:
        channels: list[int] | None = [v.channel_id for v in post.variants.all()]
    else:
        channels = list(form.initial.get("channels") or []) or None
    zone = reports.zone_of(workspace)
    own_zone = timezone.get_current_timezone()
    return [
        {
            "channel": suggestion.channel,
            "slots": [
                {
                    "label": slot_label(moment, zone),
                    "value": moment.astimezone(own_zone).strftime("%Y-%m-%dT%H:%M"),
                }
                for moment in suggestion.when
            ],
        }
        for suggestion in best_times.suggestions(workspace, channels=channels)
        if suggestion.channel.is_active
    ]
