"""Sign-in lockout: repeated failures lock one email from one address for a while."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone, translation

from accounts.services_two_factor import login_unlock
from planner.errors import NotAllowed, NotFound
from planner.models import AuditEvent
from tests.calendar_project.test_settings import run_manage
from tests.factories import PASSWORD
from tests.two_factor import code_now, give_authenticator

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def attempt(email, password="wrong", address="10.0.0.1"):  # noqa: S107 - a wrong one
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": email, "password": password})


def fail(email, times=3, address="10.0.0.1"):
    for _n in range(times):
        response = attempt(email, address=address)
    return response


def test_wrong_passwords_below_the_limit_only_say_they_are_wrong(cast):
    response = fail(cast.viewer.email, times=2)
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_the_failure_that_reaches_the_limit_shows_the_locked_page(cast):
    response = fail(cast.viewer.email)
    assert response.status_code == 429
    page = response.content.decode()
    assert "locked for 15 minutes" in page
    assert "ask an admin of your workspace to unlock it" in page


def test_a_locked_account_is_refused_even_with_the_right_password(cast):
    fail(cast.viewer.email)
    response = attempt(cast.viewer.email, password=PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in response.wsgi_request.session


def test_the_same_email_in_other_capitals_counts_as_one(cast):
    fail(cast.viewer.email, times=2)
    assert attempt(cast.viewer.email.upper()).status_code == 429


def test_the_same_person_from_another_address_is_not_locked(cast):
    fail(cast.viewer.email, address="10.0.0.1")
    response = attempt(cast.viewer.email, password=PASSWORD, address="10.0.0.2")
    assert response.status_code == 302


def test_the_lock_ends_after_the_lockout_time(cast):
    fail(cast.viewer.email)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=False):
        assert attempt(cast.viewer.email, password=PASSWORD).status_code == 302


def test_a_complete_sign_in_clears_the_failures(cast):
    fail(cast.viewer.email, times=2)
    attempt(cast.viewer.email, password=PASSWORD)
    assert attempt(cast.viewer.email).status_code == 200
    assert attempt(cast.viewer.email).status_code == 200


def test_the_locked_page_is_in_french(cast):
    client = Client(REMOTE_ADDR="10.0.0.1", headers={"Accept-Language": "fr"})
    with translation.override("en"):  # the language a request activates stays in the thread
        for _n in range(3):
            answer = client.post(LOGIN, {"username": cast.viewer.email, "password": "x"})
    assert answer.status_code == 429
    assert "verrouillé" in answer.content.decode()


def test_a_json_client_gets_the_lockout_as_json(cast):
    fail(cast.viewer.email, times=2)
    response = Client(REMOTE_ADDR="10.0.0.1").post(
        LOGIN,
        {"username": cast.viewer.email, "password": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]


# --- wrong second-factor codes count too ---------------------------------------------------


def test_wrong_codes_count_as_failures_and_end_the_session_when_locked(cast):
    give_authenticator(cast.admin)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post(LOGIN, {"username": cast.admin.email, "password": PASSWORD})
    statuses = []
    for n in range(3):
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=1 + n), tick=False):
            statuses.append(
                client.post("/accounts/two-factor/verify/", {"token": "000000"}).status_code
            )
    assert statuses == [400, 400, 429]
    assert "_auth_user_id" not in client.session
    assert attempt(cast.admin.email, password=PASSWORD).status_code == 429


def test_signing_in_again_with_the_password_does_not_clear_wrong_codes(cast):
    give_authenticator(cast.admin)
    for n in range(3):
        # a minute apart, past django-otp's own back-off after a wrong code
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=1 + n), tick=False):
            client = Client(REMOTE_ADDR="10.0.0.1")
            client.post(LOGIN, {"username": cast.admin.email, "password": PASSWORD})
            last = client.post("/accounts/two-factor/verify/", {"token": "000000"})
    assert last.status_code == 429


def test_the_right_code_clears_the_failures(cast):
    device = give_authenticator(cast.admin)
    fail(cast.admin.email, times=2)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post(LOGIN, {"username": cast.admin.email, "password": PASSWORD})
    client.post("/accounts/two-factor/verify/", {"token": code_now(device)})
    assert not AccessAttempt.objects.filter(username=cast.admin.email).exists()


# --- unlocking ----------------------------------------------------------------------------


def test_an_admin_sees_who_is_locked_and_unlocks_them(client, cast):
    fail(cast.viewer.email)
    client.force_login(cast.admin)
    page = client.get("/accounts/members/").content.decode()
    row = page.split(f'data-testid="member-{cast.viewer.email}"')[1].split("</tr>")[0]
    assert "Locked out" in row and 'data-testid="unlock"' in row
    membership = cast.viewer.memberships.get()
    response = client.post(f"/accounts/members/{membership.pk}/unlock/", follow=True)
    assert "can sign in again" in response.content.decode()
    assert attempt(cast.viewer.email, password=PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="login.unlock")
    assert event.actor == cast.admin and event.target == cast.viewer.email


def test_unlocking_someone_who_is_not_locked_says_so(client, cast):
    client.force_login(cast.admin)
    membership = cast.viewer.memberships.get()
    response = client.post(f"/accounts/members/{membership.pk}/unlock/", follow=True)
    assert "is not locked out" in response.content.decode()
    assert not AuditEvent.objects.filter(action="login.unlock").exists()


def test_a_marketing_member_cannot_unlock(client, cast):
    fail(cast.viewer.email)
    client.force_login(cast.marketing)
    membership = cast.viewer.memberships.get()
    assert client.post(f"/accounts/members/{membership.pk}/unlock/").status_code == 403
    with pytest.raises(NotAllowed):
        login_unlock(actor=cast.marketing, workspace=cast.workspace, membership_id=membership.pk)
    assert attempt(cast.viewer.email, password=PASSWORD).status_code == 429


def test_another_workspaces_admin_cannot_unlock(client, cast, other):
    fail(cast.viewer.email)
    membership = cast.viewer.memberships.get()
    client.force_login(other.admin)
    assert client.post(f"/accounts/members/{membership.pk}/unlock/").status_code == 404
    with pytest.raises(NotFound):
        login_unlock(actor=other.admin, workspace=other.workspace, membership_id=membership.pk)


def test_the_django_admin_lists_the_attempts(client, cast):
    fail(cast.viewer.email)
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    page = client.get("/admin/axes/accessattempt/").content.decode()
    assert cast.viewer.email in page


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT=0 must be at least 1"),
        ("LOGIN_LOCKOUT_MINUTES", "soon", "LOGIN_LOCKOUT_MINUTES='soon' is not a whole number"),
    ],
)
def test_a_bad_limit_stops_the_start_naming_the_variable(name, value, says):
    result = run_manage("check", DEBUG="true", **{name: value})
    assert result.returncode != 0
    assert says in result.stderr
