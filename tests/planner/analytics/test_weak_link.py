"""The weak-link report: time in each stage of the chain from the audit trail (median and
90th percentile, per role and per person), approvals overdue now, rework, failures per
channel, and the sentence naming the slowest link."""

import datetime as dt

import pytest

from accounts.models import Role
from planner.analytics import weak_link
from planner.analytics.weak_link import DRAFT, PUBLISH, STEP, StageKey
from planner.models import AuditEvent, Publication, PublicationState
from planner.posts import actions
from planner.workflow import State
from tests.factories import ChannelFactory, PostFactory

pytestmark = [pytest.mark.django_db, pytest.mark.domain]  # SQLite too: `make run` uses it

T0 = dt.datetime(2027, 5, 10, 8, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=5)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def event(clock, post, action, hours, actor=None, **data):
    """An audit event written at T0 + ``hours``, as the service would have written it."""
    clock.move_to(T0 + hours * HOUR, tick=False)
    AuditEvent.objects.create(
        workspace=post.workspace, post=post, actor=actor, action=action, data=data
    )
    clock.move_to(NOW, tick=False)


def decide(clock, post, decision, hours, actor, step, role, to=State.IN_REVIEW):
    event(
        clock,
        post,
        f"post.{decision}",
        hours,
        actor,
        step=step,
        step_role=role,
        state=[State.IN_REVIEW, to],
    )


def approved(clock, post, hours, actor, step, role):
    decide(clock, post, "approve", hours, actor, step, role, to=State.APPROVED)


@pytest.fixture
def history(cast, clock):
    """Three posts through a two-step chain (marketing, then admin), with known times.

    drafting: 2 h, 4 h, 6 h, then 2 h again after changes   -> median 3 h, p90 5.4 h
    step 1 (marketing): 10 h, 30 h, 10 h (changes), 2 h      -> median 10 h, p90 24 h
    step 2 (admin): 2 h, 1 h, 1 h                            -> median 1 h, p90 1.8 h
    approved to published: 6 h, 1 h                         -> median 3.5 h, p90 5.5 h
    """
    M, A = Role.MARKETING, Role.ADMIN
    one, two, three = (PostFactory(workspace=cast.workspace, author=cast.content) for _ in "123")
    event(clock, one, "post.create", 0, cast.content)
    event(clock, one, "post.submit", 2, cast.content)
    decide(clock, one, "approve", 12, cast.marketing, 1, M)
    approved(clock, one, 14, cast.admin, 2, A)
    event(clock, one, "post.mark_published", 20)

    event(clock, two, "post.create", 0, cast.contributor)
    event(clock, two, "post.submit", 4, cast.contributor)
    decide(clock, two, "approve", 34, cast.marketing2, 1, M)
    approved(clock, two, 35, cast.admin, 2, A)
    event(clock, two, "post.mark_published", 36)

    event(clock, three, "post.create", 0, cast.content)
    event(clock, three, "post.submit", 6, cast.content)
    decide(clock, three, "request_changes", 16, cast.marketing, 1, M, to=State.CHANGES_REQUESTED)
    event(clock, three, "post.submit", 18, cast.content)
    decide(clock, three, "approve", 20, cast.marketing, 1, M)
    approved(clock, three, 21, cast.admin, 2, A)
    return one, two, three


def figures(rows, stage, who=""):
    row = next(r for r in rows if r.stage == stage and r.who == who)
    return (row.figures.count, round(row.figures.median_hours, 2), round(row.figures.p90_hours, 2))


STEP1, STEP2 = StageKey(STEP, 1, Role.MARKETING), StageKey(STEP, 2, Role.ADMIN)


def test_percentiles_interpolate_between_ranks():
    assert weak_link.percentile([4, 1, 3, 2], 0.5) == 2.5
    assert weak_link.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert weak_link.percentile([7], 0.9) == 7


def test_each_stage_has_its_median_and_90th_percentile(cast, history):
    report = weak_link.report(cast.workspace, 30)
    assert figures(report.stages, StageKey(DRAFT)) == (4, 3.0, 5.4)
    assert figures(report.stages, STEP1) == (4, 10.0, 24.0)
    assert figures(report.stages, STEP2) == (3, 1.0, 1.8)
    assert figures(report.stages, StageKey(PUBLISH)) == (2, 3.5, 5.5)
    assert [row.stage for row in report.stages] == [
        StageKey(DRAFT),
        STEP1,
        STEP2,
        StageKey(PUBLISH),
    ]


def test_stages_are_split_by_the_role_of_who_ended_them(cast, history):
    rows = weak_link.report(cast.workspace, 30).by_role
    assert figures(rows, StageKey(DRAFT), "Content manager") == (3, 2.0, 5.2)
    assert figures(rows, StageKey(DRAFT), "Contributor") == (1, 4.0, 4.0)
    assert figures(rows, STEP1, "Marketing") == (4, 10.0, 24.0)
    assert figures(rows, STEP2, "Admin") == (3, 1.0, 1.8)
    # The engine publishes: nobody's role is measured for that stage.
    assert not [row for row in rows if row.stage.kind == PUBLISH]


def test_stages_are_split_by_the_person_who_ended_them(cast, history):
    rows = weak_link.report(cast.workspace, 30).by_person
    marketing, marketing2 = cast.marketing.display_name, cast.marketing2.display_name
    assert figures(rows, STEP1, marketing) == (3, 10.0, 10.0)
    assert figures(rows, STEP1, marketing2) == (1, 30.0, 30.0)
    assert figures(rows, StageKey(DRAFT), cast.contributor.display_name) == (1, 4.0, 4.0)


def test_the_sentence_names_the_slowest_stage_against_the_next(cast, history):
    report = weak_link.report(cast.workspace, 30)
    assert report.enough
    # 10 h against 3.5 h (approved to published): 2.9 times, said "3x".
    assert (
        report.sentence
        == "Approval by marketing takes a median of 10 h, 3x the next slowest stage."
    )


def test_the_sentence_gives_a_tenth_when_stages_are_close():
    rows = [
        weak_link.Row(StageKey(DRAFT), "", weak_link.Figures(3, 5.0, 6.0)),
        weak_link.Row(StageKey(PUBLISH), "", weak_link.Figures(3, 4.0, 6.0)),
    ]
    assert (
        weak_link.sentence(rows) == "Drafting takes a median of 5 h, 1.2x the next slowest stage."
    )


def test_durations_read_as_minutes_hours_or_days():
    assert weak_link.duration(0.5) == "30 min"
    assert weak_link.duration(31.2) == "31 h"
    assert weak_link.duration(100) == "4.2 days"


def test_without_enough_history_there_is_no_sentence(cast, clock):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    event(clock, post, "post.create", 0, cast.content)
    event(clock, post, "post.submit", 2, cast.content)
    report = weak_link.report(cast.workspace, 30)
    assert report.measured == 1
    assert not report.enough
    assert report.sentence == ""


def test_a_stage_ended_before_the_period_does_not_count(cast, history):
    # The history ended about four days before "now": a 3-day period holds none of it.
    report = weak_link.report(cast.workspace, 30, now=T0 + dt.timedelta(days=40))
    assert report.stages == []
    assert report.submitted == 0


def test_a_withdrawn_or_cancelled_wait_counts_nowhere(cast, clock):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    event(clock, post, "post.create", 0, cast.content)
    event(clock, post, "post.submit", 2, cast.content)
    event(clock, post, "post.withdraw", 50, cast.content)
    event(clock, post, "post.cancel", 60, cast.content)
    report = weak_link.report(cast.workspace, 30)
    assert [(row.stage, row.figures.count) for row in report.stages] == [(StageKey(DRAFT), 1)]


def test_rework_counts_changes_requested_per_post_submitted(cast, history):
    _one, _two, three = history
    report = weak_link.report(cast.workspace, 30)
    assert report.submitted == 3
    assert report.rework == [("0", 2), ("1", 1), ("2", 0), ("3+", 0)]
    assert report.rework_top == [(three, 1)]


def test_approvals_waiting_past_the_reminder_limit_are_overdue_now(cast, clock):
    clock.move_to(NOW - 30 * HOUR, tick=False)
    late = actions.post_submit(
        actor=cast.content, post=PostFactory(workspace=cast.workspace, author=cast.content)
    )
    clock.move_to(NOW - 2 * HOUR, tick=False)
    actions.post_submit(
        actor=cast.content, post=PostFactory(workspace=cast.workspace, author=cast.content)
    )
    clock.move_to(NOW, tick=False)
    overdue = weak_link.overdue_now(cast.workspace)
    assert [(row.post, row.step.role, round(row.waited_hours)) for row in overdue] == [
        (late, Role.MARKETING, 30)
    ]


def test_failures_and_missed_slots_are_counted_per_channel(cast, clock):
    mastodon = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    bluesky = ChannelFactory(workspace=cast.workspace, name="Bluesky")
    due = NOW - 24 * HOUR

    def delivery(channel, state, post_state=State.PUBLISHED):
        post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
        post.state, post.approved_version = post_state, post.version
        post.save(update_fields=["state", "approved_version"])
        published = due if state == PublicationState.PUBLISHED else None
        Publication.objects.create(
            post=post, channel=channel, due_at=due, state=state, published_at=published
        )
        return post

    delivery(mastodon, PublicationState.PUBLISHED)
    delivery(mastodon, PublicationState.FAILED, State.FAILED)
    missed = delivery(bluesky, PublicationState.HELD, State.NEEDS_ATTENTION)
    event(clock, missed, "post.miss_slot", 24 * 5 - 23)
    delivery(bluesky, PublicationState.PUBLISHED)
    delivery(bluesky, PublicationState.CANCELLED, State.CANCELLED)  # not planned any more

    rows = {
        row.name: (row.deliveries, row.failed, row.missed, row.attention)
        for row in weak_link.report(cast.workspace, 30).channels
    }
    assert rows == {"Mastodon": (2, 1, 0, 0), "Bluesky": (2, 0, 1, 1)}


def test_the_period_is_one_of_three(cast):
    assert weak_link.period_days("30") == 30
    assert weak_link.period_days("365") == 365
    assert weak_link.period_days("7") == weak_link.DEFAULT_PERIOD
    assert weak_link.period_days("x") == weak_link.DEFAULT_PERIOD
    assert weak_link.period_days(None) == weak_link.DEFAULT_PERIOD


def _more_history(cast, clock, posts):
    channel = ChannelFactory(workspace=cast.workspace)
    for n in range(posts):
        post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel])
        event(clock, post, "post.create", n, cast.content)
        event(clock, post, "post.submit", n + 1, cast.content)
        decide(clock, post, "request_changes", n + 2, cast.marketing, 1, Role.MARKETING)
        event(clock, post, "post.submit", n + 3, cast.content)
        approved(clock, post, n + 4, cast.marketing2, 1, Role.MARKETING)
        event(clock, post, "post.mark_published", n + 5)
        Publication.objects.create(
            post=post,
            channel=channel,
            due_at=T0 + (n + 5) * HOUR,
            state=PublicationState.PUBLISHED,
            published_at=T0 + (n + 5) * HOUR,
        )
    actions.post_submit(
        actor=cast.content, post=PostFactory(workspace=cast.workspace, author=cast.content)
    )


@pytest.mark.parametrize("posts", [2, 30])
def test_the_report_costs_the_same_queries_however_much_history(
    cast, clock, posts, django_assert_max_num_queries
):
    _more_history(cast, clock, posts)
    clock.move_to(NOW + 3 * 24 * HOUR, tick=False)  # the last submission is overdue
    with django_assert_max_num_queries(10):
        report = weak_link.report(cast.workspace, 30)
        assert len(report.overdue) == 1
        assert report.rework_top


def test_a_stage_of_under_a_second_was_one_action_and_does_not_count(cast, clock):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    event(clock, post, "post.create", 0, cast.content)
    event(clock, post, "post.submit", 0.0001, cast.content)  # a script, or an import
    event(clock, post, "post.approve", 3, cast.marketing, step=1, step_role=Role.MARKETING)
    report = weak_link.report(cast.workspace, 30)
    assert [(row.stage, row.figures.count) for row in report.stages] == [(STEP1, 1)]
