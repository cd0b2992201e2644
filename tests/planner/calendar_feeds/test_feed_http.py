"""The feed's address over HTTP: who gets what (only what the owner may see now), the
window, and caching that answers 304 without building the feed, yet never hides a change."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from accounts.models import Role
from accounts.services import member_change_role, member_remove
from planner import calendar_cache
from planner.approvals import chains
from planner.calendar_feeds import key_dates, links, validators
from planner.models import FeedLink, KeyDate, Post
from planner.planning import services
from planner.posts import actions, scheduling, writing
from tests.factories import CampaignFactory, ChannelFactory, PostFactory
from tests.planner.calendar_feeds.feed_helpers import NOW, Plan, by_icalendar, feed_path, subscribe

pytestmark = pytest.mark.django_db

# A 304 reads the link (by its token's hash), nothing else whatever the size of the feed:
# the aggregate it was told last time is kept under the workspace's write counter.
QUERIES_304 = 1
# Asked afresh (after a write), the aggregate is one query more.
QUERIES_304_AFTER_A_WRITE = 2


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def plan(cast, other, clock):
    return Plan(cast, other)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a service does after its commit (the test's transaction never commits):
    above all, move the workspace's write counter on (planner.calendar_cache)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def uids(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    return set(by_icalendar(response.content))


def uid(post) -> str:
    return f"{post.uid}@maillon"


def post_uids(response) -> set[str]:
    return {u for u in uids(response) if not u.startswith("campaign-")} - key_date_uids()


def key_date_uids() -> set[str]:
    return {f"{u}@maillon" for u in KeyDate.objects.values_list("uid", flat=True)}


# --- the answer ---------------------------------------------------------------------------------


def test_the_feed_is_text_calendar_kept_private_and_not_indexed(client, cast, plan):
    response = client.get(subscribe(cast.content, cast.workspace))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Content-Disposition" not in response
    assert response["ETag"].startswith('"') and response["Last-Modified"]


def test_the_whole_workspace_shows_every_post_with_a_time_in_the_window(client, cast, plan):
    shown = post_uids(client.get(subscribe(cast.viewer, cast.workspace)))
    assert shown == {uid(post) for post in plan.shown_posts}


def test_a_campaign_feed_shows_its_posts_and_span_only(client, cast, plan):
    path = subscribe(cast.viewer, cast.workspace, "campaign", campaign=plan.spring)
    everything = uids(client.get(path))
    assert {u for u in everything if u.endswith("@maillon")} - key_date_uids() == {uid(plan.launch)}
    assert f"campaign-{plan.spring.pk}@127.0.0.1" in everything


def test_a_channel_feed_shows_the_posts_going_out_on_it(client, cast, plan):
    path = subscribe(cast.viewer, cast.workspace, "channel", channel=plan.bluesky)
    assert post_uids(client.get(path)) == {uid(plan.launch), uid(plan.untitled)}


def test_my_posts_are_those_i_wrote_or_am_assigned(client, cast, plan):
    mine = PostFactory(workspace=cast.workspace, author=cast.contributor, title="Mine")
    given = PostFactory(workspace=cast.workspace, author=cast.admin, assignee=cast.contributor)
    path = subscribe(cast.contributor, cast.workspace, "mine")
    assert post_uids(client.get(path)) == {uid(mine), uid(given)}


def test_what_waits_on_me_is_the_waiting_for_me_queue(client, cast, plan):
    assert post_uids(client.get(subscribe(cast.marketing, cast.workspace, "waiting"))) == {
        uid(plan.in_review)
    }
    # The author of a post never waits on it (four eyes), even as an approver.
    written = PostFactory(workspace=cast.workspace, author=cast.marketing2)
    actions.post_submit(actor=cast.marketing2, post=written)
    assert post_uids(client.get(subscribe(cast.marketing2, cast.workspace, "waiting"))) == {
        uid(plan.in_review)
    }


def test_a_role_that_approves_nothing_cannot_make_a_waiting_feed(cast):
    from planner.errors import NotAllowed

    with pytest.raises(NotAllowed):
        links.feed_link_create(actor=cast.content, workspace=cast.workspace, scope="waiting")


# --- only what the owner may see now --------------------------------------------------------------


def test_an_unknown_or_malformed_token_is_not_found(client, plan):
    assert client.get(feed_path("x" * 43)).status_code == 404
    assert client.get("/feeds/not.a.token.ics").status_code == 404


def test_a_revoked_link_is_not_found(client, cast, plan):
    link, token = links.feed_link_create(
        actor=cast.content, workspace=cast.workspace, scope="workspace"
    )
    assert client.get(feed_path(token)).status_code == 200
    links.feed_link_revoke(actor=cast.content, link=link)
    assert client.get(feed_path(token)).status_code == 404
    assert client.head(feed_path(token)).status_code == 404


def test_a_regenerated_link_answers_at_its_new_address_only(client, cast, plan):
    link, old = links.feed_link_create(
        actor=cast.content, workspace=cast.workspace, scope="workspace"
    )
    _link, new = links.feed_link_regenerate(actor=cast.content, link=link)
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200


def test_a_removed_members_links_are_not_found(client, cast, plan):
    path = subscribe(cast.content, cast.workspace)
    membership = cast.content.memberships.get(workspace=cast.workspace)
    member_remove(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)
    assert client.get(path).status_code == 404


def test_a_deactivated_persons_links_are_not_found(client, cast, plan):
    path = subscribe(cast.content, cast.workspace)
    cast.content.is_active = False
    cast.content.save()
    assert client.get(path).status_code == 404


def test_a_link_into_a_workspace_its_owner_is_not_in_is_not_found(client, cast, other, plan):
    # Not something the services make; made by hand, it still shows nothing.
    _link, token = links.feed_link_create(
        actor=other.admin, workspace=other.workspace, scope="workspace"
    )
    FeedLink.objects.filter(user=other.admin).update(workspace=cast.workspace)
    assert client.get(feed_path(token)).status_code == 404


def test_another_workspaces_campaign_or_channel_is_refused_when_making_a_link(cast, other):
    from planner.errors import NotFound

    with pytest.raises(NotFound):
        links.feed_link_create(
            actor=cast.content,
            workspace=cast.workspace,
            scope="campaign",
            campaign=CampaignFactory(workspace=other.workspace),
        )
    with pytest.raises(NotFound):
        links.feed_link_create(
            actor=cast.content,
            workspace=cast.workspace,
            scope="channel",
            channel=ChannelFactory(workspace=other.workspace),
        )


def test_a_link_pointed_at_another_workspaces_campaign_shows_none_of_it(client, cast, other):
    theirs = CampaignFactory(workspace=other.workspace)
    PostFactory(workspace=other.workspace, author=other.content, campaign=theirs)
    link, token = links.feed_link_create(
        actor=cast.content,
        workspace=cast.workspace,
        scope="campaign",
        campaign=CampaignFactory(workspace=cast.workspace),
    )
    FeedLink.objects.filter(pk=link.pk).update(campaign=theirs)  # by hand, past the service
    assert uids(client.get(feed_path(token))) == set()


def test_a_role_change_narrows_what_waits_on_me(client, cast, plan, committed):
    path = subscribe(cast.marketing, cast.workspace, "waiting")
    before = client.get(path)
    assert post_uids(before) == {uid(plan.in_review)}
    membership = cast.marketing.memberships.get(workspace=cast.workspace)
    with committed():
        member_change_role(
            actor=cast.admin,
            workspace=cast.workspace,
            membership_id=membership.pk,
            role=Role.CONTENT_MANAGER,
        )
    after = client.get(path, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert post_uids(after) == set()


def test_a_decision_that_moves_the_step_on_moves_the_waiting_feed_on(client, cast, plan, committed):
    """Approving the first of two steps changes no post row, yet the post now waits for
    someone else: the feed must not answer 304."""
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=None,
        steps=[(Role.MARKETING, "any", []), (Role.ADMIN, "any", [])],
    )
    post = PostFactory(workspace=cast.workspace, author=cast.content, title="Two steps")
    actions.post_submit(actor=cast.content, post=post)
    path = subscribe(cast.marketing, cast.workspace, "waiting")
    before = client.get(path)
    assert uid(post) in post_uids(before)
    with committed():
        actions.post_decide(
            actor=cast.marketing2,
            post=post,
            decision="approve",
            expected_version=1,
            step_position=1,
        )
    after = client.get(path, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert uid(post) not in post_uids(after)


# --- the window -----------------------------------------------------------------------------------


def test_the_window_runs_from_90_days_back_to_365_ahead_by_default(client, cast, clock):
    def at(days: float):
        return PostFactory(
            workspace=cast.workspace,
            author=cast.content,
            scheduled_at=NOW + dt.timedelta(days=days),
        )

    inside = [at(-89), at(-1), at(364)]
    outside = [at(-92), at(367)]
    shown = post_uids(client.get(subscribe(cast.content, cast.workspace)))
    assert shown == {uid(post) for post in inside}
    assert not shown & {uid(post) for post in outside}


def test_each_link_has_its_own_window(client, cast, clock):
    soon = PostFactory(
        workspace=cast.workspace, author=cast.content, scheduled_at=NOW + dt.timedelta(days=5)
    )
    PostFactory(
        workspace=cast.workspace, author=cast.content, scheduled_at=NOW + dt.timedelta(days=40)
    )
    PostFactory(
        workspace=cast.workspace, author=cast.content, scheduled_at=NOW - dt.timedelta(days=10)
    )
    path = subscribe(cast.content, cast.workspace, days_back=7, days_ahead=30)
    assert post_uids(client.get(path)) == {uid(soon)}


def test_the_window_moves_with_the_days(client, cast, clock):
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, scheduled_at=NOW + dt.timedelta(days=1)
    )
    path = subscribe(cast.content, cast.workspace, days_back=2, days_ahead=30)
    first = client.get(path)
    assert post_uids(first) == {uid(post)}
    clock.shift(dt.timedelta(days=4))
    later = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert later.status_code == 200
    assert post_uids(later) == set()


def test_campaigns_and_key_dates_outside_the_window_are_left_out(client, cast, plan):
    CampaignFactory(
        workspace=cast.workspace,
        name="Long gone",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
    )
    shown = uids(client.get(subscribe(cast.content, cast.workspace)))
    assert f"{plan.far_key_date.uid}@maillon" not in shown
    assert f"{plan.fair.uid}@maillon" in shown
    assert [u for u in shown if u.startswith("campaign-")] == [
        f"campaign-{plan.spring.pk}@127.0.0.1"
    ]


# --- caching: 304s without building the feed, never hiding a change -------------------------------


def test_a_repeat_with_its_etag_is_not_modified(client, cast, plan):
    path = subscribe(cast.content, cast.workspace)
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private, no-cache"


def test_a_repeat_with_its_last_modified_is_not_modified(client, cast, plan, clock):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(minutes=10))  # past the settling of the last change
    first = client.get(path)
    clock.shift(dt.timedelta(minutes=10))
    again = client.get(path, headers={"If-Modified-Since": first["Last-Modified"]})
    assert again.status_code == 304
    assert again["Last-Modified"] == first["Last-Modified"]


def test_head_answers_the_headers_without_a_body(client, cast, plan):
    path = subscribe(cast.content, cast.workspace)
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == got["ETag"]
    assert head["Content-Type"] == "text/calendar; charset=utf-8"
    assert client.head(path, headers={"If-None-Match": got["ETag"]}).status_code == 304


def test_a_post_is_not_accepted(client, cast, plan):
    assert client.post(subscribe(cast.content, cast.workspace)).status_code == 405


CHANGES = {
    "an edit": lambda plan, cast: writing.post_edit(
        actor=cast.content,
        post=plan.untitled,
        expected_version=1,
        title="",
        body="Edited.",
        variants={plan.bluesky.pk: ""},
    ),
    "a move out of the window": lambda plan, cast: scheduling.post_reschedule(
        actor=cast.content, post=plan.untitled, scheduled_at=NOW + dt.timedelta(days=500)
    ),
    "a cancellation": lambda plan, cast: actions.post_cancel(actor=cast.content, post=plan.launch),
    "a campaign renamed": lambda plan, cast: services.campaign_save(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=plan.spring,
        name="Spring renamed",
        starts_on=plan.spring.starts_on,
        ends_on=plan.spring.ends_on,
    ),
    "a channel renamed": lambda plan, cast: services.channel_save(
        actor=cast.admin,
        workspace=cast.workspace,
        channel=plan.mastodon,
        kind=plan.mastodon.kind,
        name="Mastodon renamed",
    ),
    "a key date removed": lambda plan, cast: key_dates.key_date_remove(
        actor=cast.admin, key_date=plan.press_call
    ),
    "a post deleted": lambda plan, cast: delete(plan.approved),
}


def delete(post):
    """Through the admin, as a service would write it (no service deletes a post): the
    row goes, and an audited write moves the workspace's counter on after its commit."""
    from planner import audit

    post.publications.all().delete()
    audit.record(workspace=post.workspace, actor=None, action="post.deleted", target=str(post))
    post.delete()


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_gives_a_new_etag_and_a_later_last_modified(
    client, cast, plan, clock, committed, name
):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(minutes=10))
    first = client.get(path)
    assert client.get(path, headers={"If-None-Match": first["ETag"]}).status_code == 304
    clock.shift(dt.timedelta(seconds=1))
    with committed():
        CHANGES[name](plan, cast)
    by_etag = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert by_etag.status_code == 200
    assert by_etag["ETag"] != first["ETag"]
    by_date = client.get(path, headers={"If-Modified-Since": first["Last-Modified"]})
    assert by_date.status_code == 200
    assert by_date.content == by_etag.content


def test_two_changes_in_the_same_second_still_move_last_modified_on(
    client, cast, plan, clock, committed
):
    path = subscribe(cast.content, cast.workspace)
    first = client.get(path)
    with committed():  # no newer updated_at anywhere, the same second
        key_dates.key_date_remove(actor=cast.admin, key_date=plan.press_call)
    again = client.get(path, headers={"If-Modified-Since": first["Last-Modified"]})
    assert again.status_code == 200
    assert again["Last-Modified"] == http_date(NOW.timestamp() + 1)


def test_a_late_commit_with_an_older_time_is_not_hidden_by_a_304(client, cast, plan, clock):
    """A transaction that began first may commit last, with an older updated_at than the
    newest already seen: while changes are recent, the ETag carries the write counter."""
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(seconds=30))
    first = client.get(path)
    # As a slower transaction would: what it wrote a minute ago commits only now.
    Post.objects.filter(pk=plan.untitled.pk).update(
        title="Late", updated_at=NOW - dt.timedelta(minutes=1)
    )
    calendar_cache.bump(cast.workspace.pk)  # what its commit does (audit.record)
    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert by_icalendar(again.content)[uid(plan.untitled)]["summary"] == "Late"


def test_a_write_that_bypasses_the_services_shows_within_minutes(client, cast, plan, clock):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(minutes=10))
    first = client.get(path)
    plan.press_call.delete()  # by hand, in a shell: no audited write, no counter moved
    clock.shift(validators.KEEP_FINGERPRINT - dt.timedelta(seconds=1))
    assert client.get(path, headers={"If-None-Match": first["ETag"]}).status_code == 304
    clock.shift(dt.timedelta(seconds=2))
    later = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert later.status_code == 200
    assert f"{plan.press_call.uid}@maillon" not in uids(later)


def test_a_304_costs_one_query_however_big_the_feed(
    client, cast, plan, clock, committed, django_assert_max_num_queries
):
    path = subscribe(cast.content, cast.workspace)
    counted = []
    for more in (0, 60):
        with committed():
            for i in range(more):
                writing.post_create(
                    actor=cast.content,
                    workspace=cast.workspace,
                    body=f"Post {i}",
                    variants={plan.mastodon.pk: ""},
                    scheduled_at=NOW + dt.timedelta(days=1, hours=i),
                )
        clock.shift(dt.timedelta(minutes=3))  # past the settling of the last change
        etag = client.get(path)["ETag"]
        with (
            django_assert_max_num_queries(QUERIES_304),
            CaptureQueriesContext(connection) as queries,
        ):
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_after_a_write_a_304_costs_one_aggregate_more_and_reads_no_post(
    client, cast, plan, clock, committed, django_assert_max_num_queries
):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(minutes=3))
    etag = client.get(path)["ETag"]
    with committed():  # a write elsewhere in the workspace: the counter moves on
        actions.comment_add(actor=cast.content, post=plan.launch, body="Nice.")
    with (
        django_assert_max_num_queries(QUERIES_304_AFTER_A_WRITE),
        CaptureQueriesContext(connection) as queries,
    ):
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # The validators come from counts and times: no post's text or title is read.
    assert not any('"body"' in q["sql"] or '"title"' in q["sql"] for q in queries)


def test_the_etag_does_not_depend_on_the_feed_being_built(client, cast, plan, clock):
    path = subscribe(cast.content, cast.workspace)
    clock.shift(dt.timedelta(minutes=10))
    head = client.head(path)["ETag"]
    assert client.get(path)["ETag"] == head


def test_the_feed_remembers_when_it_was_last_fetched_at_most_hourly(client, cast, plan, clock):
    link, token = links.feed_link_create(actor=cast.content, workspace=cast.workspace, scope="mine")
    assert link.last_used_at is None
    client.get(feed_path(token))
    link.refresh_from_db()
    assert link.last_used_at == NOW
    clock.shift(dt.timedelta(minutes=30))
    client.get(feed_path(token))
    link.refresh_from_db()
    assert link.last_used_at == NOW
    clock.shift(dt.timedelta(minutes=31))
    client.get(feed_path(token))
    link.refresh_from_db()
    assert link.last_used_at == NOW + dt.timedelta(minutes=61)


def test_without_redis_the_feed_answers_with_an_etag_and_no_last_modified(
    client, cast, plan, clock, settings
):
    path = subscribe(cast.content, cast.workspace)
    waiting = subscribe(cast.marketing, cast.workspace, "waiting")
    clock.shift(dt.timedelta(minutes=3))  # past the settling of the last change
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    first = client.get(path)
    assert first.status_code == 200
    assert "Last-Modified" not in first
    assert client.get(path, headers={"If-None-Match": first["ETag"]}).status_code == 304
    # Whose turn it is needs the write counter: no validator at all, always the feed.
    answer = client.get(waiting)
    assert answer.status_code == 200
    assert "ETag" not in answer and "Last-Modified" not in answer


@pytest.mark.parametrize("scope", ["workspace", "campaign", "channel", "mine", "waiting"])
def test_the_fingerprint_counts_the_rows_the_feed_reads(cast, plan, clock, scope):
    """The fingerprint is SQL of its own (fast to compose): it must see the same posts and
    key dates as the feed's queries, scope by scope."""
    from django.db.models import Max

    from planner.calendar_feeds import content

    PostFactory(workspace=cast.workspace, author=cast.marketing, assignee=cast.admin)
    target = {"campaign": {"campaign": plan.spring}, "channel": {"channel": plan.bluesky}}
    link, _token = links.feed_link_create(
        actor=cast.admin, workspace=cast.workspace, scope=scope, **target.get(scope, {})
    )
    window = content.window_of(link, NOW.date())
    found = validators.fingerprint(link, window)
    posts = content.scoped_posts(link, window)
    dates = content.key_dates_in(cast.workspace.pk, window)
    assert found.role == "admin"
    assert found.numbers[0] == posts.count() > 0
    assert found.numbers[1] == posts.aggregate(at=Max("updated_at"))["at"]
    assert found.numbers[6] == dates.count() == 2
    assert found.numbers[7] == dates.aggregate(at=Max("updated_at"))["at"]
