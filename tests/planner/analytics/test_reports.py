"""The report rules on factory data with known answers: each KPI of an objective and its
pace, published versus planned, top posts, failing channels, the cadence per week, the
performance sums and the best time to post (sample and time zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from planner.analytics import best_times, reports
from planner.analytics.csv_export import csv_text, safe_cell
from planner.analytics.reports import Pace
from planner.models import Cadence, FollowerSnapshot
from planner.workflow import State
from tests.factories import (
    CampaignFactory,
    ChannelFactory,
    ObjectiveFactory,
    PostFactory,
    WorkspaceFactory,
)
from tests.planner.analytics.report_data import failed, published

pytestmark = [pytest.mark.django_db, pytest.mark.domain]  # SQLite too: `make run` uses it
UTC = dt.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
JAN_1, JAN_10 = dt.date(2026, 1, 1), dt.date(2026, 1, 10)


def at(day: int, hour: int = 12, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("achieved", "today", "pace"),
    [
        (50, dt.date(2026, 1, 5), Pace.ON_TRACK),  # expected 50 by day 5 of 10
        (40, dt.date(2026, 1, 5), Pace.AT_RISK),  # 80 % of the expected pace
        (39, dt.date(2026, 1, 5), Pace.BEHIND),
        (0, dt.date(2025, 12, 31), Pace.NOT_STARTED),
        (100, dt.date(2026, 1, 11), Pace.MET),
        (99, dt.date(2026, 1, 11), Pace.MISSED),
    ],
)
def test_pace_compares_achieved_with_the_target_prorated_by_elapsed_days(achieved, today, pace):
    label, share = reports.pace_of(
        achieved=achieved, target=100, period_start=JAN_1, period_end=JAN_10, today=today
    )
    assert label == pace
    if pace in (Pace.ON_TRACK, Pace.AT_RISK, Pace.BEHIND):
        assert share == 0.5


def objective_with_campaign(workspace, kpi: str, **fields):
    objective = ObjectiveFactory(
        workspace=workspace, kpi=kpi, period_start=JAN_1, period_end=JAN_10, **fields
    )
    campaign = CampaignFactory(
        workspace=workspace, objective=objective, starts_on=JAN_1, ends_on=JAN_10
    )
    return objective, campaign


def progress_of(objective, today=dt.date(2026, 1, 5)) -> reports.ObjectiveProgress:
    (result,) = reports.objectives_progress([objective], zone=PARIS, today=today)
    return result


def test_posts_published_counts_each_post_once_in_the_period_of_linked_campaigns(cast):
    ws = cast.workspace
    objective, campaign = objective_with_campaign(ws, "posts_published", target=10, baseline=1)
    two = [ChannelFactory(workspace=ws), ChannelFactory(workspace=ws)]
    published(workspace=ws, at=at(2), campaign=campaign, channels=two)  # one post, two channels
    published(workspace=ws, at=at(3), campaign=campaign)
    published(workspace=ws, at=at(4), campaign=campaign)
    published(workspace=ws, at=dt.datetime(2025, 12, 31, 12, tzinfo=UTC), campaign=campaign)
    published(workspace=ws, at=at(3), campaign=CampaignFactory(workspace=ws))  # not linked
    PostFactory(workspace=ws, campaign=campaign, scheduled_at=at(4))  # planned, not published

    progress = progress_of(objective)

    assert (progress.actual, progress.achieved, progress.expected) == (3, 2, 5.0)
    assert progress.pace == Pace.BEHIND  # 2 of 5 expected: 40 %


def test_engagement_sums_likes_reposts_and_replies_but_not_views(cast):
    ws = cast.workspace
    objective, campaign = objective_with_campaign(ws, "engagement", target=100)
    published(workspace=ws, at=at(2), campaign=campaign, likes=30, reposts=5, replies=5, views=900)
    published(workspace=ws, at=at(3), campaign=campaign, likes=10)
    published(workspace=ws, at=at(12), campaign=campaign, likes=500)  # after the period

    progress = progress_of(objective)

    assert progress.actual == 50
    assert progress.pace == Pace.ON_TRACK  # 50 of 50 expected by day 5
    assert (progress.percent, progress.expected_percent) == (50, 50)


def test_reach_sums_views_above_the_baseline(cast):
    ws = cast.workspace
    objective, campaign = objective_with_campaign(ws, "reach", target=1000, baseline=100)
    published(workspace=ws, at=at(2), campaign=campaign, views=400, likes=99)
    published(workspace=ws, at=at(4), campaign=campaign, views=200)

    progress = progress_of(objective)

    assert (progress.actual, progress.achieved) == (600, 500)
    assert progress.pace == Pace.ON_TRACK


def test_followers_gained_is_last_minus_first_count_per_channel_of_the_campaigns(cast):
    ws = cast.workspace
    objective, campaign = objective_with_campaign(ws, "followers_gained", target=40)
    growing, shrinking, elsewhere = (ChannelFactory(workspace=ws) for _ in range(3))
    campaign.channels.set([growing, shrinking])
    # The shrinking channel is in a second campaign of the objective: counted once.
    CampaignFactory(workspace=ws, objective=objective).channels.set([shrinking])
    for channel, counts in (
        (growing, [(dt.datetime(2025, 12, 31, tzinfo=UTC), 100), (at(1), 120), (at(9), 150)]),
        (shrinking, [(at(2), 50), (at(5), 45), (at(8), 40), (at(11), 10)]),
        (elsewhere, [(at(1), 0), (at(9), 1000)]),
    ):
        for taken_at, count in counts:
            FollowerSnapshot.objects.create(channel=channel, count=count, taken_at=taken_at)

    progress = progress_of(objective, today=dt.date(2026, 1, 11))

    assert progress.actual == 30 - 10
    assert progress.pace == Pace.MISSED


def test_the_period_is_read_in_the_workspace_time_zone(cast):
    ws = cast.workspace  # Europe/Paris
    objective, campaign = objective_with_campaign(ws, "posts_published", target=1)
    # 31 December 23:30 UTC is already 1 January in Paris.
    published(workspace=ws, at=dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC), campaign=campaign)
    # 10 January 23:30 UTC is 11 January in Paris: after the period.
    published(workspace=ws, at=dt.datetime(2026, 1, 10, 23, 30, tzinfo=UTC), campaign=campaign)

    assert progress_of(objective).actual == 1


def test_objectives_progress_takes_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    ws = cast.workspace
    objectives = []
    for kpi in ("posts_published", "engagement", "reach", "followers_gained") * 3:
        objective, campaign = objective_with_campaign(ws, kpi)
        campaign.channels.add(ChannelFactory(workspace=ws))
        published(workspace=ws, at=at(2), campaign=campaign, likes=1, views=2)
        objectives.append(objective)
    with django_assert_max_num_queries(5):
        assert len(reports.objectives_progress(objectives, zone=PARIS, today=JAN_10)) == 12


def test_published_versus_planned_counts_posts_of_current_campaigns(cast):
    ws = cast.workspace
    today = dt.date(2026, 1, 5)
    current = CampaignFactory(workspace=ws, name="Winter", starts_on=JAN_1, ends_on=JAN_10)
    CampaignFactory(workspace=ws, name="Spring", starts_on=dt.date(2026, 3, 1))
    published(workspace=ws, at=at(2), campaign=current, channels=[ChannelFactory(workspace=ws)])
    published(workspace=ws, at=at(3), campaign=current)
    PostFactory(workspace=ws, campaign=current, scheduled_at=at(8))
    PostFactory(workspace=ws, campaign=current, scheduled_at=at(9), state=State.CANCELLED)

    (plan,) = reports.published_versus_planned(ws, today=today)

    assert (plan.campaign, plan.planned, plan.published, plan.percent) == (current, 3, 2, 67)


def test_top_posts_are_ordered_by_engagement_over_the_last_30_days(cast, other):
    ws = cast.workspace
    now = at(31)
    published(workspace=ws, at=at(20), title="Middle", likes=10, reposts=2)
    published(workspace=ws, at=at(25), title="Best", likes=20, replies=5)
    published(workspace=ws, at=at(26), title="Views only", views=10_000)
    published(workspace=ws, at=dt.datetime(2025, 12, 1, tzinfo=UTC), title="Old", likes=999)
    published(workspace=other.workspace, at=at(25), title="Theirs", likes=999)
    two = [ChannelFactory(workspace=ws), ChannelFactory(workspace=ws)]
    published(workspace=ws, at=at(27), title="Summed", channels=two, likes=8)  # 8 + 8

    top = reports.top_posts(ws, now=now)

    assert [(p.post.title, p.engagement) for p in top] == [
        ("Best", 25),
        ("Summed", 16),
        ("Middle", 12),
        ("Views only", 0),
    ]
    assert top[3].views == 10_000


def test_failing_channels_lists_recent_failures_and_metrics_problems(cast, other):
    ws = cast.workspace
    now = at(20)
    broken = ChannelFactory(workspace=ws, name="Broken")
    failed(workspace=ws, channel=broken, at=at(15), error="HTTP 500 old")
    failed(workspace=ws, channel=broken, at=at(18), error="HTTP 503 latest")
    old = ChannelFactory(workspace=ws, name="Failed long ago")
    failed(workspace=ws, channel=old, at=at(5))
    ChannelFactory(workspace=ws, name="No stats", metrics_error="Token lacks the read scope")
    ChannelFactory(workspace=ws, name="Fine")
    failed(workspace=other.workspace, channel=ChannelFactory(workspace=other.workspace), at=at(19))

    troubles = reports.failing_channels(ws, now=now)

    assert [(t.channel.name, t.failed, t.last_error) for t in troubles] == [
        ("Broken", 2, "HTTP 503 latest"),
        ("No stats", 0, ""),
    ]


def test_campaign_cadence_counts_per_channel_and_local_week(cast):
    ws = cast.workspace
    mastodon = ChannelFactory(workspace=ws, name="Mastodon")
    campaign = CampaignFactory(
        workspace=ws, starts_on=dt.date(2026, 3, 4), ends_on=dt.date(2026, 3, 15)
    )
    Cadence.objects.create(campaign=campaign, channel=mastodon, posts_per_week=2)
    march = {"month": 3}
    published(workspace=ws, at=at(3, **march), campaign=campaign, channels=[mastodon])
    published(workspace=ws, at=at(5, **march), campaign=campaign, channels=[mastodon])
    # Sunday 8 March 23:30 UTC is Monday 9 March 00:30 in Paris: the second week.
    late = dt.datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    published(workspace=ws, at=late, campaign=campaign, channels=[mastodon])
    PostFactory(workspace=ws, campaign=campaign, scheduled_at=at(12, **march), channels=[mastodon])

    (line,) = reports.campaign_cadence(campaign, zone=PARIS, today=dt.date(2026, 3, 8))

    assert [(w.week_start.day, w.target, w.scheduled, w.published) for w in line.weeks] == [
        (2, 2, 2, 2),
        (9, 2, 2, 1),
    ]
    assert [(w.met, w.future) for w in line.weeks] == [(True, False), (False, True)]


def test_campaign_performance_sums_per_channel_and_lists_each_delivery(cast):
    ws = cast.workspace
    a, b = ChannelFactory(workspace=ws, name="A"), ChannelFactory(workspace=ws, name="B")
    campaign = CampaignFactory(workspace=ws)
    published(workspace=ws, at=at(2), campaign=campaign, channels=[a, b], likes=3, views=10)
    published(workspace=ws, at=at(3), campaign=campaign, channels=[a], reposts=2, replies=1)
    published(workspace=ws, at=at(3), channels=[a], likes=100)  # another campaign

    channels = reports.campaign_channel_performance(campaign)
    deliveries = reports.campaign_post_performance(campaign)

    assert [
        (c.channel.name, c.published, c.likes, c.reposts, c.replies, c.views) for c in channels
    ] == [
        ("A", 2, 3, 2, 1, 10),
        ("B", 1, 3, 0, 0, 10),
    ]
    assert sorted(d.engagement for d in deliveries) == [3, 3, 3]


def history(workspace, channel, moments, likes=10):
    for moment in moments:
        published(workspace=workspace, at=moment, channels=[channel], likes=likes)


def test_best_times_need_20_posts_per_channel_and_3_per_slot(cast):
    ws = cast.workspace
    now = at(28, month=2)
    channel = ChannelFactory(workspace=ws, name="Mastodon")
    tuesdays = [dt.datetime(2026, 1, 6 + 7 * w, 8, tzinfo=UTC) for w in range(3)]
    history(ws, channel, tuesdays, likes=30)
    thursdays = [dt.datetime(2026, 1, 1 + 7 * w, 17, tzinfo=UTC) for w in range(2)]
    history(ws, channel, thursdays, likes=90)  # two posts only: no slot
    fridays = [dt.datetime(2026, 1, 2 + 7 * (w % 4), 10, w, tzinfo=UTC) for w in range(14)]
    history(ws, channel, fridays, likes=6)
    assert (len(tuesdays) + len(thursdays) + len(fridays)) == 19

    (times,) = best_times.best_times(ws, now=now)
    assert not times.enough
    assert best_times.suggestions(ws, channels=[channel.pk], now=now) == []

    history(ws, channel, [dt.datetime(2026, 2, 2, 6, tzinfo=UTC)], likes=0)
    (times,) = best_times.best_times(ws, now=now)
    assert times.enough and times.posts == 20
    # Tuesday 08:00 UTC in January is 09:00 in Paris; Friday 10:xx UTC is 11:00.
    assert [(s.weekday, s.hour, s.posts, s.average) for s in times.best()] == [
        (2, 9, 3, 30.0),
        (5, 11, 14, 6.0),
    ]


def test_best_times_follow_daylight_saving_in_the_workspace_zone(cast):
    ws = cast.workspace
    winter = ChannelFactory(workspace=ws, name="Winter")
    summer = ChannelFactory(workspace=ws, name="Summer")
    # Mondays at 08:00 UTC: 09:00 in Paris in January and February, 10:00 in June and July.
    history(
        ws,
        winter,
        [dt.datetime(2026, 1, 5, 8, tzinfo=UTC) + dt.timedelta(weeks=w) for w in range(8)] * 3,
    )
    history(
        ws,
        summer,
        [dt.datetime(2026, 6, 1, 8, tzinfo=UTC) + dt.timedelta(weeks=w) for w in range(8)] * 3,
    )

    by_name = {t.channel.name: t for t in best_times.best_times(ws, now=at(1, month=8))}

    assert [(s.weekday, s.hour) for s in by_name["Winter"].slots] == [(1, 9)]
    assert [(s.weekday, s.hour) for s in by_name["Summer"].slots] == [(1, 10)]


def test_suggestions_give_the_next_occurrence_of_each_best_slot(cast):
    ws = cast.workspace
    channel = ChannelFactory(workspace=ws, name="Mastodon")
    history(
        ws,
        channel,
        [dt.datetime(2026, 1, 6, 8, tzinfo=UTC) + dt.timedelta(weeks=w) for w in range(10)],
        likes=50,
    )
    history(
        ws,
        channel,
        [dt.datetime(2026, 1, 8, 17, tzinfo=UTC) + dt.timedelta(weeks=w) for w in range(10)],
        likes=20,
    )
    now = dt.datetime(2026, 3, 11, 12, tzinfo=UTC)  # a Wednesday, winter time

    (suggestion,) = best_times.suggestions(ws, channels=None, now=now)

    assert [m.astimezone(PARIS).strftime("%a %d %H:%M") for m in suggestion.when] == [
        "Thu 12 18:00",
        "Tue 17 09:00",
    ]


def test_best_times_leave_out_other_workspaces():
    mine, theirs = WorkspaceFactory(), WorkspaceFactory()
    channel = ChannelFactory(workspace=theirs)
    history(theirs, channel, [at(5) + dt.timedelta(weeks=w) for w in range(4)] * 5)
    assert best_times.best_times(mine, now=at(1, month=3)) == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Spring launch", "Spring launch"),
        (-5, -5),
        (12, 12),
    ],
)
def test_csv_cells_that_would_start_a_formula_are_quoted(value, cell):
    assert safe_cell(value) == cell


def test_csv_text_has_one_header_row_and_keeps_accents():
    assert csv_text(["Campagne", "Vues"], [["Été", 3], ["=1+1", -1]]) == (
        "Campagne,Vues\r\nÉté,3\r\n'=1+1,-1\r\n"
    )
