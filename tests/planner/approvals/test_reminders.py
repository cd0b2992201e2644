"""Approvals left waiting are reminded once, escalated once; posts at risk are flagged once
per time slot; the calendar marks them; beat runs it all."""

import datetime as dt

import pytest

from accounts.models import Role
from accounts.services import workspace_update_settings
from planner import tasks
from planner.approvals import chains
from planner.approvals.reminders import reminders_send
from planner.models import Notification, NotificationKind, RiskFlag, StepMode, StepReminder
from planner.posts import actions, scheduling, writing
from tests.factories import CampaignFactory, PostFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 5, 10, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
Kind = NotificationKind


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def at(clock, hours):
    clock.move_to(T0 + hours * HOUR, tick=False)


def in_review(cast, author=None, **fields):
    """Submitted at the clock's time, due in ten days (far from being at risk)."""
    fields.setdefault("scheduled_at", T0 + dt.timedelta(days=10))
    post = PostFactory(workspace=cast.workspace, author=author or cast.content, **fields)
    return actions.post_submit(actor=author or cast.content, post=post)


def told(kind):
    """Who was told ``kind``, by email address, sorted."""
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


# --- reminders --------------------------------------------------------------------------------


def test_nobody_is_reminded_before_the_limit(cast, clock):
    in_review(cast)
    at(clock, 23.9)
    assert reminders_send() == {"reminded": 0, "escalated": 0, "at_risk": 0}
    assert told(Kind.REMINDER) == []
    assert not StepReminder.objects.exists()


def test_after_the_limit_the_steps_approvers_are_reminded_once_by_email(
    cast, clock, committed, mailoutbox
):
    post = in_review(cast, title="Spring launch")
    at(clock, 24)
    mailoutbox.clear()  # the submission's own notices
    with committed():
        assert reminders_send()["reminded"] == 1
    assert told(Kind.REMINDER) == ["marketing2@acme.test", "marketing@acme.test"]
    assert sorted(m.to[0] for m in mailoutbox) == ["marketing2@acme.test", "marketing@acme.test"]
    assert "Spring launch" in mailoutbox[0].subject + mailoutbox[0].body
    row = StepReminder.objects.get()
    assert (row.post, row.version, row.step_position) == (post, 1, 1)
    assert (row.reminded_at, row.escalated_at) == (T0 + 24 * HOUR, None)
    notification = Notification.objects.filter(kind=Kind.REMINDER).first()
    assert notification.data["since"] == "2027-05-10 10:00 (Europe/Paris)"
    at(clock, 30)
    with committed():
        assert reminders_send()["reminded"] == 0
    assert len(told(Kind.REMINDER)) == 2
    assert len(mailoutbox) == 2


def test_the_limit_is_the_workspaces(cast, clock):
    workspace_update_settings(actor=cast.admin, workspace=cast.workspace, approval_reminder_hours=4)
    in_review(cast)
    at(clock, 3)
    assert reminders_send()["reminded"] == 0
    at(clock, 4)
    assert reminders_send()["reminded"] == 1


def test_the_author_is_not_reminded_of_their_own_post(cast, clock):
    in_review(cast, author=cast.marketing)
    at(clock, 25)
    reminders_send()
    assert told(Kind.REMINDER) == ["marketing2@acme.test"]


def test_after_twice_the_limit_the_admins_hear_of_it_once(cast, clock, committed, mailoutbox):
    in_review(cast)
    at(clock, 25)
    reminders_send()
    at(clock, 47)
    assert reminders_send() == {"reminded": 0, "escalated": 0, "at_risk": 0}
    at(clock, 48)
    mailoutbox.clear()
    with committed():
        assert reminders_send() == {"reminded": 0, "escalated": 1, "at_risk": 0}
    assert told(Kind.ESCALATION) == ["admin@acme.test"]
    assert [m.to for m in mailoutbox] == [["admin@acme.test"]]
    assert StepReminder.objects.get().escalated_at == T0 + 48 * HOUR
    at(clock, 100)
    assert reminders_send() == {"reminded": 0, "escalated": 0, "at_risk": 0}
    assert len(told(Kind.ESCALATION)) == 1
    assert len(told(Kind.REMINDER)) == 2


def test_a_step_found_long_overdue_is_reminded_and_escalated_in_one_run(cast, clock):
    in_review(cast)
    at(clock, 60)
    assert reminders_send() == {"reminded": 1, "escalated": 1, "at_risk": 0}
    assert reminders_send() == {"reminded": 0, "escalated": 0, "at_risk": 0}


def test_two_runs_at_once_tell_nobody_twice(cast, clock):
    in_review(cast)
    at(clock, 60)
    # The second run read the same state before the first one wrote (it found the step
    # owed everything); it finds the row claimed under the post's lock.
    from planner.approvals import reminders

    seen = reminders.reviews_waiting_long(reminders.timezone.now())
    assert reminders_send() == {"reminded": 1, "escalated": 1, "at_risk": 0}
    late = reminders.Sent()
    for review in seen:
        reminders.remind(review, reminders.timezone.now(), late)
    assert (late.reminded, late.escalated) == (0, 0)
    assert len(told(Kind.REMINDER)) == 2 and len(told(Kind.ESCALATION)) == 1


def test_a_new_version_starts_the_clock_and_the_reminders_again(cast, clock):
    post = in_review(cast)
    at(clock, 25)
    reminders_send()
    at(clock, 26)
    post = writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=post.version,
        title="Second take",
        body=post.body,
        variants={v.channel_id: v.text for v in post.variants.all()},
    )
    at(clock, 49)  # twice the limit since the submission, not since the new version
    assert reminders_send() == {"reminded": 0, "escalated": 0, "at_risk": 0}
    at(clock, 50)
    assert reminders_send() == {"reminded": 1, "escalated": 0, "at_risk": 0}
    assert len(told(Kind.REMINDER)) == 4
    assert sorted(StepReminder.objects.values_list("version", flat=True)) == [1, 2]


def test_a_resubmission_after_changes_requested_starts_again(cast, clock):
    post = in_review(cast)
    at(clock, 2)
    post = actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="request_changes",
        expected_version=1,
        step_position=1,
        comment="Shorter.",
    )
    at(clock, 3)
    post = writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=1,
        title="Shorter",
        body="Short.",
        variants={v.channel_id: v.text for v in post.variants.all()},
    )
    at(clock, 10)
    actions.post_submit(actor=cast.content, post=post)
    at(clock, 33)
    assert reminders_send()["reminded"] == 0
    at(clock, 34)
    assert reminders_send()["reminded"] == 1


def test_a_decided_step_stops_reminding_and_the_next_waits_from_its_approval(cast, clock):
    campaign = CampaignFactory(workspace=cast.workspace)
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=campaign,
        steps=[(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, [])],
    )
    post = in_review(cast, campaign=campaign)
    at(clock, 10)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    at(clock, 33)  # the first step would be due; the second waits since 10:00
    assert reminders_send()["reminded"] == 0
    at(clock, 34)
    assert reminders_send()["reminded"] == 1
    assert told(Kind.REMINDER) == ["admin@acme.test"]
    assert StepReminder.objects.get().step_position == 2


def test_an_approved_post_is_left_alone(cast, clock):
    post = in_review(cast)
    at(clock, 1)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    at(clock, 80)
    assert reminders_send() == {"reminded": 0, "escalated": 0, "at_risk": 0}


def test_an_all_of_them_step_reminds_only_who_has_not_approved(cast, clock):
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=None,
        steps=[(Role.MARKETING, StepMode.ALL, [])],
    )
    post = in_review(cast)
    at(clock, 1)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    at(clock, 24)
    reminders_send()
    assert told(Kind.REMINDER) == ["marketing2@acme.test"]


def test_another_workspaces_people_are_never_told(cast, other, clock):
    in_review(other)
    at(clock, 60)
    reminders_send()
    assert told(Kind.REMINDER) == ["marketing2@globex.test", "marketing@globex.test"]
    assert told(Kind.ESCALATION) == ["admin@globex.test"]


# --- at risk ---------------------------------------------------------------------------------


def due_in(cast, hours, **fields):
    fields.setdefault("author", cast.content)
    return PostFactory(workspace=cast.workspace, scheduled_at=T0 + hours * HOUR, **fields)


def test_a_post_newly_at_risk_is_flagged_once_and_its_people_told_by_email(
    cast, committed, mailoutbox
):
    post = due_in(cast, 30, assignee=cast.content2, title="Summer sale")
    due_in(cast, 60)  # not yet
    with committed():
        assert reminders_send()["at_risk"] == 1
    assert told(Kind.AT_RISK) == ["content2@acme.test", "content@acme.test"]
    assert sorted(m.to[0] for m in mailoutbox) == ["content2@acme.test", "content@acme.test"]
    assert "Summer sale" in mailoutbox[0].subject + mailoutbox[0].body
    flag = RiskFlag.objects.get()
    assert (flag.post, flag.scheduled_at) == (post, post.scheduled_at)
    with committed():
        assert reminders_send()["at_risk"] == 0
    assert len(told(Kind.AT_RISK)) == 2


def test_a_post_is_flagged_when_it_comes_close(cast, clock):
    due_in(cast, 60)
    assert reminders_send()["at_risk"] == 0
    at(clock, 12)
    assert reminders_send()["at_risk"] == 1


def test_moving_a_post_to_another_time_flags_it_again(cast, clock):
    post = due_in(cast, 30)
    reminders_send()
    scheduling.post_reschedule(actor=cast.content, post=post, scheduled_at=T0 + 40 * HOUR)
    assert reminders_send()["at_risk"] == 1
    assert RiskFlag.objects.count() == 2
    assert told(Kind.AT_RISK) == ["content@acme.test", "content@acme.test"]


def test_approved_posts_and_posts_gone_by_are_not_at_risk(cast, clock):
    post = in_review(cast, scheduled_at=T0 + 30 * HOUR)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    due_in(cast, -30)  # more than a day late
    due_in(cast, 5, state="cancelled")
    assert reminders_send()["at_risk"] == 0


# --- the calendar ------------------------------------------------------------------------------


def events(client):
    response = client.get(
        "/calendar/events/", {"start": "2027-05-01T00:00:00", "end": "2027-06-01T00:00:00"}
    )
    assert response.status_code == 200
    return {e["id"]: e["extendedProps"] for e in response.json() if "state" in e["extendedProps"]}


def test_the_calendar_marks_posts_at_risk(client, cast, django_assert_max_num_queries):
    from tests.planner.planning.test_calendar_queries import QUERIES, QUERIES_KEPT

    soon, later = due_in(cast, 30), due_in(cast, 60)
    client.force_login(cast.content)
    with django_assert_max_num_queries(QUERIES):
        found = events(client)
    assert found[str(soon.pk)]["atRisk"] is True
    assert "atRisk" not in found[str(later.pk)]
    with django_assert_max_num_queries(QUERIES_KEPT):
        assert events(client) == found


def test_a_kept_calendar_is_not_served_once_a_post_comes_within_the_risk(client, cast, clock):
    post = due_in(cast, 60)
    client.force_login(cast.content)
    assert "atRisk" not in events(client)[str(post.pk)]
    at(clock, 11)
    assert "atRisk" not in events(client)[str(post.pk)]
    at(clock, 12)  # 48 hours before its time: no write happened, but time did
    assert events(client)[str(post.pk)]["atRisk"] is True
    at(clock, 60 + 24 + 1)  # a day after its time: no longer at risk, just late
    assert "atRisk" not in events(client)[str(post.pk)]


# --- beat ----------------------------------------------------------------------------------------


def test_beat_runs_the_reminders_on_their_own_tick(settings):
    from calendar_project.celery import beat_schedule

    settings.REMINDER_TICK_SECONDS = 600
    entry = beat_schedule()["approval-reminders"]
    assert entry["task"] == "planner.tasks.approval_reminders"
    assert entry["schedule"] == 600
    assert tasks.approval_reminders.name == entry["task"]


def test_the_task_sends_what_is_due(cast, clock):
    in_review(cast)
    at(clock, 25)
    assert tasks.approval_reminders.apply().get() == {"reminded": 1, "escalated": 0, "at_risk": 0}
