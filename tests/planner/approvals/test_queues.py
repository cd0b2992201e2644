"""The work queues: who finds which post where, at a fixed cost, and the pages that show them."""

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import workspace_update_settings
from planner import calendar_cache
from planner.approvals import chains, queues
from planner.models import Post, StepMode
from planner.posts import actions, writing
from planner.workflow import State
from tests.factories import CampaignFactory, ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 5, 10, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def in_review(cast, author=None, **fields):
    post = PostFactory(workspace=cast.workspace, author=author or cast.content, **fields)
    return actions.post_submit(actor=author or cast.content, post=post)


def approve(actor, post, step=1):
    return actions.post_decide(
        actor=actor,
        post=post,
        decision="approve",
        expected_version=post.version,
        step_position=step,
    )


def chain(cast, *steps, campaign=None):
    chains.approval_chain_set(
        actor=cast.admin, workspace=cast.workspace, campaign=campaign, steps=list(steps)
    )


def waiting(cast, user):
    role = user.memberships.get(workspace=cast.workspace).role
    return [row.post.pk for row in queues.waiting_for(user, cast.workspace, role)]


# --- waiting for me -------------------------------------------------------------------------


def test_a_post_in_review_waits_for_every_marketer_and_nobody_else(cast):
    post = in_review(cast)
    assert waiting(cast, cast.marketing) == waiting(cast, cast.marketing2) == [post.pk]
    for person in (cast.admin, cast.content, cast.content2, cast.contributor, cast.viewer):
        assert waiting(cast, person) == [], person


def test_drafts_and_decided_posts_wait_for_nobody(cast, draft):
    post = approve(cast.marketing, in_review(cast))
    assert post.state == State.APPROVED
    assert waiting(cast, cast.marketing2) == []


def test_a_step_with_named_approvers_waits_for_them_only(cast):
    chain(cast, (Role.MARKETING, StepMode.ANY, [cast.marketing2]))
    post = in_review(cast)
    assert waiting(cast, cast.marketing) == []
    assert waiting(cast, cast.marketing2) == [post.pk]


def test_nobody_waits_on_a_post_they_wrote(cast):
    post = in_review(cast, author=cast.marketing)
    assert waiting(cast, cast.marketing) == []
    assert waiting(cast, cast.marketing2) == [post.pk]


def test_nobody_waits_on_a_version_they_edited(cast):
    post = in_review(cast)
    post = writing.post_edit(
        actor=cast.marketing2,
        post=post,
        expected_version=post.version,
        title="Edited in review",
        body=post.body,
        variants={v.channel_id: v.text for v in post.variants.all()},
    )
    assert post.state == State.IN_REVIEW
    assert waiting(cast, cast.marketing2) == []
    assert waiting(cast, cast.marketing) == [post.pk]


def test_a_workspace_that_relaxed_four_eyes_lets_authors_find_their_posts(cast):
    workspace_update_settings(actor=cast.admin, workspace=cast.workspace, four_eyes_relaxed=True)
    cast.workspace.refresh_from_db()
    post = in_review(cast, author=cast.marketing)
    assert waiting(cast, cast.marketing) == [post.pk]


def test_an_all_of_them_step_no_longer_waits_for_who_approved(cast):
    chain(cast, (Role.MARKETING, StepMode.ALL, []))
    post = approve(cast.marketing, in_review(cast))
    assert post.state == State.IN_REVIEW
    assert waiting(cast, cast.marketing) == []
    assert waiting(cast, cast.marketing2) == [post.pk]


def test_the_second_step_waits_for_its_role_since_the_first_was_approved(cast, now):
    campaign = CampaignFactory(workspace=cast.workspace)
    chain(
        cast,
        (Role.MARKETING, StepMode.ANY, []),
        (Role.ADMIN, StepMode.ANY, []),
        campaign=campaign,
    )
    post = in_review(cast, campaign=campaign)
    assert (waiting(cast, cast.marketing), waiting(cast, cast.admin)) == ([post.pk], [])
    now.move_to(NOW + dt.timedelta(hours=3))
    approve(cast.marketing, post)
    assert (waiting(cast, cast.marketing), waiting(cast, cast.admin)) == ([], [post.pk])
    (row,) = queues.waiting_for(cast.admin, cast.workspace, Role.ADMIN)
    assert (row.step.position, row.steps, row.since) == (2, 2, NOW + dt.timedelta(hours=3))


def test_the_oldest_wait_comes_first(cast, now):
    first = in_review(cast)
    now.move_to(NOW + dt.timedelta(hours=1))
    second = in_review(cast)
    assert waiting(cast, cast.marketing) == [first.pk, second.pk]


def test_another_workspaces_posts_never_wait_here(cast, other):
    theirs = in_review(other)
    assert waiting(cast, cast.marketing) == []
    assert waiting(other, other.marketing) == [theirs.pk]


def many_in_review(cast, count):
    """Posts in review under each kind of chain: the default, a campaign's own with
    named approvers, and an "all of them" step (which needs the members)."""
    campaign = CampaignFactory(workspace=cast.workspace)
    chain(cast, (Role.MARKETING, StepMode.ALL, []))
    chain(cast, (Role.MARKETING, StepMode.ANY, [cast.marketing]), campaign=campaign)
    for i in range(count):
        in_review(cast, campaign=campaign if i % 2 else None)


def test_waiting_for_me_costs_the_same_for_3_posts_as_for_30(cast, django_assert_max_num_queries):
    many_in_review(cast, 3)
    with django_assert_max_num_queries(7) as few:
        assert len(queues.waiting_for(cast.marketing, cast.workspace, Role.MARKETING)) == 3
    many_in_review(cast, 27)
    with django_assert_max_num_queries(7) as many:
        assert len(queues.waiting_for(cast.marketing, cast.workspace, Role.MARKETING)) == 30
    assert len(few) == len(many)


# --- my drafts ----------------------------------------------------------------------------


def test_my_drafts_are_those_i_wrote_or_am_assigned(cast, other):
    mine = PostFactory(workspace=cast.workspace, author=cast.content)
    assigned = PostFactory(workspace=cast.workspace, author=cast.content2, assignee=cast.content)
    PostFactory(workspace=cast.workspace, author=cast.content2)  # someone else's
    in_review(cast)  # mine, but no longer a draft
    PostFactory(workspace=other.workspace, author=other.content, assignee=other.content)
    found = [p.pk for p in queues.drafts_of(cast.content, cast.workspace)]
    assert sorted(found) == sorted([mine.pk, assigned.pk])


def test_my_drafts_cost_one_query_for_3_as_for_30(cast, django_assert_num_queries):
    for count in (3, 27):
        for _ in range(count):
            PostFactory(workspace=cast.workspace, author=cast.content)
        with django_assert_num_queries(1):
            posts = list(queues.drafts_of(cast.content, cast.workspace))
            [str(p.campaign) for p in posts]


# --- changes requested ----------------------------------------------------------------------


def send_back(cast, post, comment="Shorter, please."):
    return actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="request_changes",
        expected_version=post.version,
        step_position=1,
        comment=comment,
    )


def test_a_post_sent_back_shows_to_its_author_and_assignee_with_the_request(cast):
    post = send_back(cast, in_review(cast, assignee=cast.content2), "Add the price.")
    for person in (cast.content, cast.content2):
        (row,) = queues.sent_back_to(person, cast.workspace)
        assert (row.post.pk, row.comment, row.by, row.at) == (
            post.pk,
            "Add the price.",
            "Marketing",
            NOW,
        )
    assert queues.sent_back_to(cast.marketing, cast.workspace) == []


def test_the_latest_request_is_the_one_shown(cast, now):
    post = send_back(cast, in_review(cast), "First round.")
    now.move_to(NOW + dt.timedelta(hours=1))
    post = actions.post_submit(actor=cast.content, post=post)
    send_back(cast, post, "Second round.")
    (row,) = queues.sent_back_to(cast.content, cast.workspace)
    assert row.comment == "Second round."


def test_changes_requested_cost_one_query_for_3_as_for_30(cast, django_assert_num_queries):
    for count in (3, 27):
        for _ in range(count):
            send_back(cast, in_review(cast))
        with django_assert_num_queries(1):
            rows = queues.sent_back_to(cast.content, cast.workspace)
            [str(row.post.campaign) for row in rows]
    assert len(rows) == 30


# --- at risk ------------------------------------------------------------------------------


def due_in(cast, hours, **fields):
    fields.setdefault("author", cast.content)
    return PostFactory(
        workspace=cast.workspace, scheduled_at=NOW + dt.timedelta(hours=hours), **fields
    )


def at_risk(cast, user):
    role = user.memberships.get(workspace=cast.workspace).role
    return queues.at_risk_for(user, cast.workspace, role)


def test_posts_due_soon_and_not_approved_are_at_risk_for_everyone(cast, other):
    soon = due_in(cast, 5)
    late = due_in(cast, -20)  # its time passed, by less than a day
    reviewing = in_review(cast, scheduled_at=NOW + dt.timedelta(hours=30))
    approve(cast.marketing, in_review(cast, scheduled_at=NOW + dt.timedelta(hours=6)))
    due_in(cast, 49)  # beyond the workspace's 48 hours
    due_in(cast, -25)  # more than a day late
    due_in(cast, 3, state=State.CANCELLED)
    due_in(cast, 3, state=State.PUBLISHED, approved_version=1)
    PostFactory(workspace=cast.workspace, author=cast.content, scheduled_at=None)
    PostFactory(
        workspace=other.workspace, author=other.content, scheduled_at=NOW + dt.timedelta(hours=1)
    )
    expected = [late.pk, soon.pk, reviewing.pk]
    for person in (cast.viewer, cast.content2, cast.admin):
        assert [row.post.pk for row in at_risk(cast, person)] == expected


def test_at_risk_follows_the_workspaces_hours(cast):
    post = due_in(cast, 60)
    assert at_risk(cast, cast.viewer) == []
    workspace_update_settings(actor=cast.admin, workspace=cast.workspace, at_risk_hours=72)
    cast.workspace.refresh_from_db()
    assert [row.post.pk for row in at_risk(cast, cast.viewer)] == [post.pk]


def test_an_approved_post_edited_again_is_at_risk(cast):
    post = approve(cast.marketing, in_review(cast, scheduled_at=NOW + dt.timedelta(hours=6)))
    assert at_risk(cast, cast.viewer) == []
    writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=post.version,
        title="Changed",
        body=post.body,
        variants={v.channel_id: v.text for v in post.variants.all()},
    )
    assert [row.post.pk for row in at_risk(cast, cast.viewer)] == [post.pk]


def test_at_risk_marks_what_concerns_me(cast):
    written = due_in(cast, 5, author=cast.content)
    assigned = due_in(cast, 6, author=cast.content2, assignee=cast.content)
    reviewing = in_review(cast, author=cast.content2, scheduled_at=NOW + dt.timedelta(hours=7))
    marks = {row.post.pk: (row.yours, row.waits_for_you) for row in at_risk(cast, cast.content)}
    assert marks == {
        written.pk: (True, False),
        assigned.pk: (True, False),
        reviewing.pk: (False, False),
    }
    marks = {row.post.pk: (row.yours, row.waits_for_you) for row in at_risk(cast, cast.marketing)}
    assert marks[reviewing.pk] == (False, True)
    assert marks[written.pk] == (False, False)


def test_at_risk_costs_the_same_for_3_posts_as_for_30(cast, django_assert_max_num_queries):
    counts = []
    for count in (3, 27):
        for i in range(count):
            if i % 2:
                in_review(cast, scheduled_at=NOW + dt.timedelta(hours=1 + i))
            else:
                due_in(cast, 1 + i, assignee=cast.content2)
        with django_assert_max_num_queries(7) as captured:
            rows = at_risk(cast, cast.marketing)
            [(str(r.post.campaign), str(r.post.author), str(r.post.assignee)) for r in rows]
        counts.append(len(captured))
    assert len(rows) == 30
    assert counts[0] == counts[1]


# --- at risk: channels that cannot take the post ---------------------------------------------


def channel(cast, name, **fields):
    return ChannelFactory(workspace=cast.workspace, name=name, **fields)


def approved_due_in(cast, hours, channels, title=""):
    post = in_review(
        cast, channels=channels, title=title, scheduled_at=NOW + dt.timedelta(hours=hours)
    )
    return approve(cast.marketing, post)


def test_approved_posts_due_after_an_access_ends_or_on_a_disconnected_channel_are_at_risk(
    cast, other
):
    ends = channel(cast, "Ann on LinkedIn", access_expires_at=NOW + dt.timedelta(days=10))
    broken = channel(cast, "Acme on X", disconnected_at=NOW - dt.timedelta(hours=2))
    fine = channel(cast, "Acme on Mastodon")
    before_the_end = approved_due_in(cast, 24 * 9, [ends])
    after_the_end = approved_due_in(cast, 24 * 30, [ends, fine])  # far beyond the 48 hours
    on_broken = approved_due_in(cast, 24 * 60, [fine, broken])
    unapproved_and_broken = due_in(cast, 5, channels=[broken])
    approved_due_in(cast, 24 * 30, [fine])
    due_in(cast, -30, channels=[broken])  # more than a day late: the engine's business
    due_in(cast, 24 * 30, channels=[broken], state=State.CANCELLED)
    PostFactory(
        workspace=other.workspace,
        author=other.content,
        channels=[ChannelFactory(workspace=other.workspace, disconnected_at=NOW)],
        scheduled_at=NOW + dt.timedelta(days=3),
    )
    rows = at_risk(cast, cast.viewer)
    assert [row.post.pk for row in rows] == [
        unapproved_and_broken.pk,
        after_the_end.pk,
        on_broken.pk,
    ]
    assert before_the_end.pk not in [row.post.pk for row in rows]
    why = {
        row.post.pk: (row.unapproved, [(c.name, c.reason) for c in row.channels]) for row in rows
    }
    assert why == {
        unapproved_and_broken.pk: (True, [("Acme on X", "disconnected")]),
        after_the_end.pk: (False, [("Ann on LinkedIn", "expires")]),
        on_broken.pk: (False, [("Acme on X", "disconnected")]),
    }
    assert queues.count(queues.AT_RISK, cast.viewer, cast.workspace, "viewer") == 3


def test_reconnecting_the_channel_takes_its_posts_off_the_at_risk_queue(cast):
    broken = channel(cast, "Acme on X", disconnected_at=NOW)
    approved_due_in(cast, 24 * 7, [broken])
    assert len(at_risk(cast, cast.viewer)) == 1
    broken.disconnected_at = None
    broken.access_expires_at = NOW + dt.timedelta(days=60)
    broken.save()
    assert at_risk(cast, cast.viewer) == []


def test_the_at_risk_page_says_which_channel_and_why(client, cast):
    ends = channel(
        cast, "Ann on LinkedIn", access_expires_at=dt.datetime(2027, 5, 20, 9, 0, tzinfo=dt.UTC)
    )
    broken = channel(cast, "Acme on X", disconnected_at=NOW)
    approved_due_in(cast, 24 * 30, [ends], title="Summer sale")
    due_in(cast, 5, channels=[broken], title="Tomorrow's news")
    html = unescape(page(client, cast.content, "at-risk").content.decode())
    assert "Summer sale" in html and "Tomorrow's news" in html
    assert (
        "Maillon's access to Ann on LinkedIn ends on 20 May 2027, 11:00, before the "
        "post's time: reconnect it before then." in html
    )
    assert "Acme on X is disconnected: reconnect it or the post will not go out there." in html
    assert html.count("Not approved yet") == 1  # only the post due in 5 hours
    assert "on a channel whose access ends before the post's time" in html


def test_the_at_risk_page_says_it_in_french(client, cast):
    approved_due_in(cast, 24 * 7, [channel(cast, "Acme on X", disconnected_at=NOW)])
    due_in(cast, 5)
    cast.content.language = "fr"
    cast.content.save()
    html = unescape(page(client, cast.content, "at-risk").content.decode())
    assert (
        "Acme on X est déconnecté : reconnectez-le, sinon la publication n'y partira pas." in html
    )
    assert "Pas encore approuvée" in html and ">Pourquoi<" in html


# --- the pages ------------------------------------------------------------------------------


def page(client, user, name):
    client.force_login(user)
    response = client.get(f"/queues/{name}/")
    assert response.status_code == 200
    return response


def test_the_waiting_page_lists_what_waits_with_its_step_and_counts_every_queue(client, cast):
    post = in_review(cast, author=cast.content, title="Spring launch")
    due_in(cast, 5)
    response = page(client, cast.marketing, "waiting")
    html = response.content.decode()
    assert "Spring launch" in html and f'href="/posts/{post.pk}/"' in html
    assert "Step 1 of 1 · Marketing" in html
    counts = {tab["name"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"waiting": 1, "drafts": 0, "changes": 0, "at-risk": 2}
    assert 'aria-label="Waiting for me, 1"' in html
    assert 'aria-current="page"' in html


def test_due_times_show_in_the_viewers_time_zone(client, cast):
    in_review(cast, scheduled_at=dt.datetime(2027, 5, 12, 7, 30, tzinfo=dt.UTC))
    cast.marketing.time_zone = "America/New_York"
    cast.marketing.save(update_fields=["time_zone"])
    html = page(client, cast.marketing, "waiting").content.decode()
    assert 'datetime="2027-05-12T03:30:00-04:00"' in html


def test_the_changes_page_shows_the_request(client, cast):
    send_back(cast, in_review(cast), "Use the new logo.")
    html = page(client, cast.content, "changes").content.decode()
    assert "Use the new logo." in html


def test_the_at_risk_page_marks_my_posts(client, cast):
    due_in(cast, 5, title="Mine")
    due_in(cast, 6, author=cast.content2, title="Theirs")
    response = page(client, cast.content, "at-risk")
    marks = {row.post.title: row.yours for row in response.context["rows"]}
    assert marks == {"Mine": True, "Theirs": False}
    assert response.content.decode().count("Yours") == 1


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("waiting", "Nothing waits for your decision."),
        ("drafts", "You have no drafts."),
        ("changes", "No post of yours was sent back."),
        ("at-risk", "No post is at risk"),
    ],
)
def test_an_empty_queue_says_what_to_do(client, cast, name, says):
    response = page(client, cast.marketing, name)
    assert response.context["rows"] == []
    assert says in response.content.decode()


def test_who_approves_nothing_has_no_waiting_tab_and_is_told_why(client, cast):
    response = page(client, cast.content, "waiting")
    assert [tab["name"] for tab in response.context["tabs"]] == ["drafts", "changes", "at-risk"]
    assert "Your role does not approve posts" in response.content.decode()
    assert client.get("/queues/").url == "/queues/drafts/"
    client.force_login(cast.marketing)
    assert client.get("/queues/").url == "/queues/waiting/"


def test_an_unknown_queue_is_not_found_and_strangers_sign_in_first(client, cast):
    assert client.get("/queues/waiting/").status_code == 302
    client.force_login(cast.marketing)
    assert client.get("/queues/nothing/").status_code == 404


def test_a_queue_page_costs_the_same_for_3_posts_as_for_30(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.marketing)
    counts = []
    for count in (3, 27):
        many_in_review(cast, count)
        calendar_cache.bump(cast.workspace.pk)  # the navigation counts afresh
        with django_assert_max_num_queries(40) as captured:
            assert client.get("/queues/waiting/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- the navigation bar -----------------------------------------------------------------------


def test_approvers_see_what_waits_for_them_in_the_navigation(client, cast):
    in_review(cast)
    in_review(cast)
    client.force_login(cast.marketing)
    html = client.get("/").content.decode()
    assert 'aria-label="Waiting for me, 2"' in html
    assert 'data-testid="queue-link-count">2<' in html


def test_the_others_see_their_drafts_in_the_navigation(client, cast, draft):
    client.force_login(cast.content)
    html = client.get("/").content.decode()
    assert 'href="/queues/drafts/" aria-label="My drafts, 1"' in html
    assert "Waiting for me" not in html


def test_nothing_waiting_shows_no_badge(client, cast):
    client.force_login(cast.admin)
    html = client.get("/").content.decode()
    assert 'aria-label="Waiting for me, 0"' in html
    assert "queue-link-count" not in html


def test_the_navigation_count_costs_the_same_for_3_posts_as_for_30(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.marketing)
    counts = []
    for count in (3, 27):
        many_in_review(cast, count)
        Post.objects.update(scheduled_at=timezone.now() + dt.timedelta(days=30))
        calendar_cache.bump(cast.workspace.pk)  # counted afresh, not kept
        with django_assert_max_num_queries(40) as captured:
            assert client.get("/calendar/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_navigation_count_is_kept_until_a_write_moves_the_workspace_on(
    client, cast, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    in_review(cast)
    client.force_login(cast.marketing)
    assert 'aria-label="Waiting for me, 1"' in client.get("/").content.decode()
    with CaptureQueriesContext(connection) as again:
        assert 'aria-label="Waiting for me, 1"' in client.get("/").content.decode()
    assert not [q for q in again.captured_queries if "planner_approvalchain" in q["sql"]]
    with django_capture_on_commit_callbacks(execute=True):
        in_review(cast)
    assert 'aria-label="Waiting for me, 2"' in client.get("/").content.decode()
