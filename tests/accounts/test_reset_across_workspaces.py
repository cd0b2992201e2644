"""An admin of one workspace may not reset the second factor, or unlock the login, of a
person whose role in another workspace needs a second factor: only an admin of every
such workspace may, or the server's operator."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role
from accounts.services_two_factor import login_unlock, two_factor_reset
from planner.errors import NotAllowed
from planner.models import AuditEvent
from tests.factories import MembershipFactory
from tests.two_factor import give_authenticator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def lock_out(email):
    for _n in range(3):
        Client(REMOTE_ADDR="10.0.0.1").post(
            "/accounts/login/",
            {"username": email, "password": "wrong"},
        )
    assert AccessAttempt.objects.filter(username=email).exists()


@pytest.fixture
def dual(cast, other):
    """Globex's admin, also a viewer at Acme."""
    person = other.admin
    MembershipFactory(user=person, workspace=cast.workspace, role=Role.VIEWER)
    give_authenticator(person)
    return Membership.objects.get(user=person, workspace=cast.workspace)


def row_of(page: str, email: str) -> str:
    return page.split(f'data-testid="member-{email}"')[1].split("</tr>")[0]


def test_an_admin_here_cannot_reset_an_admin_of_elsewhere(cast, other, dual):
    with pytest.raises(NotAllowed) as refused:
        two_factor_reset(actor=cast.admin, workspace=cast.workspace, membership_id=dual.pk)
    assert "Globex" in refused.value.message
    assert "manage.py two_factor_reset" in refused.value.message
    assert TOTPDevice.objects.filter(user=other.admin).exists()
    assert not AuditEvent.objects.filter(action="two_factor.reset").exists()


def test_an_admin_here_cannot_unlock_an_admin_of_elsewhere(cast, other, dual):
    lock_out(other.admin.email)
    with pytest.raises(NotAllowed) as refused:
        login_unlock(actor=cast.admin, workspace=cast.workspace, membership_id=dual.pk)
    assert "Globex" in refused.value.message
    assert "manage.py login_unlock" in refused.value.message
    assert AccessAttempt.objects.filter(username=other.admin.email).exists()


def test_the_refusal_holds_whether_or_not_the_other_workspace_requires_a_second_factor(
    cast, other, dual
):
    # A factor the person chose guards the other workspace just as well.
    other.workspace.require_two_factor = False
    other.workspace.save(update_fields=["require_two_factor"])
    with pytest.raises(NotAllowed):
        two_factor_reset(actor=cast.admin, workspace=cast.workspace, membership_id=dual.pk)


def test_an_admin_of_both_workspaces_may_reset_and_unlock(cast, other, dual):
    MembershipFactory(user=cast.admin, workspace=other.workspace, role=Role.ADMIN)
    lock_out(other.admin.email)
    login_unlock(actor=cast.admin, workspace=cast.workspace, membership_id=dual.pk)
    two_factor_reset(actor=cast.admin, workspace=cast.workspace, membership_id=dual.pk)
    assert not TOTPDevice.objects.filter(user=other.admin).exists()
    assert not AccessAttempt.objects.filter(username=other.admin.email).exists()


def test_a_role_elsewhere_that_needs_no_second_factor_does_not_stop_the_reset(cast, other):
    MembershipFactory(user=other.viewer, workspace=cast.workspace, role=Role.CONTENT_MANAGER)
    give_authenticator(other.viewer)
    membership = Membership.objects.get(user=other.viewer, workspace=cast.workspace)
    two_factor_reset(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)
    assert not TOTPDevice.objects.filter(user=other.viewer).exists()


def test_the_members_page_says_why_instead_of_offering_the_buttons(client, cast, other, dual):
    lock_out(other.admin.email)
    client.force_login(cast.admin)
    row = row_of(client.get("/accounts/members/").content.decode(), other.admin.email)
    assert 'data-testid="two-factor-reset"' not in row
    assert 'data-testid="unlock"' not in row
    assert "Locked out" in row
    assert 'data-testid="operator-only"' in row
    assert "Globex" in row and "manage.py" in row


def test_the_reset_page_refuses_with_the_reason(client, cast, other, dual):
    client.force_login(cast.admin)
    for method in (client.get, client.post):
        response = method(f"/accounts/members/{dual.pk}/two-factor-reset/")
        assert response.status_code == 403
        assert "manage.py two_factor_reset" in response.content.decode()
    response = client.post(f"/accounts/members/{dual.pk}/unlock/")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=other.admin).exists()


def test_the_operator_unlocks_from_the_command_line(cast, other, dual, capsys):
    lock_out(other.admin.email)
    call_command("login_unlock", other.admin.email.upper())
    assert f"{other.admin.email} can sign in again." in capsys.readouterr().out
    assert not AccessAttempt.objects.filter(username=other.admin.email).exists()
    events = AuditEvent.objects.filter(action="login.unlock")
    assert {e.workspace for e in events} == {cast.workspace, other.workspace}
    assert all(e.actor is None and e.data == {"by": "operator"} for e in events)


def test_the_unlock_command_says_when_nobody_is_locked(cast):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not locked out"):
        call_command("login_unlock", cast.viewer.email)
    with pytest.raises(CommandError, match="No account has this email address"):
        call_command("login_unlock", "nobody@example.test")
