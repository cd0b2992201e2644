"""The report pages: who sees them, what they show, their CSV, the editor's good times
and the number of queries whatever the data size."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from planner.models import Cadence, FollowerSnapshot
from tests.factories import CampaignFactory, ChannelFactory, ObjectiveFactory, PostFactory
from tests.planner.analytics.report_data import failed, published

pytestmark = [pytest.mark.django_db, pytest.mark.domain]  # SQLite too: `make run` uses it
UTC = dt.UTC
NOW = dt.datetime(2026, 1, 8, 12, tzinfo=UTC)  # a Thursday


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def days(n: int) -> dt.datetime:
    return NOW + dt.timedelta(days=n)


def fill(workspace, size: int) -> None:
    """``size`` of everything the dashboard and a campaign report read."""
    for i in range(size):
        objective = ObjectiveFactory(
            workspace=workspace,
            kpi=("posts_published", "engagement", "reach", "followers_gained")[i % 4],
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
        )
        campaign = CampaignFactory(
            workspace=workspace,
            objective=objective,
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 1, 31),
        )
        channel = ChannelFactory(workspace=workspace, metrics_error="Scope" if i % 3 else "")
        campaign.channels.add(channel)
        Cadence.objects.create(campaign=campaign, channel=channel, posts_per_week=3)
        for j in range(size):
            published(
                workspace=workspace,
                at=days(-j % 7),
                campaign=campaign,
                channels=[channel],
                likes=j,
                views=10 * j,
            )
            FollowerSnapshot.objects.create(channel=channel, count=100 + j, taken_at=days(-j))
        failed(workspace=workspace, channel=channel, at=days(-1))
        PostFactory(workspace=workspace, campaign=campaign, scheduled_at=days(3))


def test_everyone_in_the_workspace_reaches_the_dashboard_from_the_navbar(client, cast):
    client.force_login(cast.viewer)
    page = client.get("/").content.decode()
    assert 'href="/reports/"' in page
    response = client.get("/reports/")
    assert response.status_code == 200
    assert "No current objective" in response.content.decode()


def test_the_dashboard_shows_progress_pace_plans_top_posts_and_trouble(client, cast):
    ws = cast.workspace
    objective = ObjectiveFactory(
        workspace=ws,
        title="Win the winter",
        kpi="engagement",
        target=100,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 10),
    )
    campaign = CampaignFactory(
        workspace=ws, name="Winter sale", objective=objective, starts_on=dt.date(2026, 1, 1)
    )
    published(workspace=ws, at=days(-2), campaign=campaign, title="Snow day", likes=50)
    failed(workspace=ws, channel=ChannelFactory(workspace=ws, name="Shaky"), at=days(-1))
    client.force_login(cast.viewer)

    page = client.get("/reports/").content.decode()

    assert "Win the winter" in page
    assert "50 of 100 (expected by now: 80)" in page
    assert re.search(r'data-testid="pace">At risk<', page) is None  # 50/80 is 62 %
    assert 'data-testid="pace">Behind<' in page
    assert "Winter sale" in page and "Snow day" in page and "Shaky" in page
    assert 'id="objectives-chart" type="application/json"' in page


def test_report_pages_run_no_inline_script(client, cast):
    campaign = CampaignFactory(workspace=cast.workspace)
    client.force_login(cast.viewer)
    for url in ("/reports/", f"/campaigns/{campaign.pk}/report/"):
        page = client.get(url).content.decode()
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_the_campaign_page_links_to_its_report(client, cast):
    campaign = CampaignFactory(workspace=cast.workspace)
    client.force_login(cast.viewer)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'href="/campaigns/{campaign.pk}/report/"' in page


def test_the_campaign_report_shows_cadence_per_week_and_performance(client, cast):
    ws = cast.workspace
    mastodon = ChannelFactory(workspace=ws, name="Mastodon")
    campaign = CampaignFactory(
        workspace=ws, starts_on=dt.date(2026, 1, 5), ends_on=dt.date(2026, 1, 11)
    )
    Cadence.objects.create(campaign=campaign, channel=mastodon, posts_per_week=3)
    published(workspace=ws, at=days(-1), campaign=campaign, channels=[mastodon], likes=7)
    client.force_login(cast.viewer)

    page = client.get(f"/campaigns/{campaign.pk}/report/").content.decode()

    assert "1 of 3 published · 1 scheduled" in page
    assert page.count('data-testid="post-row"') == 1
    assert page.count('data-testid="channel-row"') == 1


def test_another_workspaces_campaign_report_is_not_found(client, cast, other):
    theirs = CampaignFactory(workspace=other.workspace)
    client.force_login(cast.admin)
    assert client.get(f"/campaigns/{theirs.pk}/report/").status_code == 404
    assert client.get(f"/campaigns/{theirs.pk}/report/?format=csv").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/reports/").status_code == 302


def rows_of(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_each_dashboard_table_exports_to_csv_with_a_header(client, cast):
    ws = cast.workspace
    CampaignFactory(workspace=ws, name='=HYPERLINK("http://evil")', starts_on=dt.date(2026, 1, 1))
    published(workspace=ws, at=days(-2), title="Été", likes=4, reposts=1)
    client.force_login(cast.viewer)

    response = client.get("/reports/?format=csv&table=campaigns")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert rows_of(response) == [
        ["Campaign", "Starts on", "Ends on", "Planned posts", "Published posts"],
        ['\'=HYPERLINK("http://evil")', "2026-01-01", "2026-01-31", "0", "0"],
    ]
    top = rows_of(client.get("/reports/?format=csv&table=top-posts"))
    assert top[0][0] == "Post" and top[1][0] == "Été" and top[1][2] == "5"
    for table in ("objectives", "failing-channels", "best-times"):
        assert len(rows_of(client.get(f"/reports/?format=csv&table={table}"))) == 1
    assert client.get("/reports/?format=csv&table=secrets").status_code == 404


def test_the_campaign_report_exports_cadence_channels_and_posts(client, cast):
    ws = cast.workspace
    mastodon = ChannelFactory(workspace=ws, name="@mastodon")
    campaign = CampaignFactory(
        workspace=ws, starts_on=dt.date(2026, 1, 5), ends_on=dt.date(2026, 1, 11)
    )
    Cadence.objects.create(campaign=campaign, channel=mastodon, posts_per_week=2)
    published(workspace=ws, at=days(-1), campaign=campaign, channels=[mastodon], title="-1 day")
    client.force_login(cast.viewer)
    base = f"/campaigns/{campaign.pk}/report/?format=csv&table="

    assert rows_of(client.get(base + "cadence")) == [
        ["Channel", "Week of", "Cadence", "Scheduled", "Published"],
        ["'@mastodon", "2026-01-05", "2", "1", "1"],
    ]
    assert rows_of(client.get(base + "channels"))[1] == ["'@mastodon", "1", "0", "0", "0", "0"]
    assert rows_of(client.get(base + "posts"))[1][:3] == [
        "'-1 day",
        "'@mastodon",
        "2026-01-07 13:00",
    ]


def good_history(workspace, channel) -> None:
    # 20 Tuesdays at 08:00 UTC (09:00 in Paris in winter).
    for w in range(20):
        moment = dt.datetime(2025, 8, 26, 8, tzinfo=UTC) + dt.timedelta(weeks=w)
        published(workspace=workspace, at=moment, channels=[channel], likes=10)


def test_the_editor_suggests_the_next_good_slots_of_the_posts_channels(client, cast):
    ws = cast.workspace
    mastodon = ChannelFactory(workspace=ws, name="Mastodon")
    good_history(ws, mastodon)
    post = PostFactory(workspace=ws, author=cast.content, channels=[mastodon])
    client.force_login(cast.content)

    page = client.get(f"/posts/{post.pk}/edit/").content.decode()

    assert "Good times for Mastodon:" in page
    # The next Tuesday 09:00 Paris, for the time field in the person's own zone (Paris).
    assert 'data-good-time="2026-01-13T09:00">Tue 09:00<' in page


def test_the_editor_suggests_nothing_below_the_sample(client, cast):
    ws = cast.workspace
    mastodon = ChannelFactory(workspace=ws, name="Mastodon")
    for w in range(19):
        published(workspace=ws, at=days(-7 * (w + 1)), channels=[mastodon], likes=10)
    client.force_login(cast.content)
    assert 'data-testid="good-times"' not in client.get("/posts/new/").content.decode()


def test_the_editor_leaves_out_channels_the_post_is_not_on(client, cast):
    ws = cast.workspace
    good_history(ws, ChannelFactory(workspace=ws, name="Mastodon"))
    post = PostFactory(workspace=ws, author=cast.content, channels=[ChannelFactory(workspace=ws)])
    client.force_login(cast.content)
    assert "Good times" not in client.get(f"/posts/{post.pk}/edit/").content.decode()


def test_the_dashboard_costs_the_same_queries_for_little_and_much_data(
    client, cast, django_assert_max_num_queries
):
    fill(cast.workspace, 4)  # one objective of each KPI, each read by its own query
    client.force_login(cast.viewer)
    with django_assert_max_num_queries(40) as few:
        client.get("/reports/")
    fill(cast.workspace, 12)
    with django_assert_max_num_queries(len(few)) as many:
        page = client.get("/reports/").content.decode()
    assert page.count('data-testid="objective-progress"') == 16
    assert len(many) == len(few)


def test_the_campaign_report_costs_the_same_queries_for_little_and_much_data(
    client, cast, django_assert_max_num_queries
):
    campaign = CampaignFactory(
        workspace=cast.workspace, starts_on=dt.date(2025, 12, 1), ends_on=dt.date(2026, 1, 31)
    )
    channels = [ChannelFactory(workspace=cast.workspace) for _ in range(4)]
    for channel in channels:
        Cadence.objects.create(campaign=campaign, channel=channel, posts_per_week=2)
    published(workspace=cast.workspace, at=days(-1), campaign=campaign, channels=channels[:1])
    client.force_login(cast.viewer)
    with django_assert_max_num_queries(30) as few:
        client.get(f"/campaigns/{campaign.pk}/report/")
    for n in range(30):
        published(
            workspace=cast.workspace, at=days(-n), campaign=campaign, channels=channels, likes=n
        )
    with django_assert_max_num_queries(len(few)):
        page = client.get(f"/campaigns/{campaign.pk}/report/").content.decode()
    assert page.count('data-testid="post-row"') == 121
