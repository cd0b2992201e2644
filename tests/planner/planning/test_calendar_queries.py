"""A month of the calendar: a fixed number of queries however many posts, the right JSON,
and a kept answer that never hides a change."""

import datetime as dt
import gzip
import zoneinfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Role
from accounts.services import member_change_role, member_remove, user_update_preferences
from planner import calendar_cache
from planner.models import Label, Post, Variant
from planner.planning import services
from planner.posts import actions, writing
from planner.publishing.engine import post_engine_transition
from planner.workflow import Action, State
from tests.factories import CampaignFactory, ChannelFactory

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = dt.datetime(2027, 2, 15, 9, 0, tzinfo=dt.UTC)
# Six weeks of a month grid, around the change to summer time on 28 March 2027.
WINDOW = {"start": "2027-03-01T00:00:00", "end": "2027-04-12T00:00:00"}
FIRST = dt.datetime(2027, 3, 1, tzinfo=PARIS)
# The whole calendar, read the first time: the session, the user and their second factor
# (middleware: the device that verified the session, or for someone without one whether
# they need one), the membership, then the posts, their channels, their labels, the
# campaign spans and the key dates. Whether a post is at risk is read from the post's own
# row: no query of its own.
QUERIES = 9
# The same, read again unchanged: the session, the user and their second factor; the rest
# comes from the cache (the workspace's version and the answer kept for this person under
# it, which proves their membership at that version). Each test has a cache of its own
# (tests/conftest.py).
QUERIES_KEPT = 3


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """A request of a French speaker leaves French active in the thread: not for the
    next test."""
    yield
    translation.deactivate()


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


class Month:
    """Posts in the window with what the calendar draws: channels, labels, campaigns,
    assignees, states; written in bulk, as a busy team's month."""

    def __init__(self, cast):
        self.cast = cast
        workspace = cast.workspace
        self.channels = [
            ChannelFactory(workspace=workspace, kind=kind, name=kind.title())
            for kind in ("mastodon", "bluesky", "linkedin")
        ]
        self.campaigns = [
            CampaignFactory(
                workspace=workspace,
                name="Spring",
                colour="#aa3300",
                starts_on=dt.date(2027, 3, 1),
                ends_on=dt.date(2027, 3, 31),
            ),
            CampaignFactory(
                workspace=workspace,
                name="Easter",
                colour="#ffeb3b",
                starts_on=dt.date(2027, 3, 25),
                ends_on=dt.date(2027, 4, 5),
            ),
        ]
        self.labels = [
            Label.objects.create(workspace=workspace, name=name)
            for name in ("video", "evergreen", "partner")
        ]
        self.assignees = [cast.content, cast.content2, cast.marketing, None]
        self.count = 0

    def add(self, count: int) -> list[Post]:
        states = ["draft", "in_review", "approved", "published", "cancelled"]
        posts = []
        for _ in range(count):
            i = self.count
            self.count += 1
            state = states[i % len(states)]
            posts.append(
                Post(
                    workspace=self.cast.workspace,
                    author=self.cast.content,
                    campaign=[*self.campaigns, None][i % 3],
                    assignee=self.assignees[i % 4],
                    title=f"Post {i}" if i % 2 else "",
                    body=f"Post number {i} " + "and some words " * (i % 7),
                    scheduled_at=FIRST + dt.timedelta(minutes=29 * i),
                    state=state,
                    approved_version=1 if state in ("approved", "published") else None,
                )
            )
        posts = Post.objects.bulk_create(posts)
        first = self.count - count
        # Periods 3, 4, 5, 7 and 11 (campaign, assignee, state, channels, labels) make
        # every combination turn up.
        Variant.objects.bulk_create(
            Variant(post=post, channel=channel)
            for i, post in enumerate(posts, first)
            for channel in self.channels[: 1 + i % 7 % 3]
        )
        Post.labels.through.objects.bulk_create(
            Post.labels.through(post=post, label=label)
            for i, post in enumerate(posts, first)
            for label in self.labels[: i % 11 % 3]
        )
        # Bulk writes record no audit event: tell the calendar, as seed_demo does.
        calendar_cache.bump(self.cast.workspace.pk)
        return posts


def fetch(client, headers=None, **params):
    return client.get("/calendar/events/", {**WINDOW, **params}, headers=headers)


def post_events(response):
    assert response.status_code == 200
    return [e for e in response.json() if e["extendedProps"].get("kind") != "campaign"]


def by_id(response, post):
    (event,) = [e for e in post_events(response) if e["id"] == str(post.pk)]
    return event


def queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = fetch(client)
    assert response.status_code == 200
    return len(captured), response


# --- queries ------------------------------------------------------------------------------


def test_a_month_costs_the_same_few_queries_for_20_posts_as_for_2000(
    client, cast, django_assert_max_num_queries
):
    month = Month(cast)
    month.add(20)
    client.force_login(cast.content)
    with django_assert_max_num_queries(QUERIES) as for_few:
        few = fetch(client)
    assert len(post_events(few)) == 20
    month.add(1980)
    with django_assert_max_num_queries(QUERIES) as for_many:
        many = fetch(client)
    assert len(post_events(many)) == 2000
    assert len(for_few) == len(for_many) == QUERIES  # nothing grows with the posts


def test_filters_cost_no_more_queries(client, cast, django_assert_max_num_queries):
    month = Month(cast)
    month.add(300)
    client.force_login(cast.content)
    linkedin, evergreen = month.channels[2].pk, month.labels[1].pk
    for params, check in (
        ({"channel": linkedin}, lambda p: "linkedin" in p["channels"]),
        ({"label": evergreen}, lambda p: "evergreen" in p["labels"]),
        ({"campaign": month.campaigns[0].pk}, lambda p: p["campaign"] == "Spring"),
        ({"assignee": cast.content2.pk}, lambda p: p["assignee"] == "Content2"),
        ({"state": "draft"}, lambda p: p["state"] == "draft"),
        (
            {"channel": linkedin, "label": evergreen},
            lambda p: "linkedin" in p["channels"] and "evergreen" in p["labels"],
        ),
    ):
        with django_assert_max_num_queries(QUERIES):
            events = post_events(fetch(client, **params))
        assert 0 < len(events) < 300, params
        assert len({e["id"] for e in events}) == len(events), params  # each post once
        assert all(check(e["extendedProps"]) for e in events), params


# --- the answer ---------------------------------------------------------------------------


def test_each_post_comes_with_everything_the_calendar_draws(client, cast):
    month = Month(cast)
    month.add(2000)
    # A post without a title (its text stands for it), after the clock change, with a
    # campaign, two channels, two labels and an assignee.
    post = Post.objects.create(
        workspace=cast.workspace,
        author=cast.content,
        campaign=month.campaigns[0],
        assignee=cast.content2,
        body="Spring is here: our new linen collection is out, in six colours and three cuts.",
        scheduled_at=dt.datetime(2027, 3, 28, 8, 30, tzinfo=dt.UTC),
    )
    Variant.objects.create(post=post, channel=month.channels[2])
    Variant.objects.create(post=post, channel=month.channels[0])
    post.labels.set([month.labels[0], month.labels[1]])
    client.force_login(cast.content)
    response = fetch(client)
    assert len(post_events(response)) == 2001
    spans = [e for e in response.json() if e["extendedProps"].get("kind") == "campaign"]
    assert sorted(s["title"] for s in spans) == ["Easter", "Spring"]
    assert by_id(response, post) == {
        "id": str(post.pk),
        "title": "Spring is here: our new linen collection is out, in six colo…",
        "start": "2027-03-28T10:30",  # Paris, summer time since 02:00 that day
        "url": f"/posts/{post.pk}/",
        "backgroundColor": "#aa3300",
        "borderColor": "#aa3300",
        "editable": True,
        "extendedProps": {
            "state": "draft",
            "stateLabel": "Draft",
            "channels": ["linkedin", "mastodon"],
            "campaign": "Spring",
            "assignee": "Content2",
            "labels": ["evergreen", "video"],
        },
    }
    assert by_id(response, post)["title"] == str(post)


def test_titles_and_times_match_the_posts_own(client, cast):
    posts = Month(cast).add(40)
    client.force_login(cast.viewer)
    response = fetch(client)
    for post in posts:
        event = by_id(response, post)
        assert event["title"] == str(post)
        assert event["start"] == post.scheduled_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
        assert event["editable"] is False  # a viewer moves nothing


def test_a_post_without_campaign_labels_or_assignee_comes_plain(client, cast):
    channel = ChannelFactory(workspace=cast.workspace)
    post = Post.objects.create(
        workspace=cast.workspace,
        author=cast.content,
        title="Plain",
        scheduled_at=FIRST + dt.timedelta(days=3),
        state="published",
        approved_version=1,
    )
    Variant.objects.create(post=post, channel=channel)
    client.force_login(cast.content)
    event = by_id(fetch(client), post)
    assert (event["backgroundColor"], event["editable"]) == ("#5c636a", False)
    assert event["extendedProps"] == {
        "state": "published",
        "stateLabel": "Published",
        "channels": ["mastodon"],
        "campaign": "",
        "assignee": "",
        "labels": [],
    }


# --- the kept answer ----------------------------------------------------------------------
#
# Services record an audit event, which bumps the workspace's version once the transaction
# commits; the tests run inside a transaction that never commits, so they run the commit
# callbacks as a commit would (``committed``), except one that commits for real.


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_month_nobody_changed_is_answered_from_the_cache(
    client, cast, django_assert_max_num_queries
):
    month = Month(cast)
    month.add(20)
    client.force_login(cast.content)
    count, first = queries(client)
    assert count == QUERIES
    with django_assert_max_num_queries(QUERIES_KEPT) as for_few:
        again = fetch(client)
    assert len(for_few) == QUERIES_KEPT
    assert again.json() == first.json()
    month.add(1980)
    assert len(post_events(fetch(client))) == 2000
    with django_assert_max_num_queries(QUERIES_KEPT) as for_many:
        many = fetch(client)
    assert len(for_many) == QUERIES_KEPT  # no query of posts, nor of any version
    assert len(post_events(many)) == 2000


def test_a_browser_gets_the_kept_answer_compressed(client, cast):
    Month(cast).add(200)
    client.force_login(cast.content)
    plain = fetch(client)
    compressed = fetch(client, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content
    assert fetch(client).content == plain.content  # uncompressed for who cannot read it


def test_an_answer_kept_under_an_older_version_is_not_served(client, cast):
    post = Month(cast).add(200)[0]
    client.force_login(cast.content)
    fetch(client)
    # A write past the services (no audit event, no bump): the kept answer still shows...
    Post.objects.filter(pk=post.pk).update(title="Behind its back")
    assert by_id(fetch(client), post)["title"] == str(post)
    # ...until the version moves on: what was kept under the old one is never read again.
    calendar_cache.bump(cast.workspace.pk)
    assert by_id(fetch(client), post)["title"] == "Behind its back"


def test_a_lost_version_counter_starts_again_elsewhere(client, cast):
    post = Month(cast).add(200)[0]
    client.force_login(cast.content)
    fetch(client)
    before = calendar_cache.version(cast.workspace.pk)
    Post.objects.filter(pk=post.pk).update(title="Behind its back")
    cache.delete(calendar_cache.key(cast.workspace.pk))  # Redis restarted, key evicted
    assert calendar_cache.version(cast.workspace.pk) != before
    assert by_id(fetch(client), post)["title"] == "Behind its back"
    calendar_cache.bump(cast.workspace.pk)  # a bump on a missing counter also starts one


def test_without_redis_the_calendar_still_answers(client, cast, settings):
    post = Month(cast).add(20)[0]
    client.force_login(cast.content)
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    # Sessions live in the database; the cache is only the calendar's.
    assert by_id(fetch(client), post)["title"] == str(post)
    actions.post_cancel(actor=cast.content, post=post)  # a bump that cannot reach Redis
    assert by_id(fetch(client), post)["extendedProps"]["state"] == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_an_edited_post_shows_at_once_after_a_real_commit(client, cast):
    post = Month(cast).add(50)[5]
    assert post.state == "draft"
    client.force_login(cast.content)
    fetch(client)
    writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=post.version,
        title="Changed",
        body=post.body,
        variants={v.channel_id: "" for v in post.variants.all()},
    )
    assert by_id(fetch(client), post)["title"] == "Changed"


def test_an_edited_post_shows_at_once(client, cast, committed):
    post = Month(cast).add(200)[5]
    client.force_login(cast.content)
    fetch(client)
    with committed():
        writing.post_edit(
            actor=cast.content,
            post=post,
            expected_version=post.version,
            title="Changed",
            body=post.body,
            variants={v.channel_id: "" for v in post.variants.all()},
        )
    assert by_id(fetch(client), post)["title"] == "Changed"


def test_a_post_moved_in_the_calendar_shows_at_once(client, cast, committed, now):
    post = Month(cast).add(200)[5]
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["start"] == "2027-03-01T02:25"
    with committed():
        moved = client.post(f"/posts/{post.pk}/move/", {"when": "2027-03-20T11:00"})
    assert moved.status_code == 200, moved.json()
    assert by_id(fetch(client), post)["start"] == "2027-03-20T11:00"


def test_a_state_change_by_the_engine_shows_at_once(client, cast, committed):
    post = Month(cast).add(200)[2]
    assert post.state == "approved"
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["extendedProps"]["state"] == "approved"
    with committed():
        post_engine_transition(post=post, action=Action.START_PUBLISHING)
    assert by_id(fetch(client), post)["extendedProps"]["state"] == "publishing"


def test_a_cancelled_post_shows_at_once(client, cast, committed):
    post = Month(cast).add(200)[0]
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["editable"] is True
    with committed():
        actions.post_cancel(actor=cast.content, post=post, reason="Not this month")
    event = by_id(fetch(client), post)
    assert (event["extendedProps"]["state"], event["editable"]) == ("cancelled", False)


def test_a_campaign_colour_change_shows_at_once(client, cast, committed):
    month = Month(cast)
    post = month.add(200)[0]
    campaign = month.campaigns[0]
    assert post.campaign == campaign
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["backgroundColor"] == "#aa3300"
    with committed():
        services.campaign_save(
            actor=cast.marketing,
            workspace=cast.workspace,
            campaign=campaign,
            name=campaign.name,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            colour="#0b3d91",
        )
    response = fetch(client)
    assert by_id(response, post)["backgroundColor"] == "#0b3d91"
    (span,) = [e for e in response.json() if e["id"] == f"campaign-{campaign.pk}"]
    assert (span["backgroundColor"], span["textColor"]) == ("#0b3d91", "#ffffff")


def test_a_role_change_shows_at_once(client, cast, committed):
    draft = Month(cast).add(200)[0]
    assert draft.state == "draft"
    client.force_login(cast.viewer)
    assert by_id(fetch(client), draft)["editable"] is False
    membership = cast.viewer.memberships.get(workspace=cast.workspace)
    with committed():
        member_change_role(
            actor=cast.admin,
            workspace=cast.workspace,
            membership_id=membership.pk,
            role=Role.CONTENT_MANAGER,
        )
    client.force_login(
        cast.viewer
    )  # a content manager gives a second factor (accounts/two_factor.py)
    assert by_id(fetch(client), draft)["editable"] is True


def test_a_removed_assignee_keeps_their_name_on_posts(client, cast, committed):
    post = Month(cast).add(200)[1]
    assert post.assignee == cast.content2
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["extendedProps"]["assignee"] == "Content2"
    membership = cast.content2.memberships.get(workspace=cast.workspace)
    with committed():
        member_remove(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)
    assert by_id(fetch(client), post)["extendedProps"]["assignee"] == "Content2"


def test_a_renamed_assignee_shows_at_once(client, cast, committed):
    post = Month(cast).add(200)[1]
    assert post.assignee == cast.content2
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["extendedProps"]["assignee"] == "Content2"
    with committed():
        user_update_preferences(
            user=cast.content2, full_name="Camille", time_zone="Europe/Paris", language="en"
        )
    assert by_id(fetch(client), post)["extendedProps"]["assignee"] == "Camille"


def test_a_change_of_time_zone_shows_at_once(client, cast, committed):
    post = Month(cast).add(200)[30]
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["start"] == "2027-03-01T14:30"
    with committed():
        user_update_preferences(
            user=cast.content, full_name="Content", time_zone="America/New_York", language="en"
        )
    assert by_id(fetch(client), post)["start"] == "2027-03-01T08:30"


def test_a_change_of_language_shows_at_once(client, cast, committed):
    post = Month(cast).add(200)[0]
    client.force_login(cast.content)
    assert by_id(fetch(client), post)["extendedProps"]["stateLabel"] == "Draft"
    with committed():
        user_update_preferences(
            user=cast.content, full_name="Content", time_zone="Europe/Paris", language="fr"
        )
    with translation.override("fr"):
        french = str(State.DRAFT.label)  # "Brouillon" once the catalogue is compiled
    assert by_id(fetch(client), post)["extendedProps"]["stateLabel"] == french


def test_a_removed_member_is_not_served_what_was_kept_for_them(client, cast, committed):
    Month(cast).add(20)
    client.force_login(cast.viewer)
    assert len(post_events(fetch(client))) == 20  # now kept for them
    membership = cast.viewer.memberships.get(workspace=cast.workspace)
    with committed():
        member_remove(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)
    assert fetch(client).json() == []


def test_a_member_of_two_workspaces_sees_the_one_they_switch_to(client, cast, other, committed):
    from accounts.services import user_switch_workspace
    from tests.factories import MembershipFactory, PostFactory

    Month(cast).add(20)
    theirs = PostFactory(workspace=other.workspace, author=other.content, scheduled_at=FIRST)
    MembershipFactory(user=cast.viewer, workspace=other.workspace, role=Role.VIEWER)
    client.force_login(cast.viewer)
    assert len(post_events(fetch(client))) == 20
    user_switch_workspace(user=cast.viewer, workspace_id=other.workspace.pk)
    assert [e["id"] for e in post_events(fetch(client))] == [str(theirs.pk)]
    user_switch_workspace(user=cast.viewer, workspace_id=cast.workspace.pk)
    assert len(post_events(fetch(client))) == 20


def test_what_is_kept_for_one_member_is_not_served_to_another(client, cast):
    draft = Month(cast).add(20)[0]
    client.force_login(cast.content)
    assert by_id(fetch(client), draft)["editable"] is True
    client.force_login(cast.viewer)
    assert by_id(fetch(client), draft)["editable"] is False


def test_someone_whose_workspace_is_not_remembered_is_answered_afresh_each_time(client, cast):
    Month(cast).add(20)
    cast.viewer.current_workspace = None
    cast.viewer.save(update_fields=["current_workspace"])
    client.force_login(cast.viewer)
    for _ in range(2):
        count, response = queries(client)
        assert count == QUERIES
        assert len(post_events(response)) == 20
