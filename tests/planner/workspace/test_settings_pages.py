"""The workspace's settings page: admins change how the workspace plans, approves and
tells people; nobody else may open it."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role, Workspace
from planner.errors import Invalid
from planner.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("planner:settings")
SLACK = "https://hooks.slack.com/services/T0ACME/B0HOOK/s3cr3t-slack-token"
DISCORD = "https://discord.com/api/webhooks/1234/s3cr3t-discord-token"


def fields(workspace: Workspace, **changes) -> dict:
    """The form as the page shows it, with ``changes`` typed in."""
    data = {
        "name": workspace.name,
        "time_zone": workspace.time_zone,
        "late_cutoff_minutes": workspace.late_cutoff_minutes,
        "approval_reminder_hours": workspace.approval_reminder_hours,
        "at_risk_hours": workspace.at_risk_hours,
        "notify_webhook_kind": workspace.notify_webhook_kind,
        "notify_webhook_url": "",
    }
    if workspace.four_eyes_relaxed:
        data["four_eyes_relaxed"] = "on"
    if workspace.require_two_factor:
        data["require_two_factor"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin(client, cast):
    client.force_login(cast.admin)
    return client


def saved(cast) -> Workspace:
    return Workspace.objects.get(pk=cast.workspace.pk)


# --- who may ----------------------------------------------------------------------------


def test_an_admin_sees_the_settings_with_the_current_values(admin, cast):
    response = admin.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["name"].value() == "Acme"
    assert form["late_cutoff_minutes"].value() == 15
    assert form["at_risk_hours"].value() == 48


@pytest.mark.parametrize(
    "role", [Role.MARKETING, Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER]
)
def test_only_admins_open_or_save_the_settings(client, cast, role):
    client.force_login(cast.as_role(role))
    response = client.get(URL)
    assert response.status_code == 403
    assert "Your role does not allow this" in response.text
    response = client.post(URL, fields(cast.workspace, name="Taken over"))
    assert response.status_code == 403
    assert saved(cast).name == "Acme"


def test_the_navbar_shows_settings_to_admins_only(client, cast):
    client.force_login(cast.admin)
    assert f'href="{URL}"' in client.get(reverse("planner:campaign_list")).text
    client.force_login(cast.marketing)
    assert f'href="{URL}"' not in client.get(reverse("planner:campaign_list")).text


# --- each setting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("name", "  Acme Europe ", "Acme Europe"),
        ("time_zone", "America/Montreal", "America/Montreal"),
        ("late_cutoff_minutes", "45", 45),
        ("approval_reminder_hours", "6", 6),
        ("at_risk_hours", "72", 72),
        ("four_eyes_relaxed", "on", True),
    ],
)
def test_an_admin_saves_each_setting(admin, cast, field, typed, stored):
    response = admin.post(URL, fields(cast.workspace, **{field: typed}))
    assert response.status_code == 302
    assert getattr(saved(cast), field) == stored
    assert "saved" in admin.get(URL).text


def test_saving_the_page_unchanged_records_nothing(admin, cast):
    admin.post(URL, fields(cast.workspace))
    assert not AuditEvent.objects.filter(action="workspace.settings").exists()


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("name", ""),
        ("late_cutoff_minutes", "0"),
        ("late_cutoff_minutes", "soon"),
        ("approval_reminder_hours", "-3"),
        ("at_risk_hours", "100000"),
        ("time_zone", "Mars/Olympus"),
    ],
)
def test_a_bad_value_keeps_what_was_typed_and_says_what_is_wrong(admin, cast, field, typed):
    other = "name" if field != "name" else "at_risk_hours"
    other_value = "Acme Two" if other == "name" else "12"
    response = admin.post(URL, fields(cast.workspace, **{field: typed, other: other_value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert f'id="error_1_id_{field}"' in response.text  # said next to the field
    assert form[other].value() == other_value  # the rest of what was typed stays
    if field != "time_zone":  # a list cannot show a zone it does not offer
        assert f'value="{typed}"' in response.text
    after = saved(cast)
    assert (after.name, after.at_risk_hours) == ("Acme", 48)


# --- four eyes ---------------------------------------------------------------------------


def test_relaxing_four_eyes_is_audited_with_before_and_after(admin, cast):
    admin.post(URL, fields(cast.workspace, four_eyes_relaxed="on"))
    event = AuditEvent.objects.get(action="workspace.settings")
    assert event.actor == cast.admin
    assert event.data == {
        "before": {"four_eyes_relaxed": False},
        "after": {"four_eyes_relaxed": True},
    }
    page = admin.get(URL).text
    assert 'data-testid="four-eyes-warning"' in page


def test_restoring_four_eyes_is_audited_too(admin, cast):
    Workspace.objects.filter(pk=cast.workspace.pk).update(four_eyes_relaxed=True)
    admin.post(URL, fields(saved(cast), four_eyes_relaxed=None))
    assert saved(cast).four_eyes_relaxed is False
    event = AuditEvent.objects.get(action="workspace.settings")
    assert event.data["before"] == {"four_eyes_relaxed": True}
    assert event.data["after"] == {"four_eyes_relaxed": False}


def test_the_four_eyes_setting_warns_what_it_does(admin):
    page = admin.get(URL).text
    assert "Allow approving one&#x27;s own posts" in page
    assert "nobody approves a version they wrote or edited" in page


# --- the chat webhook --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("slack", SLACK),
        ("discord", DISCORD),
        ("discord", "https://discordapp.com/api/webhooks/1/t"),
        ("teams", "https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi"),
        ("teams", "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/x"),
        ("teams", "https://default1234.ab.environment.api.powerplatform.com/powerautomate/x"),
    ],
)
def test_a_webhook_of_each_kind_is_accepted_on_its_usual_hosts(admin, cast, kind, url):
    response = admin.post(
        URL, fields(cast.workspace, notify_webhook_kind=kind, notify_webhook_url=url)
    )
    assert response.status_code == 302
    after = saved(cast)
    assert (after.notify_webhook_kind, after.notify_webhook_url) == (kind, url)


@pytest.mark.parametrize(
    ("kind", "url", "says"),
    [
        ("slack", "", "Paste the webhook address"),
        ("slack", DISCORD, "not a Slack webhook address (discord.com)"),
        ("discord", SLACK, "not a Discord webhook address"),
        ("teams", "https://evil.example/office.com/x", "not a Microsoft Teams webhook"),
        ("slack", "http://hooks.slack.com/services/T/B/X", "must start with https://"),
        ("slack", "hooks.slack.com/services/T/B/X", "valid web address"),
        ("slack", "http://127.0.0.1:8025/slack/hook", "must start with https://"),
        ("slack", "https://hooks.slack.com.evil.example/services/T/B/X", "not a Slack"),
    ],
)
def test_a_wrong_webhook_address_is_refused_on_its_field(admin, cast, kind, url, says, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False  # as in production
    response = admin.post(
        URL, fields(cast.workspace, notify_webhook_kind=kind, notify_webhook_url=url)
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["notify_webhook_url"])
    assert says in errors
    assert response.context["form"]["notify_webhook_url"].value() == url
    assert saved(cast).notify_webhook_kind == ""


def test_a_local_test_receiver_is_allowed_when_the_setting_says_so(admin, cast, settings):
    local = "http://127.0.0.1:8025/slack/services/T/B/X"
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    response = admin.post(
        URL, fields(cast.workspace, notify_webhook_kind="slack", notify_webhook_url=local)
    )
    assert response.status_code == 302
    assert saved(cast).notify_webhook_url == local


def test_a_local_test_receiver_is_allowed_in_debug(cast, settings):
    settings.DEBUG = True
    account_services.workspace_update_settings(
        actor=cast.admin,
        workspace=cast.workspace,
        notify_webhook_kind="discord",
        notify_webhook_url="http://localhost:9000/api/webhooks/1/t",
    )
    assert saved(cast).notify_webhook_kind == "discord"


def test_the_stored_address_is_never_shown_and_an_empty_field_keeps_it(admin, cast):
    admin.post(URL, fields(cast.workspace, notify_webhook_kind="slack", notify_webhook_url=SLACK))
    page = admin.get(URL).text
    assert "s3cr3t-slack-token" not in page
    assert "https://hooks.slack.com/••••" in page
    admin.post(URL, fields(saved(cast), at_risk_hours="24"))
    assert saved(cast).notify_webhook_url == SLACK
    assert saved(cast).at_risk_hours == 24


def test_changing_the_kind_needs_an_address_of_the_new_kind(admin, cast):
    admin.post(URL, fields(cast.workspace, notify_webhook_kind="slack", notify_webhook_url=SLACK))
    response = admin.post(URL, fields(saved(cast), notify_webhook_kind="discord"))
    assert response.status_code == 400
    assert "not a Discord webhook address" in str(response.context["form"].errors)


def test_choosing_no_chat_service_forgets_the_address(admin, cast):
    admin.post(URL, fields(cast.workspace, notify_webhook_kind="slack", notify_webhook_url=SLACK))
    admin.post(URL, fields(saved(cast), notify_webhook_kind=""))
    after = saved(cast)
    assert (after.notify_webhook_kind, after.notify_webhook_url) == ("", "")


def test_the_webhook_address_is_masked_in_the_audit_trail(admin, cast):
    admin.post(URL, fields(cast.workspace, notify_webhook_kind="slack", notify_webhook_url=SLACK))
    admin.post(URL, fields(saved(cast), notify_webhook_kind="discord", notify_webhook_url=DISCORD))
    events = AuditEvent.objects.filter(action="workspace.settings").order_by("pk")
    assert [e.data["after"]["notify_webhook_url"] for e in events] == [
        "https://hooks.slack.com/••••",
        "https://discord.com/••••",
    ]
    assert events[1].data["before"] == {
        "notify_webhook_kind": "slack",
        "notify_webhook_url": "https://hooks.slack.com/••••",
    }
    dumped = json.dumps([e.data for e in events])
    assert "s3cr3t" not in dumped and "T0ACME" not in dumped


def test_the_service_refuses_an_unknown_chat_service(cast):
    with pytest.raises(Invalid) as refused:
        account_services.workspace_update_settings(
            actor=cast.admin, workspace=cast.workspace, notify_webhook_kind="irc"
        )
    assert "notify_webhook_kind" in refused.value.fields


def test_the_test_button_shows_only_with_a_stored_webhook(admin, cast):
    assert 'data-testid="webhook-test"' not in admin.get(URL).text
    admin.post(URL, fields(cast.workspace, notify_webhook_kind="slack", notify_webhook_url=SLACK))
    page = admin.get(URL).text
    assert 'data-testid="webhook-test"' in page
    assert reverse("planner:settings_webhook_test") in page


def local_hook(cast, settings, httpserver) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    account_services.workspace_update_settings(
        actor=cast.admin,
        workspace=cast.workspace,
        notify_webhook_kind="slack",
        notify_webhook_url=httpserver.url_for("/services/T/B/X"),
    )


def test_the_test_button_posts_to_the_stored_webhook_and_says_so(admin, cast, settings, httpserver):
    local_hook(cast, settings, httpserver)
    httpserver.expect_oneshot_request("/services/T/B/X", method="POST").respond_with_data("ok")
    response = admin.post(reverse("planner:settings_webhook_test"), follow=True)
    assert "A test message was sent" in response.text
    httpserver.check_assertions()
    (request, _response) = httpserver.log[0]
    assert "Maillon test message" in request.get_json()["text"]


def test_a_failed_test_message_says_why(admin, cast, settings, httpserver):
    local_hook(cast, settings, httpserver)
    httpserver.expect_request("/services/T/B/X").respond_with_data("no_service", status=404)
    response = admin.post(reverse("planner:settings_webhook_test"), follow=True)
    assert "The test message was not sent: The chat server answered HTTP 404." in response.text


def test_only_admins_send_a_test_message(client, cast):
    client.force_login(cast.marketing)
    assert client.post(reverse("planner:settings_webhook_test")).status_code == 403


# --- where the approval chains are -------------------------------------------------------


def test_the_page_shows_the_default_chain_and_the_campaigns_with_their_own(admin, cast):
    from planner.approvals import chains
    from tests.factories import CampaignFactory

    page = admin.get(URL).text
    assert "Default approval chain:" in page and "<strong>Marketing</strong>" in page
    assert 'data-testid="no-campaign-chains"' in page
    campaign = CampaignFactory(workspace=cast.workspace, name="Recall")
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=campaign,
        steps=[("marketing", "any", []), ("admin", "any", [])],
    )
    page = admin.get(URL).text
    assert "Recall</a>: Marketing → Admin" in page
    assert reverse("planner:approval_chain_default") in page
