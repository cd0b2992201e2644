"""Guided enrolment, recovery codes, the profile's controls, resets by an admin or an
operator, and the workspace setting."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.services_two_factor import two_factor_reset
from planner.errors import NotAllowed, NotFound
from planner.models import AuditEvent
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.two_factor import code_now, give_authenticator

from .test_two_factor import sign_in

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/setup/"


def secret_on(page: str) -> str:
    return re.search(r'data-testid="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)


def code_for(secret: str) -> str:
    return f"{TOTP(b32decode(secret.replace(' ', ''))).token():06d}"


def enrol(client) -> list[str]:
    """Set up an app from the page's secret; the recovery codes shown after."""
    secret = secret_on(client.get(SETUP).content.decode())
    response = client.post(SETUP, {"token": code_for(secret), "next": "/"})
    assert response.status_code == 302, response.content.decode()
    page = client.get(response["Location"]).content.decode()
    return re.findall(r'<li class="col">([a-z2-7]{8})</li>', page)


# --- enrolment ------------------------------------------------------------------------


def test_the_setup_page_explains_why_and_shows_a_qr_code_and_the_secret(cast):
    client, _r = sign_in(cast.marketing)
    page = client.get(SETUP).content.decode()
    assert "Your role can approve, publish or stop" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert 'alt="QR code to scan' in page
    groups = secret_on(page).split()
    assert all(len(g) == 4 for g in groups[:-1])


def test_the_qr_code_holds_the_otpauth_address_with_the_issuer_and_email(cast):
    client, _r = sign_in(cast.marketing)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.marketing, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/Maillon%3Amarketing%40acme.test?")
    assert "issuer=Maillon" in device.config_url


def test_a_wrong_code_says_so_and_keeps_the_same_secret(cast):
    client, _r = sign_in(cast.marketing)
    secret = secret_on(client.get(SETUP).content.decode())
    response = client.post(SETUP, {"token": "123456"})
    assert response.status_code == 400
    assert "This code is not right" in response.content.decode()
    assert secret_on(response.content.decode()) == secret
    assert secret_on(client.get(SETUP).content.decode()) == secret
    assert not TOTPDevice.objects.filter(user=cast.marketing, confirmed=True).exists()


def test_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(cast):
    client, _r = sign_in(cast.marketing)
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.filter(user=cast.marketing, confirmed=True).count() == 1
    assert client.get("/").status_code == 200  # the session is verified
    client.post("/accounts/two-factor/codes/", {"next": "/"})
    assert client.get("/accounts/two-factor/codes/")["Location"] == "/accounts/profile/"


def test_the_recovery_codes_download_as_text_until_saved(cast):
    client, _r = sign_in(cast.marketing)
    codes = enrol(client)
    response = client.get("/accounts/two-factor/codes/download/")
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment" in response["Content-Disposition"]
    assert all(code in response.content.decode() for code in codes)
    client.post("/accounts/two-factor/codes/")
    assert client.get("/accounts/two-factor/codes/download/").status_code == 404


def test_enabling_is_audited_in_every_workspace_without_the_secret_or_codes(cast):
    elsewhere = WorkspaceFactory(name="Initech")
    MembershipFactory(user=cast.marketing, workspace=elsewhere, role=Role.VIEWER)
    client, _r = sign_in(cast.marketing)
    codes = enrol(client)
    events = AuditEvent.objects.filter(action="two_factor.enable")
    assert {e.workspace for e in events} == {cast.workspace, elsewhere}
    assert all(code not in str(e.data) for e in events for code in codes)


def test_a_recovery_code_signs_in_once(cast):
    client, _r = sign_in(cast.marketing)
    code = enrol(client)[0]
    again, _r = sign_in(cast.marketing)
    assert again.post("/accounts/two-factor/verify/", {"token": code.upper()})["Location"] == "/"
    third, _r = sign_in(cast.marketing)
    assert third.post("/accounts/two-factor/verify/", {"token": code}).status_code == 400
    assert StaticToken.objects.filter(device__user=cast.marketing).count() == 9


# --- the profile ------------------------------------------------------------------------


def test_the_profile_says_since_when_and_how_many_codes_are_left(client, cast):
    client.force_login(cast.admin)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-testid="two-factor-on"' in page
    assert "requires it for your role" in page


def test_the_profile_of_a_viewer_offers_to_set_it_up(client, cast):
    client.force_login(cast.viewer)
    page = client.get("/accounts/profile/").content.decode()
    assert 'data-testid="two-factor-off"' in page
    assert SETUP in page


def test_regenerating_asks_first_then_replaces_every_code(cast):
    client, _r = sign_in(cast.marketing)
    old = enrol(client)
    client.post("/accounts/two-factor/codes/")
    assert (
        "Make new recovery codes?"
        in client.get("/accounts/two-factor/regenerate/").content.decode()
    )
    response = client.post("/accounts/two-factor/regenerate/")
    new = re.findall(
        r'<li class="col">([a-z2-7]{8})</li>', client.get(response["Location"]).content.decode()
    )
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action="two_factor.codes_regenerated").exists()


def test_turning_it_off_is_refused_while_a_workspace_requires_it(client, cast):
    client.force_login(cast.admin)
    device = TOTPDevice.objects.get(user=cast.admin)
    response = client.post(
        "/accounts/two-factor/disable/", {"token": code_now(device)}, follow=True
    )
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=cast.admin).exists()


def test_staff_are_told_it_is_their_staff_access_that_requires_it(client, cast):
    cast.viewer.is_staff = True
    cast.viewer.save()
    device = give_authenticator(cast.viewer)
    client.force_login(cast.viewer)
    page = client.get("/accounts/profile/").content.decode()
    assert "Your staff access to the Django admin requires it" in page
    assert "for your role" not in page
    response = client.post(
        "/accounts/two-factor/disable/", {"token": code_now(device)}, follow=True
    )
    assert "Staff access to the Django admin requires two-factor sign-in" in response.text
    assert TOTPDevice.objects.filter(user=cast.viewer).exists()


def test_a_viewer_turns_it_off_with_a_current_code(client, cast):
    device = give_authenticator(cast.viewer)
    client.force_login(cast.viewer)
    client.post("/accounts/two-factor/disable/", {"token": code_now(device)})
    assert not TOTPDevice.objects.filter(user=cast.viewer).exists()
    assert AuditEvent.objects.filter(action="two_factor.disable", target=cast.viewer.email).exists()


def test_turning_it_off_with_a_wrong_code_keeps_it(client, cast):
    give_authenticator(cast.viewer)
    client.force_login(cast.viewer)
    response = client.post("/accounts/two-factor/disable/", {"token": "000000"}, follow=True)
    assert "This code is not right" in response.content.decode()
    assert TOTPDevice.objects.filter(user=cast.viewer).exists()


# --- a lost phone -------------------------------------------------------------------------


def test_an_admin_resets_a_members_two_factor_after_a_confirmation(client, cast):
    give_authenticator(cast.marketing)
    phone = Client()
    phone.force_login(cast.marketing)
    client.force_login(cast.admin)
    membership = cast.marketing.memberships.get()
    url = f"/accounts/members/{membership.pk}/two-factor-reset/"
    assert "Reset the two-factor sign-in" in client.get(url).content.decode()
    assert TOTPDevice.objects.filter(user=cast.marketing).exists()
    client.post(url)
    assert not TOTPDevice.objects.filter(user=cast.marketing).exists()
    assert phone.get("/")["Location"].startswith("/accounts/login/")  # their sessions ended
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor == cast.admin and event.target == cast.marketing.email
    _client, response = sign_in(cast.marketing)
    assert response["Location"].startswith(SETUP)


def test_the_members_page_offers_the_reset_beside_those_who_have_it(client, cast):
    give_authenticator(cast.marketing)
    client.force_login(cast.admin)
    page = client.get("/accounts/members/").content.decode()
    row = page.split(f'data-testid="member-{cast.marketing.email}"')[1].split("</tr>")[0]
    assert 'data-testid="two-factor-reset"' in row
    row = page.split(f'data-testid="member-{cast.viewer.email}"')[1].split("</tr>")[0]
    assert 'data-testid="two-factor-reset"' not in row


def test_a_marketing_member_cannot_reset_anyone(client, cast):
    give_authenticator(cast.content)
    client.force_login(cast.marketing)
    membership = cast.content.memberships.get()
    assert client.post(f"/accounts/members/{membership.pk}/two-factor-reset/").status_code == 403
    with pytest.raises(NotAllowed):
        two_factor_reset(
            actor=cast.marketing, workspace=cast.workspace, membership_id=membership.pk
        )
    assert TOTPDevice.objects.filter(user=cast.content).exists()


def test_another_workspaces_admin_cannot_reset_a_member_of_this_one(client, cast, other):
    give_authenticator(cast.content)
    membership = cast.content.memberships.get()
    client.force_login(other.admin)
    assert client.post(f"/accounts/members/{membership.pk}/two-factor-reset/").status_code == 404
    with pytest.raises(NotFound):
        two_factor_reset(actor=other.admin, workspace=other.workspace, membership_id=membership.pk)
    assert TOTPDevice.objects.filter(user=cast.content).exists()


def test_an_operator_resets_it_from_the_command_line(cast):
    give_authenticator(cast.content)
    call_command("two_factor_reset", cast.content.email.upper())
    assert not TOTPDevice.objects.filter(user=cast.content).exists()
    assert AuditEvent.objects.get(action="two_factor.reset").actor is None


def test_the_command_names_an_unknown_address(db):
    with pytest.raises(CommandError, match="No account has this email address"):
        call_command("two_factor_reset", "nobody@example.test")


# --- the workspace setting ------------------------------------------------------------------


def _settings_form(workspace, **changes) -> dict:
    data = {
        "name": workspace.name,
        "time_zone": workspace.time_zone,
        "late_cutoff_minutes": workspace.late_cutoff_minutes,
        "approval_reminder_hours": workspace.approval_reminder_hours,
        "at_risk_hours": workspace.at_risk_hours,
        "notify_webhook_kind": "",
        "require_two_factor": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_turning_the_requirement_off_asks_first_and_names_who_it_exposes(client, cast):
    client.force_login(cast.admin)
    response = client.post("/settings/", _settings_form(cast.workspace, require_two_factor=None))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Stop requiring two-factor sign-in" in page
    exposed = page.split('data-testid="exposed"')[1].split("</ul>")[0]
    assert cast.marketing.email in exposed and cast.viewer.email not in exposed
    cast.workspace.refresh_from_db()
    assert cast.workspace.require_two_factor is True


def test_confirming_turns_it_off_with_an_audit_event(client, cast):
    client.force_login(cast.admin)
    form = _settings_form(cast.workspace, require_two_factor=None, confirm_off="yes")
    assert client.post("/settings/", form).status_code == 302
    cast.workspace.refresh_from_db()
    assert cast.workspace.require_two_factor is False
    event = AuditEvent.objects.get(action="workspace.settings")
    assert event.data == {
        "before": {"require_two_factor": True},
        "after": {"require_two_factor": False},
    }


def test_turning_it_back_on_needs_no_confirmation(client, cast):
    cast.workspace.require_two_factor = False
    cast.workspace.save()
    client.force_login(cast.admin)
    assert client.post("/settings/", _settings_form(cast.workspace)).status_code == 302
    cast.workspace.refresh_from_db()
    assert cast.workspace.require_two_factor is True
