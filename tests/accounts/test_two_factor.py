"""Who must sign in with a second factor, and what a session without it may reach."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.permissions import MATRIX, Capability
from accounts.two_factor import ROLES_NEEDING_TWO_FACTOR, needs_two_factor
from tests.factories import PASSWORD, MembershipFactory, WorkspaceFactory
from tests.two_factor import code_now, give_authenticator

pytestmark = pytest.mark.django_db


def sign_in(user, **extra) -> tuple[Client, object]:
    """The password step of a real sign-in, with a plain client."""
    client = Client(**extra)
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    return client, response


# --- who needs it -------------------------------------------------------------------


def test_the_roles_that_need_it_are_those_that_can_approve_publish_pause_or_manage_channels():
    sensitive = {
        Capability.POST_APPROVE,
        Capability.POST_RESOLVE,
        Capability.PUBLISHING_PAUSE,
        Capability.CHANNEL_MANAGE,
    }
    assert {r for r in Role.values if MATRIX[r] & sensitive} == ROLES_NEEDING_TWO_FACTOR
    assert {Role.ADMIN, Role.MARKETING, Role.CONTENT_MANAGER} == ROLES_NEEDING_TWO_FACTOR


@pytest.mark.parametrize(
    ("role", "needed"),
    [
        (Role.ADMIN, True),
        (Role.MARKETING, True),
        (Role.CONTENT_MANAGER, True),
        (Role.CONTRIBUTOR, False),
        (Role.VIEWER, False),
    ],
)
def test_a_workspace_requires_it_by_default_of_the_sensitive_roles(cast, role, needed):
    assert cast.workspace.require_two_factor is True
    assert needs_two_factor(cast.as_role(role)) is needed


def test_nobody_needs_it_in_a_workspace_that_does_not_require_it(cast):
    cast.workspace.require_two_factor = False
    cast.workspace.save()
    assert not needs_two_factor(cast.admin)


def test_a_contributor_here_who_is_marketing_in_a_requiring_workspace_needs_it(cast):
    elsewhere = WorkspaceFactory(name="Initech")
    MembershipFactory(user=cast.contributor, workspace=elsewhere, role=Role.MARKETING)
    assert needs_two_factor(cast.contributor)


def test_an_admin_here_needs_it_when_only_the_other_workspace_requires_it(cast):
    cast.workspace.require_two_factor = False
    cast.workspace.save()
    elsewhere = WorkspaceFactory(name="Initech")
    MembershipFactory(user=cast.admin, workspace=elsewhere, role=Role.CONTENT_MANAGER)
    assert needs_two_factor(cast.admin)
    MembershipFactory(user=cast.viewer, workspace=elsewhere, role=Role.VIEWER)
    assert not needs_two_factor(cast.viewer)


# --- the sign-in flow and what an unverified session reaches ------------------------------


def test_signing_in_as_marketing_without_a_device_leads_to_the_guided_setup(cast):
    _client, response = sign_in(cast.marketing)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/setup/?next=")


def test_signing_in_with_a_device_asks_for_the_code(cast):
    give_authenticator(cast.content)
    _client, response = sign_in(cast.content)
    assert response["Location"].startswith("/accounts/two-factor/verify/")


def test_a_viewer_without_a_device_signs_in_with_the_password_alone(cast):
    client, response = sign_in(cast.viewer)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_viewer_who_chose_a_device_still_gives_the_code(cast):
    give_authenticator(cast.viewer)
    client, response = sign_in(cast.viewer)
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert client.get("/calendar/")["Location"].startswith("/accounts/two-factor/verify/")


def test_an_unverified_session_is_sent_to_verify_with_the_page_it_asked_for(cast):
    give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    response = client.get("/campaigns/?status=open")
    assert response.status_code == 302
    assert (
        response["Location"] == "/accounts/two-factor/verify/?next=%2Fcampaigns%2F%3Fstatus%3Dopen"
    )


def test_an_unenrolled_session_is_sent_to_setup_from_any_page(cast):
    client, _response = sign_in(cast.marketing)
    response = client.get("/accounts/members/")
    assert response["Location"].startswith("/accounts/two-factor/setup/?next=")


def test_an_unverified_htmx_request_gets_a_403_with_a_message(cast):
    client, _response = sign_in(cast.marketing)
    response = client.get("/calendar/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]


def test_an_unverified_json_request_gets_a_403(cast):
    client, _response = sign_in(cast.marketing)
    response = client.get("/calendar/", headers={"Accept": "application/json"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/healthz", "/static/css/maillon.css"])
def test_an_unverified_session_reaches_the_open_paths(cast, path):
    client, _response = sign_in(cast.marketing)
    assert client.get(path).status_code != 302


def test_an_unverified_session_reaches_its_token_feed(cast):
    from planner.calendar_feeds import links

    _link, token = links.feed_link_create(
        actor=cast.marketing, workspace=cast.workspace, scope="workspace"
    )
    client, _response = sign_in(cast.marketing)
    assert client.get(f"/feeds/{token}.ics").status_code == 200


def test_an_authorization_header_does_not_stand_in_for_the_second_factor(cast):
    client, _response = sign_in(cast.marketing)
    response = client.get("/api/tokens/", headers={"Authorization": "Token nope"})
    assert response["Location"].startswith("/accounts/two-factor/setup/")
    response = client.get("/api/v1/posts/", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403


def test_an_unverified_session_can_sign_out(cast):
    client, _response = sign_in(cast.marketing)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_the_verify_page_shows_only_sign_out_in_the_navigation(cast):
    give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    page = client.get("/accounts/two-factor/verify/").content.decode()
    assert "Sign out" in page
    assert "/campaigns/" not in page


def test_a_person_with_a_device_cannot_enrol_another_without_the_code(cast):
    give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    response = client.get("/accounts/two-factor/setup/")
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert TOTPDevice.objects.filter(user=cast.admin).count() == 1


# --- the verify page -------------------------------------------------------------------


def test_the_right_code_completes_the_sign_in_and_goes_on_to_next(cast):
    device = give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    response = client.post(
        "/accounts/two-factor/verify/", {"token": code_now(device), "next": "/campaigns/"}
    )
    assert response["Location"] == "/campaigns/"
    assert client.get("/campaigns/").status_code == 200


def test_a_code_of_the_previous_step_still_works(cast):
    device = give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    response = client.post("/accounts/two-factor/verify/", {"token": code_now(device, drift=-1)})
    assert response["Location"] == "/"


def test_next_may_not_lead_to_another_site(cast):
    device = give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    response = client.post(
        "/accounts/two-factor/verify/",
        {"token": code_now(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_a_wrong_code_says_so_and_keeps_the_session_unverified(cast):
    give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    response = client.post("/accounts/two-factor/verify/", {"token": "000000"})
    assert response.status_code == 400
    assert "This code is not right" in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/two-factor/verify/")


def test_a_code_used_once_does_not_work_twice(cast):
    device = give_authenticator(cast.admin)
    code = code_now(device)
    first, _r = sign_in(cast.admin)
    assert first.post("/accounts/two-factor/verify/", {"token": code}).status_code == 302
    second, _r = sign_in(cast.admin)
    assert second.post("/accounts/two-factor/verify/", {"token": code}).status_code == 400


def test_after_a_wrong_code_the_page_says_how_long_to_wait(cast):
    device = give_authenticator(cast.admin)
    client, _response = sign_in(cast.admin)
    client.post("/accounts/two-factor/verify/", {"token": "000000"})
    response = client.post("/accounts/two-factor/verify/", {"token": code_now(device)})
    assert response.status_code == 400
    assert "Too many wrong codes: wait" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the throttled try is not another failure


def test_the_verify_page_asks_a_visitor_to_sign_in_first():
    response = Client().get("/accounts/two-factor/verify/")
    assert response["Location"].startswith("/accounts/login/")


def test_the_verify_page_is_in_french_for_a_french_speaker(cast):
    cast.admin.language = "fr"
    cast.admin.save()
    give_authenticator(cast.admin)
    with translation.override("en"):  # the language a request activates stays in the thread
        client, _response = sign_in(cast.admin)
        page = client.get("/accounts/two-factor/verify/").content.decode()
    assert "Tapez votre code" in page
