"""The Django admin: every model is there, and every write goes through a service."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import services as accounts_services
from accounts.models import Invitation, Membership, Role, User, Workspace
from planner.approvals import chains
from planner.calendar_feeds import links
from planner.models import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalStep,
    AuditEvent,
    Cadence,
    Campaign,
    Channel,
    Comment,
    ExpiryNotice,
    FeedLink,
    FollowerSnapshot,
    KeyDate,
    KeyDateImport,
    KeyDateSource,
    Label,
    Media,
    MetricSnapshot,
    Notification,
    NotificationPreference,
    OAuthApp,
    Objective,
    PendingConnection,
    Post,
    PostVersion,
    Publication,
    PublicationMetric,
    RiskFlag,
    StepReminder,
    Variant,
)
from planner.planning import services
from planner.posts import actions
from planner.workflow import State
from tests.factories import (
    PASSWORD,
    CampaignFactory,
    ChannelFactory,
    ObjectiveFactory,
    PostFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
READ_ONLY = [
    Invitation,
    ApprovalChain,
    ApprovalDecision,
    ApprovalStep,
    AuditEvent,
    Cadence,
    Comment,
    FeedLink,
    FollowerSnapshot,
    KeyDate,
    KeyDateSource,
    Label,
    Media,
    MetricSnapshot,
    Notification,
    NotificationPreference,
    Post,
    PostVersion,
    Publication,
    PublicationMetric,
    RiskFlag,
    ExpiryNotice,
    StepReminder,
    Variant,
]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _no_inlines(*prefixes: str) -> dict[str, str]:
    """The management form of read-only inlines, as a browser posts it with no rows."""
    data = {}
    for prefix in prefixes:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


@pytest.fixture
def superuser(cast, client):
    cast.admin.is_staff = True
    cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    return cast.admin


@pytest.fixture
def world(cast, superuser):
    """One row of every model, so changelists and change pages render real rows."""
    ws = cast.workspace
    channel = ChannelFactory(workspace=ws)
    campaign = CampaignFactory(workspace=ws, objective=ObjectiveFactory(workspace=ws))
    campaign.channels.add(channel)
    Cadence.objects.create(campaign=campaign, channel=channel, posts_per_week=3)
    post = PostFactory(workspace=ws, author=cast.content, campaign=campaign, channels=[channel])
    post.labels.add(Label.objects.create(workspace=ws, name="spring"))
    Media.objects.create(post=post, file="media/x/photo.png", mime_type="image/png", size=10)
    Comment.objects.create(post=post, author=cast.marketing, body="Nice.", version=1)
    Publication.objects.create(post=post, channel=channel, due_at=post.scheduled_at)
    ApprovalDecision.objects.create(
        post=post,
        version=1,
        step_position=1,
        step_role=Role.MARKETING,
        decided_by=cast.marketing,
        decision="approve",
    )
    chains.approval_chain_set(
        actor=cast.admin, workspace=ws, campaign=None, steps=[(Role.MARKETING, "any", [])]
    )
    accounts_services.invitation_create(
        actor=cast.admin,
        workspace=ws,
        email="invitee@example.test",
        role=Role.VIEWER,
    )
    Group.objects.create(name="Editors")
    StepReminder.objects.create(post=post, version=1, step_position=1, reminded_at=timezone.now())
    RiskFlag.objects.create(post=post, scheduled_at=post.scheduled_at)
    OAuthApp.objects.create(
        network="mastodon",
        server="https://mastodon.example",
        client_id="client-1",
        client_secret={"secret": "never-shown-secret"},
        redirect_uri="https://maillon.example/channels/connect/mastodon/callback/",
        scopes="read write:statuses write:media",
    )
    PendingConnection.objects.create(
        user=cast.admin,
        workspace=ws,
        network="x",
        secret={"verifier": "never-shown-verifier"},
        expires_at=timezone.now() + dt.timedelta(minutes=10),
    )
    ExpiryNotice.objects.create(
        channel=post.variants.first().channel, expires_at=timezone.now(), days_before=7
    )
    Notification.objects.create(
        recipient=cast.marketing, workspace=ws, kind="submitted", post=post, actor=cast.content
    )
    NotificationPreference.objects.create(user=cast.marketing, kind="submitted", email=False)
    source = KeyDateSource.objects.create(
        workspace=ws, name="Holidays", url="https://example.test/h.ics"
    )
    KeyDate.objects.create(
        workspace=ws,
        source=source,
        title="Bastille Day",
        starts_on=dt.date(2027, 7, 14),
        ends_on=dt.date(2027, 7, 14),
        external_uid="bastille",
        recurrence_id="2027-07-14",
    )
    KeyDateImport.objects.create(
        workspace=ws,
        name="Holidays",
        source=source,
        status="failed",
        error="The address answered 404 NOT FOUND.",
        problems=["Line 8 (event “Sale”): DTSTART cannot be read"],
    )
    links.feed_link_create(actor=cast.content, workspace=ws, scope="mine")
    delivery = Publication.objects.get(post=post)
    taken = timezone.now()
    MetricSnapshot.objects.create(publication=delivery, name="likes", value=3, taken_at=taken)
    PublicationMetric.objects.create(publication=delivery, name="likes", value=3, taken_at=taken)
    FollowerSnapshot.objects.create(channel=delivery.channel, count=120, taken_at=taken)
    # Sign-in records of the packages (django-otp, django-axes) are in the admin too.
    StaticDevice.objects.create(user=cast.marketing, name="Recovery codes").token_set.create(
        token="abcd2345"
    )
    AccessAttempt.objects.create(
        username=cast.viewer.email,
        ip_address="127.0.0.1",
        user_agent="test",
        failures_since_start=1,
    )
    AccessFailureLog.objects.create(
        username=cast.viewer.email, ip_address="127.0.0.1", user_agent="test"
    )
    return post


# --- every model is there --------------------------------------------------------


def test_every_model_of_accounts_and_planner_is_registered():
    from django.apps import apps

    ours = [
        *apps.get_app_config("accounts").get_models(),
        *apps.get_app_config("planner").get_models(),
    ]
    assert [m for m in ours if m not in admin.site._registry] == []


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_the_changelist_answers(client, world, model):
    assert client.get(_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_the_add_page_answers_where_adding_is_allowed(client, world, rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    expected = 200 if admin.site._registry[model].has_add_permission(request) else 403
    assert client.get(_url(model, "add")).status_code == expected


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_the_change_page_of_a_row_answers(client, world, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world lacks a {model._meta.verbose_name}"
    assert client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.label)
def test_service_owned_records_cannot_be_added_changed_or_deleted(rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_post_changelist_does_not_query_per_row(client, cast, superuser):
    PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        campaign=CampaignFactory(workspace=cast.workspace),
    )
    with CaptureQueriesContext(connection) as one:
        client.get(_url(Post, "changelist"))
    for _ in range(5):
        PostFactory(
            workspace=cast.workspace,
            author=UserFactory(),
            campaign=CampaignFactory(workspace=cast.workspace),
        )
    with CaptureQueriesContext(connection) as six:
        client.get(_url(Post, "changelist"))
    assert len(six) == len(one)


# --- workspaces and members ------------------------------------------------------


def _workspace_form(workspace: Workspace, **changes) -> dict:
    data = {
        "name": workspace.name,
        "time_zone": workspace.time_zone,
        "late_cutoff_minutes": workspace.late_cutoff_minutes,
        "approval_reminder_hours": workspace.approval_reminder_hours,
        **_no_inlines("memberships"),
    }
    return data | changes


def test_changing_the_late_cutoff_writes_an_audit_event(client, cast, superuser):
    response = client.post(
        _url(Workspace, "change", cast.workspace.pk),
        _workspace_form(cast.workspace, late_cutoff_minutes=30),
    )
    assert response.status_code == 302
    cast.workspace.refresh_from_db()
    assert cast.workspace.late_cutoff_minutes == 30
    event = AuditEvent.objects.get(action="workspace.settings")
    assert event.actor == superuser
    assert event.data == {
        "before": {"late_cutoff_minutes": 15},
        "after": {"late_cutoff_minutes": 30},
    }


def test_a_superuser_who_is_not_a_member_gets_the_services_refusal_as_a_form_error(client, cast):
    root = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        _url(Workspace, "change", cast.workspace.pk),
        _workspace_form(cast.workspace, late_cutoff_minutes=30),
    )
    assert response.status_code == 200
    assert "you are not a member of it" in response.content.decode()
    assert 'value="30"' in response.content.decode()
    cast.workspace.refresh_from_db()
    assert cast.workspace.late_cutoff_minutes == 15
    assert not AuditEvent.objects.filter(action="workspace.settings").exists()


def test_an_incomplete_page_saves_nothing_even_when_the_form_is_valid(client, cast, superuser):
    data = _workspace_form(cast.workspace, late_cutoff_minutes=30)
    del data["memberships-TOTAL_FORMS"]
    response = client.post(_url(Workspace, "change", cast.workspace.pk), data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    cast.workspace.refresh_from_db()
    assert cast.workspace.late_cutoff_minutes == 15
    assert not AuditEvent.objects.filter(action="workspace.settings").exists()


def test_adding_a_workspace_makes_the_adding_user_its_admin(client, superuser):
    response = client.post(
        _url(Workspace, "add"), {"name": "Initech", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    workspace = Workspace.objects.get(name="Initech")
    assert workspace.slug == "initech"
    assert Membership.objects.get(workspace=workspace).user == superuser
    assert AuditEvent.objects.filter(workspace=workspace, action="workspace.create").exists()


def test_adding_a_user_goes_through_user_create(client, superuser):
    response = client.post(
        _url(User, "add"),
        {
            "email": "New@Example.test",
            "full_name": "New",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.test")
    assert user.check_password(PASSWORD)


def test_adding_a_user_whose_email_exists_shows_a_form_error(client, cast, superuser):
    response = client.post(
        _url(User, "add"),
        {"email": "VIEWER@acme.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A user with this email address already exists."
    ]


def test_a_member_is_added_with_an_audit_event(client, cast, superuser):
    newcomer = UserFactory(email="newcomer@example.test")
    response = client.post(
        _url(Membership, "add"),
        {"user": newcomer.pk, "workspace": cast.workspace.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).role == Role.VIEWER
    assert AuditEvent.objects.filter(action="member.add", target=newcomer.email).exists()


def test_demoting_the_last_admin_is_refused_as_a_form_error(client, cast, superuser):
    membership = Membership.objects.get(user=cast.admin, workspace=cast.workspace)
    response = client.post(_url(Membership, "change", membership.pk), {"role": Role.VIEWER})
    assert response.status_code == 200
    assert "A workspace needs at least one admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_removing_the_last_admins_membership_is_refused_with_the_message(client, cast, superuser):
    membership = Membership.objects.get(user=cast.admin, workspace=cast.workspace)
    response = client.post(_url(Membership, "delete", membership.pk), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A workspace needs at least one admin" in page
    assert "deleted successfully" not in page
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_a_member_goes_through_member_remove(client, cast, superuser):
    membership = Membership.objects.get(user=cast.viewer, workspace=cast.workspace)
    response = client.post(_url(Membership, "delete", membership.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="member.remove", target=cast.viewer.email).exists()


def test_removing_members_in_bulk_reports_each_and_keeps_the_last_admin(client, cast, superuser):
    admin_membership = Membership.objects.get(user=cast.admin, workspace=cast.workspace)
    viewer_membership = Membership.objects.get(user=cast.viewer, workspace=cast.workspace)
    response = client.post(
        _url(Membership, "changelist"),
        {
            "action": "remove_members",
            "index": 0,
            ACTION_CHECKBOX_NAME: [admin_membership.pk, viewer_membership.pk],
        },
    )
    assert response.status_code == 302
    assert Membership.objects.filter(pk=admin_membership.pk).exists()
    assert not Membership.objects.filter(pk=viewer_membership.pk).exists()
    messages = _messages(response)
    assert any("A workspace needs at least one admin" in m for m in messages)
    assert any(m.startswith("Removed") for m in messages)


# --- objectives and campaigns ----------------------------------------------------


def _campaign_form(cast, **changes) -> dict:
    today = timezone.localdate()
    data = {
        "workspace": cast.workspace.pk,
        "name": "Spring sale",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat(),
        "colour": "#1f6feb",
        **_no_inlines("cadences"),
    }
    return data | changes


def test_adding_a_campaign_ending_before_it_starts_shows_the_error_and_creates_nothing(
    client, cast, superuser
):
    today = timezone.localdate()
    response = client.post(
        _url(Campaign, "add"),
        _campaign_form(cast, ends_on=(today - dt.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["ends_on"] == ["The campaign must end on or after its first day."]
    assert 'value="Spring sale"' in response.content.decode()
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(action="campaign.create").exists()


def test_adding_a_campaign_saves_its_channels_and_audits_it(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace)
    response = client.post(_url(Campaign, "add"), _campaign_form(cast, channels=[channel.pk]))
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Spring sale")
    assert list(campaign.channels.all()) == [channel]
    assert campaign.created_by == superuser
    assert AuditEvent.objects.filter(campaign=campaign, action="campaign.create").exists()


def test_changing_a_campaign_keeps_the_cadence_of_the_channels_kept(client, cast, superuser):
    kept, dropped = (
        ChannelFactory(workspace=cast.workspace),
        ChannelFactory(workspace=cast.workspace),
    )
    campaign = services.campaign_save(
        actor=cast.admin,
        workspace=cast.workspace,
        name="Spring sale",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        channels=[kept, dropped],
        cadence={kept.pk: 3, dropped.pk: 2},
    )
    response = client.post(
        _url(Campaign, "change", campaign.pk),
        _campaign_form(cast, channels=[kept.pk], tone="Warm"),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.tone == "Warm"
    assert dict(campaign.cadences.values_list("channel_id", "posts_per_week")) == {kept.pk: 3}


def test_a_campaign_cannot_use_another_workspaces_channel(client, cast, other, superuser):
    foreign = ChannelFactory(workspace=other.workspace)
    response = client.post(_url(Campaign, "add"), _campaign_form(cast, channels=[foreign.pk]))
    assert response.status_code == 200
    assert "One of the channels does not exist in this workspace." in response.content.decode()
    assert not Campaign.objects.exists()


def _objective_form(cast, **changes) -> dict:
    today = timezone.localdate()
    return {
        "workspace": cast.workspace.pk,
        "title": "Grow",
        "kpi": "reach",
        "target": 1000,
        "baseline": 0,
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=90)).isoformat(),
    } | changes


def test_an_objective_is_added_through_objective_save(client, cast, superuser):
    response = client.post(_url(Objective, "add"), _objective_form(cast))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="objective.create", target="Grow").exists()


def test_an_objective_with_an_owner_is_added(client, cast, superuser):
    response = client.post(_url(Objective, "add"), _objective_form(cast, owner=cast.marketing.pk))
    assert response.status_code == 302


def test_an_objective_owner_must_be_a_member(client, cast, other, superuser):
    response = client.post(_url(Objective, "add"), _objective_form(cast, owner=other.admin.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["owner"] == [
        "The owner is not a member of this workspace."
    ]
    assert not Objective.objects.exists()


def test_a_campaign_serving_an_objective_is_added(client, cast, superuser):
    objective = ObjectiveFactory(workspace=cast.workspace)
    response = client.post(_url(Campaign, "add"), _campaign_form(cast, objective=objective.pk))
    assert response.status_code == 302


# --- channels --------------------------------------------------------------------


def _channel_form(channel: Channel, **changes) -> dict:
    return {"name": channel.name, "handle": channel.handle, "base_url": channel.base_url} | changes


def test_adding_a_channel_stores_its_credentials_through_channel_save(client, cast, superuser):
    response = client.post(
        _url(Channel, "add"),
        {
            "workspace": cast.workspace.pk,
            "kind": "mastodon",
            "name": "Fediverse",
            "handle": "@acme",
            "base_url": "https://mastodon.example",
            "new_credentials": '{"access_token": "secret-token"}',
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get(name="Fediverse")
    assert channel.credentials == {"access_token": "secret-token"}
    event = AuditEvent.objects.get(action="channel.create")
    assert event.data["after"]["credentials"] == {"access_token": "••••"}


def test_a_channels_credentials_are_not_in_its_change_page(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"access_token": "secret-token"})
    page = client.get(_url(Channel, "change", channel.pk)).content.decode()
    assert "secret-token" not in page
    assert "access_token: ••••" in page


def test_empty_credentials_keep_the_stored_ones(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"access_token": "secret-token"})
    response = client.post(
        _url(Channel, "change", channel.pk), _channel_form(channel, name="Renamed")
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    assert channel.credentials == {"access_token": "secret-token"}


def test_new_credentials_are_merged_and_never_echoed(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"access_token": "secret-token"})
    response = client.post(
        _url(Channel, "change", channel.pk),
        _channel_form(channel, new_credentials='{"access_token": "", "refresh": "fresh-secret"}'),
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "secret-token", "refresh": "fresh-secret"}
    event = AuditEvent.objects.get(action="channel.update")
    assert "fresh-secret" not in str(event.data)


def test_bad_json_in_credentials_is_a_form_error(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace, credentials={"access_token": "secret-token"})
    response = client.post(
        _url(Channel, "change", channel.pk),
        _channel_form(channel, name="Renamed", new_credentials='{"access_token": "oops'),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["new_credentials"]
    assert errors[0].startswith("The credentials are not valid JSON")
    assert "oops" not in response.content.decode()
    channel.refresh_from_db()
    assert channel.name != "Renamed"


def test_credentials_must_be_a_json_object(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace)
    response = client.post(
        _url(Channel, "change", channel.pk), _channel_form(channel, new_credentials='["token"]')
    )
    assert response.status_code == 200
    assert "new_credentials" in response.context["adminform"].form.errors


def test_the_disable_action_disables_through_the_service(client, cast, superuser):
    channel = ChannelFactory(workspace=cast.workspace)
    response = client.post(
        _url(Channel, "changelist"),
        {"action": "disable", "index": 0, ACTION_CHECKBOX_NAME: [channel.pk]},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert not channel.is_active
    assert AuditEvent.objects.filter(action="channel.disable").exists()


# --- posts -----------------------------------------------------------------------


def test_the_cancel_action_cancels_a_draft_and_reports_a_refusal_for_a_cancelled_post(
    client, cast, superuser
):
    draft = PostFactory(workspace=cast.workspace, author=cast.content, title="Draft one")
    gone = PostFactory(workspace=cast.workspace, author=cast.content, title="Gone one")
    actions.post_cancel(actor=cast.content, post=gone)
    response = client.post(
        _url(Post, "changelist"),
        {"action": "cancel", "index": 0, ACTION_CHECKBOX_NAME: [draft.pk, gone.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.CANCELLED
    messages = _messages(response)
    assert "“Draft one” is cancelled." in messages
    assert any(m.startswith("Gone one: ") and "cannot be" in m for m in messages)


def test_the_submit_action_sends_a_draft_to_review(client, cast, superuser, draft):
    response = client.post(
        _url(Post, "changelist"),
        {"action": "submit", "index": 0, ACTION_CHECKBOX_NAME: [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW


def test_the_reopen_action_makes_a_cancelled_post_a_draft_again(client, cast, superuser, draft):
    actions.post_cancel(actor=cast.content, post=draft)
    client.post(
        _url(Post, "changelist"),
        {"action": "reopen", "index": 0, ACTION_CHECKBOX_NAME: [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_a_post_cannot_be_edited_in_the_admin(client, cast, superuser, draft):
    response = client.post(_url(Post, "change", draft.pk), {"body": "Changed"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.body != "Changed"


# --- the audit trail -------------------------------------------------------------


def test_audit_events_have_no_change_or_delete_permission(client, rf, cast, superuser):
    services.channel_set_active(
        actor=cast.admin, channel=ChannelFactory(workspace=cast.workspace), active=False
    )
    event = AuditEvent.objects.get()
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert client.post(_url(AuditEvent, "change", event.pk), {}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_connection_secrets_never_reach_the_admin(client, world):
    for model, secret in (
        (OAuthApp, "never-shown-secret"),
        (PendingConnection, "never-shown-verifier"),
    ):
        obj = model._default_manager.get()
        for kind in ("changelist", "change"):
            url = _url(model, kind, obj.pk) if kind == "change" else _url(model, kind)
            page = client.get(url)
            assert page.status_code == 200
            assert secret not in page.content.decode()
