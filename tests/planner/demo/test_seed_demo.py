"""`manage.py seed_demo`: the Demo workspace that `make run` loads on a fresh install."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts.models import Role, User, Workspace
from accounts.selectors import role_in
from planner.approvals import chain_progress
from planner.errors import Invalid
from planner.models import (
    ApprovalDecision,
    AuditEvent,
    Campaign,
    Channel,
    ChannelKind,
    KeyDate,
    KeyDateSource,
    Post,
    Publication,
    PublicationState,
)
from planner.posts import actions
from planner.workflow import State
from tests.factories import PASSWORD, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "maillon-demo"
LOGINS = {
    "admin@maillon.test": Role.ADMIN,
    "marketing@maillon.test": Role.MARKETING,
    "content@maillon.test": Role.CONTENT_MANAGER,
    "contributor@maillon.test": Role.CONTRIBUTOR,
    "viewer@maillon.test": Role.VIEWER,
}
# Characters each network accepts in one post (the demo texts must fit).
LIMITS = {ChannelKind.X: 280, ChannelKind.BLUESKY: 300, ChannelKind.MASTODON: 500}
PARIS = ZoneInfo("Europe/Paris")


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker) -> Workspace:
    """The demo, built once for a class of tests that only read it, rolled back after them.

    Each test still runs in its own savepoint (pytest-django's ``db``), so a
    test that writes leaves the demo as it found it.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        seed()
        yield Workspace.objects.get(slug="demo")
        transaction.set_rollback(True)


def window_start() -> dt.datetime:
    """Where the calendar's month begins (at least five days back): the curated posts are
    from then on, the bulk history before it."""
    today = timezone.localdate(timezone=PARIS)
    first = min(today.replace(day=1), today - dt.timedelta(days=5))
    return dt.datetime.combine(first, dt.time(0), tzinfo=PARIS)


def calendar_posts(workspace: Workspace):
    return Post.objects.filter(workspace=workspace).exclude(scheduled_at__lt=window_start())


def history_posts(workspace: Workspace):
    return Post.objects.filter(workspace=workspace, scheduled_at__lt=window_start())


def sensitive_campaign(workspace: Workspace) -> Campaign:
    return Campaign.objects.get(workspace=workspace, approval_chain__isnull=False)


def counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "planner")
        for model in apps.get_app_config(app).get_models()
    }


# --- on a fresh database ------------------------------------------------------------


def test_the_summary_lists_the_demo_logins(db):
    output = seed()
    assert DEMO_PASSWORD in output
    assert all(email in output for email in LOGINS)
    assert "sets up an authenticator app" in output


def test_the_demo_workspace_requires_two_factor_sign_in(db):
    seed()
    assert Workspace.objects.get(slug="demo").require_two_factor is True


def test_an_existing_demo_user_is_reused_and_keeps_its_password(db):
    UserFactory(email="admin@maillon.test")
    output = seed()
    admin = User.objects.get(email="admin@maillon.test")
    assert role_in(admin, Workspace.objects.get(slug="demo")) == Role.ADMIN
    assert admin.check_password(PASSWORD)
    assert "admin@maillon.test existed already" in output


def test_if_empty_loads_the_demo_on_a_fresh_install(db):
    seed("--if-empty")
    assert Workspace.objects.filter(slug="demo").exists()


def test_if_empty_does_nothing_when_a_workspace_exists(db):
    WorkspaceFactory(name="Acme", slug="acme")
    before = counts()
    output = seed("--if-empty")
    assert counts() == before
    assert "not loaded" in output


def test_a_failure_half_way_leaves_nothing_behind(db, monkeypatch):
    def refuse(**kwargs):
        raise Invalid("No retracting today.")

    monkeypatch.setattr(actions, "post_retract", refuse)
    with pytest.raises(CommandError, match="No retracting today"):
        seed()
    assert not Workspace.objects.exists()
    assert not User.objects.exists()


@time_machine.travel(dt.datetime(2026, 3, 15, 9, 0, tzinfo=dt.UTC))
def test_mid_month_every_scheduled_post_falls_in_the_current_month(db):
    seed()
    times = Post.objects.filter(scheduled_at__gte=window_start()).values_list(
        "scheduled_at", flat=True
    )
    months = {t.astimezone(PARIS).strftime("%Y-%m") for t in times}
    assert months == {"2026-03"}
    assert any(t < timezone.now() for t in times) and any(t > timezone.now() for t in times)
    # Before the month: the history the reports read, four months of it.
    older = Post.objects.filter(scheduled_at__lt=window_start()).values_list(
        "scheduled_at", flat=True
    )
    assert {t.astimezone(PARIS).strftime("%Y-%m") for t in older} == {
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    }


@time_machine.travel(dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC))
def test_on_the_last_evening_of_the_month_there_are_still_posts_ahead(db):
    seed()
    ahead = Post.objects.filter(scheduled_at__gt=timezone.now(), state=State.APPROVED)
    assert ahead.count() >= 5


# --- what the demo holds (built once for the class) -----------------------------------


class TestTheDemoWorkspace:
    def test_every_demo_login_signs_in_with_its_role(self, demo):
        for email, role in LOGINS.items():
            request = RequestFactory().post("/accounts/login/")  # axes wants the request
            user = authenticate(request, username=email, password=DEMO_PASSWORD)
            assert user is not None, email
            assert role_in(user, demo) == role
            assert user.full_name

    def test_the_demo_admin_may_open_the_django_admin(self, demo):
        admin = User.objects.get(email="admin@maillon.test")
        assert admin.is_staff and admin.is_superuser
        assert not User.objects.filter(is_superuser=True).exclude(pk=admin.pk).exists()

    def test_the_demo_workspace_plans_in_paris_time(self, demo):
        assert (demo.name, demo.time_zone) == ("Demo", "Europe/Paris")

    def test_running_it_again_changes_nothing(self, demo):
        before = counts()
        states = dict(Post.objects.values_list("pk", "state"))
        output = seed()
        assert "exists already" in output
        assert counts() == before
        assert dict(Post.objects.values_list("pk", "state")) == states

    def test_there_is_a_demo_channel_of_every_kind_on_the_local_demo_server(self, demo):
        channels = Channel.objects.filter(workspace=demo)
        assert sorted(channels.values_list("kind", flat=True)) == sorted(ChannelKind.values)
        for channel in channels:
            assert channel.base_url.startswith("http://127.0.0.1:8025/"), channel
            assert channel.credentials, channel

    def test_channel_credentials_are_stored_encrypted(self, demo):
        channel = Channel.objects.get(workspace=demo, kind=ChannelKind.MASTODON)
        token = channel.credentials["access_token"]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT credentials FROM {Channel._meta.db_table} WHERE id = %s",  # noqa: S608
                [channel.pk],
            )
            (raw,) = cursor.fetchone()
        assert token.startswith("demo-")
        assert token not in raw
        assert "access_token" not in raw

    def test_the_demo_has_two_objectives_and_three_campaigns_with_a_cadence(self, demo):
        assert demo.objectives.count() == 2
        campaigns = Campaign.objects.filter(workspace=demo)
        assert campaigns.count() == 3
        for campaign in campaigns:
            assert campaign.objective is not None, campaign
            cadence = set(campaign.cadences.values_list("channel_id", flat=True))
            assert cadence
            assert cadence == set(campaign.channels.values_list("pk", flat=True))
        assert len(set(campaigns.values_list("colour", flat=True))) == 3

    def test_the_sensitive_campaign_is_approved_by_marketing_then_admin(self, demo):
        chain = sensitive_campaign(demo).approval_chain
        assert list(chain.steps.values_list("position", "role")) == [
            (1, Role.MARKETING),
            (2, Role.ADMIN),
        ]

    def test_there_are_demo_posts_in_every_workflow_state(self, demo):
        posts = calendar_posts(demo)
        assert set(posts.values_list("state", flat=True)) == set(State.values)
        assert 50 <= posts.count() <= 70

    def test_in_review_posts_wait_at_each_step_of_the_sensitive_chain(self, demo):
        waiting = Post.objects.filter(campaign=sensitive_campaign(demo), state=State.IN_REVIEW)
        steps = {
            chain_progress.progress(post, four_eyes_relaxed=False).current.position
            for post in waiting
        }
        assert steps == {1, 2}

    def test_the_sensitive_campaign_shows_its_chain_at_work(self, demo):
        campaign = sensitive_campaign(demo)
        posts = Post.objects.filter(campaign=campaign)
        waiting = {
            post.pk: chain_progress.progress(post, four_eyes_relaxed=False)
            for post in posts.filter(state=State.IN_REVIEW)
        }
        at_marketing = [pk for pk, p in waiting.items() if p.current.position == 1]
        at_admin = [pk for pk, p in waiting.items() if p.current.position == 2]
        assert at_marketing and at_admin
        for pk in at_admin:  # a marketer, not the author, approved step 1
            (decision,) = ApprovalDecision.objects.filter(post_id=pk, withdrawn_at__isnull=True)
            assert (decision.step_position, decision.step_role) == (1, Role.MARKETING)
            assert role_in(decision.decided_by, demo) == Role.MARKETING
            assert waiting[pk].current.role == Role.ADMIN
        sent_back = posts.filter(state=State.CHANGES_REQUESTED)
        assert sent_back.exists()
        for post in sent_back:
            decision = ApprovalDecision.objects.get(post=post, decision="request_changes")
            assert decision.comment
            assert post.comments.filter(body=decision.comment).exists()
        assert posts.filter(state=State.DRAFT).exists()

    def test_the_demo_default_chain_is_one_marketing_step(self, demo):
        assert [s.role for s in chain_progress.chain_steps_for(demo.pk, None)] == [Role.MARKETING]

    def test_the_sensitive_campaigns_page_shows_its_chain(self, demo, client):
        client.force_login(User.objects.get(email="marketing@maillon.test"))
        page = client.get(f"/campaigns/{sensitive_campaign(demo).pk}/").text
        assert "Approval: <strong>Marketing → Admin</strong>" in page
        assert f"/campaigns/{sensitive_campaign(demo).pk}/approvals/" in page

    def test_nobody_approved_their_own_demo_post(self, demo):
        decisions = ApprovalDecision.objects.filter(post__workspace=demo).select_related("post")
        assert decisions.exists()
        for decision in decisions:
            assert decision.decided_by_id not in chain_progress.content_authors(decision.post)

    def test_every_demo_post_was_created_through_the_services(self, demo):
        posts = set(Post.objects.filter(workspace=demo).values_list("pk", flat=True))
        created = AuditEvent.objects.filter(workspace=demo, action="post.create")
        assert set(created.values_list("post_id", flat=True)) == posts
        assert AuditEvent.objects.filter(
            workspace=demo, action="post.retract", actor__email="marketing@maillon.test"
        ).exists()

    def test_posts_that_went_out_did_so_in_the_past_on_every_channel(self, demo):
        gone_out = Post.objects.filter(workspace=demo, state__in=[State.PUBLISHED, State.RETRACTED])
        assert gone_out.exists()
        expected = {
            State.PUBLISHED: PublicationState.PUBLISHED,
            State.RETRACTED: PublicationState.RETRACTED,
        }
        for post in gone_out:
            assert post.scheduled_at < timezone.now()
            for publication in post.publications.all():
                assert publication.state == expected[post.state]
                assert publication.due_at == post.scheduled_at
                assert publication.published_at is not None
                assert publication.external_id

    def test_approved_posts_wait_for_a_future_slot_on_every_channel(self, demo):
        approved = Post.objects.filter(workspace=demo, state=State.APPROVED)
        assert approved.exists()
        for post in approved:
            assert post.scheduled_at > timezone.now()
            assert post.approval_is_current
            publications = Publication.objects.filter(post=post)
            assert publications.count() == post.variants.count()
            assert set(publications.values_list("state", "due_at")) == {
                (PublicationState.SCHEDULED, post.scheduled_at)
            }

    def test_a_failed_post_says_why(self, demo):
        failed = Post.objects.filter(workspace=demo, state=State.FAILED)
        assert failed.exists()
        for post in failed:
            refused = post.publications.filter(state=PublicationState.FAILED)
            assert refused.exists(), post
            assert all(p.last_error for p in refused)

    def test_the_demo_has_holidays_and_a_trade_fair_on_its_calendar(self, demo, client):
        sources = KeyDateSource.objects.filter(workspace=demo).order_by("name")
        assert [s.name for s in sources] == ["Public holidays (France)", "Trade fairs and launches"]
        holidays = KeyDate.objects.filter(source=sources[0])
        assert {d.title for d in holidays} == {"Labour Day", "Bastille Day", "Christmas"}
        assert all(d.all_day and d.recurrence_id for d in holidays)  # yearly, expanded
        fair = KeyDate.objects.get(workspace=demo, title="OutDoor trade fair, Munich")
        today = timezone.localdate(timezone=PARIS)
        assert (fair.starts_on - today).days == 2 and (fair.ends_on - fair.starts_on).days == 2
        stream = KeyDate.objects.get(workspace=demo, title="Trailhead 2 launch live stream")
        assert stream.starts_at.astimezone(PARIS).hour == 18 and not stream.all_day
        client.force_login(User.objects.get(email="viewer@maillon.test"))
        start = today.replace(day=1)
        response = client.get(
            "/calendar/events/",
            {"start": f"{start}T00:00:00", "end": f"{start + dt.timedelta(days=42)}T00:00:00"},
        )
        shown = {e["title"] for e in response.json() if e["extendedProps"].get("kind") == "keydate"}
        assert "OutDoor trade fair, Munich" in shown

    def test_every_demo_text_fits_the_networks_it_goes_to(self, demo):
        posts = Post.objects.filter(workspace=demo).prefetch_related("variants__channel")
        for post in posts:
            for variant in post.variants.all():
                limit = LIMITS.get(variant.channel.kind)
                if limit is not None:
                    assert len(variant.effective_text) <= limit, (post.title, variant.channel)

    # --- the history the reports read -------------------------------------------------

    def test_four_months_of_published_posts_come_before_the_calendars_month(self, demo):
        history = history_posts(demo)
        assert history.count() >= 100
        assert set(history.values_list("state", flat=True)) == {State.PUBLISHED, State.FAILED}
        oldest = history.order_by("scheduled_at").first().scheduled_at
        assert dt.timedelta(days=110) < window_start() - oldest < dt.timedelta(days=125)
        channels = Publication.objects.filter(post__in=history).values_list(
            "channel__kind", flat=True
        )
        assert {ChannelKind.MASTODON, ChannelKind.BLUESKY, ChannelKind.X} <= set(channels)

    def test_the_history_has_its_audit_trail_at_the_times_it_happened(self, demo):
        history = history_posts(demo)
        events = AuditEvent.objects.filter(post__in=history)
        assert not events.filter(created_at__gte=window_start()).exists()
        actions = set(events.values_list("action", flat=True))
        assert {
            "post.create",
            "post.submit",
            "post.approve",
            "post.request_changes",
            "post.miss_slot",
            "post.mark_published",
            "post.mark_failed",
        } <= actions
        for post in history.filter(state=State.PUBLISHED)[:20]:
            times = dict(AuditEvent.objects.filter(post=post).values_list("action", "created_at"))
            assert times["post.create"] < times["post.submit"] < times["post.approve"]
            assert times["post.approve"] < post.scheduled_at <= times["post.mark_published"]

    def test_the_weak_link_report_names_marketing_approval_the_slowest_link(self, demo):
        from planner.analytics import weak_link

        report = weak_link.report(demo, 90)
        assert report.enough
        assert report.sentence.startswith("Approval by marketing takes a median of ")
        assert report.rework_top and report.overdue
        assert any(row.failed for row in report.channels)
        assert any(row.missed for row in report.channels)

    def test_deliveries_that_went_out_have_metric_rounds_and_latest_values(self, demo):
        from planner.models import MetricSnapshot, PublicationMetric

        published = Publication.objects.filter(
            post__in=history_posts(demo), state=PublicationState.PUBLISHED
        )
        assert published.exists()
        canonical = {"likes", "reposts", "replies", "views"}
        for publication in published[:10]:
            series = MetricSnapshot.objects.filter(publication=publication)
            assert set(series.values_list("name", flat=True)) == canonical
            taken = sorted(set(series.values_list("taken_at", flat=True)))
            assert [t - publication.published_at for t in taken] == [
                dt.timedelta(hours=1),
                dt.timedelta(hours=6),
                dt.timedelta(hours=24),
                dt.timedelta(days=7),
            ]
            latest = dict(
                PublicationMetric.objects.filter(publication=publication).values_list(
                    "name", "value"
                )
            )
            assert set(latest) == canonical
            assert latest == dict(series.filter(taken_at=taken[-1]).values_list("name", "value"))
            assert latest["views"] > latest["likes"] > 0
        # The calendar's month went out too: its deliveries have metrics.
        recent = Publication.objects.filter(
            post__in=calendar_posts(demo), state=PublicationState.PUBLISHED
        )
        assert PublicationMetric.objects.filter(publication__in=recent).exists()

    def test_each_social_channel_has_a_follower_count_per_day(self, demo):
        from planner.models import FollowerSnapshot

        mastodon = Channel.objects.get(workspace=demo, kind=ChannelKind.MASTODON)
        counts = list(
            FollowerSnapshot.objects.filter(channel=mastodon)
            .order_by("taken_at")
            .values_list("taken_at", "count")
        )
        assert len(counts) >= 120
        assert all(
            later[0] - earlier[0] == dt.timedelta(days=1)
            for earlier, later in itertools.pairwise(counts)
        )
        assert counts[-1][1] > counts[0][1]
