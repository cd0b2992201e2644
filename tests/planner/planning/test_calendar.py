"""The calendar's JSON, filters, drag and drop on the server side, and its cost in queries."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from planner.models import Publication
from planner.posts import actions
from planner.publishing import engine
from planner.views.calendar import from_wall_clock
from planner.workflow import State
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def window(days=7):
    now = timezone.now().astimezone(PARIS).replace(tzinfo=None)
    return {
        "start": (now - dt.timedelta(days=1)).isoformat(timespec="seconds"),
        "end": (now + dt.timedelta(days=days)).isoformat(timespec="seconds"),
    }


def events(client, **params):
    response = client.get("/calendar/events/", {**window(), **params})
    assert response.status_code == 200
    return [e for e in response.json() if e.get("extendedProps", {}).get("kind") != "campaign"]


def test_posts_come_with_campaign_colour_state_and_channels_in_the_viewers_time(client, cast):
    campaign = CampaignFactory(workspace=cast.workspace, colour="#aa3300")
    when = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, campaign=campaign, scheduled_at=when
    )
    client.force_login(cast.viewer)
    (event,) = events(client)
    assert event["id"] == str(post.pk)
    assert event["backgroundColor"] == "#aa3300"
    assert event["extendedProps"]["state"] == "draft"
    assert event["extendedProps"]["channels"] == ["mastodon"]
    assert event["start"] == when.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    assert event["editable"] is False  # a viewer cannot move posts


def test_campaign_spans_are_all_day_bars_that_do_not_move(client, cast):
    campaign = CampaignFactory(workspace=cast.workspace, name="Spring")
    client.force_login(cast.viewer)
    response = client.get("/calendar/events/", window())
    (span,) = [e for e in response.json() if e["extendedProps"].get("kind") == "campaign"]
    assert (span["title"], span["allDay"], span["editable"]) == ("Spring", True, False)
    assert span["end"] == (campaign.ends_on + dt.timedelta(days=1)).isoformat()


def test_a_calendar_filtered_to_a_campaign_shows_only_its_span(client, cast):
    spring = CampaignFactory(workspace=cast.workspace, name="Spring")
    CampaignFactory(workspace=cast.workspace, name="Autumn")
    client.force_login(cast.viewer)
    response = client.get("/calendar/events/", {**window(), "campaign": spring.pk})
    spans = [e["title"] for e in response.json() if e["extendedProps"].get("kind") == "campaign"]
    assert spans == ["Spring"]


def test_filters_narrow_the_posts(client, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Bluesky main", kind="bluesky")
    campaign = CampaignFactory(workspace=cast.workspace)
    a = PostFactory(workspace=cast.workspace, author=cast.content, campaign=campaign)
    b = PostFactory(
        workspace=cast.workspace, author=cast.content, channels=[channel], assignee=cast.content2
    )
    client.force_login(cast.content)
    assert [e["id"] for e in events(client, campaign=campaign.pk)] == [str(a.pk)]
    assert [e["id"] for e in events(client, channel=channel.pk)] == [str(b.pk)]
    assert [e["id"] for e in events(client, assignee=cast.content2.pk)] == [str(b.pk)]
    assert {e["id"] for e in events(client, state="draft")} == {str(a.pk), str(b.pk)}
    assert events(client, state="published") == []


def test_a_window_that_is_missing_or_too_long_is_refused(client, cast):
    client.force_login(cast.viewer)
    assert client.get("/calendar/events/").status_code == 400
    assert client.get("/calendar/events/", window(days=400)).status_code == 400


def test_another_workspaces_posts_never_appear(client, cast, other):
    PostFactory(workspace=other.workspace, author=other.content)
    client.force_login(cast.viewer)
    assert events(client) == []


# --- moving ------------------------------------------------------------------------------


def move(client, post, when):
    return client.post(f"/posts/{post.pk}/move/", {"when": when})


def local(days, hour=10):
    day = (timezone.now().astimezone(PARIS) + dt.timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00"


def test_dropping_a_post_on_another_day_moves_it_in_the_viewers_time_zone(client, cast, draft):
    client.force_login(cast.content)
    response = move(client, draft, local(5))
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.scheduled_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") == local(5)


def test_an_approved_post_moved_goes_back_to_review_and_says_so(client, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    actions.post_decide(
        actor=cast.marketing, post=draft, decision="approve", expected_version=1, step_position=1
    )
    client.force_login(cast.content)
    response = move(client, draft, local(6))
    assert response.status_code == 200
    assert "waits for approval again" in response.json()["message"]
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW
    assert Publication.objects.get(post=draft).state == "cancelled"


def test_a_drop_into_the_past_is_refused_with_a_message(client, cast, draft):
    client.force_login(cast.content)
    response = move(client, draft, local(-2))
    assert response.status_code == 400
    assert response.json()["error"] == "Choose a time in the future."
    before = draft.scheduled_at
    draft.refresh_from_db()
    assert draft.scheduled_at == before


def test_a_viewer_or_a_contributor_cannot_move_posts(client, cast, draft):
    for person in (cast.viewer, cast.contributor):
        client.force_login(person)
        response = move(client, draft, local(4))
        assert response.status_code == 403
        assert response.json()["error"] == "Your role does not allow this."


def test_a_published_post_cannot_be_moved(client, cast, draft):
    actions.post_submit(actor=cast.content, post=draft)
    post = actions.post_decide(
        actor=cast.marketing, post=draft, decision="approve", expected_version=1, step_position=1
    )
    engine.post_engine_transition(post=post, action="start_publishing")
    engine.post_engine_transition(post=post, action="mark_published")
    client.force_login(cast.admin)
    response = move(client, draft, local(4))
    assert response.status_code == 409
    assert "cannot be" in response.json()["error"]


def test_another_workspaces_post_cannot_be_moved(client, other, draft):
    client.force_login(other.admin)
    assert move(client, draft, local(4)).status_code == 404


def test_a_time_skipped_by_a_clock_change_is_refused():
    with pytest.raises(ValueError):
        from_wall_clock("2027-03-28T02:30", PARIS)
    assert from_wall_clock("2027-03-28T03:30", PARIS).utcoffset() == dt.timedelta(hours=2)


def test_the_calendar_page_says_what_to_do_when_empty(client, cast):
    client.force_login(cast.content)
    page = client.get("/calendar/").content.decode()
    assert "Click a day to plan a post there." in page
    assert 'id="calendar"' in page


def test_campaign_labels_are_black_or_white_whichever_reads_better():
    from planner.views.calendar import text_colour

    assert text_colour("#ffeb3b") == "#000000"
    assert text_colour("#0b3d91") == "#ffffff"
