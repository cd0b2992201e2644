"""The Members pages: everyone sees who is in; only admins invite, re-role and remove."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-new-passphrase"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _membership(cast, user) -> Membership:
    return Membership.objects.get(workspace=cast.workspace, user=user)


@pytest.fixture
def invitation(cast):
    """A pending invitation and the token of its link."""
    return services.invitation_create(
        actor=cast.admin,
        workspace=cast.workspace,
        email="new@example.test",
        role=Role.CONTRIBUTOR,
    )


# --- the list ----------------------------------------------------------------------


def test_a_visitor_is_asked_to_sign_in(client):
    response = client.get("/accounts/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["marketing", "content_manager", "contributor", "viewer"])
def test_every_member_sees_the_list_without_controls(client, cast, other, invitation, role):
    client.force_login(cast.as_role(role))
    response = client.get("/accounts/members/")
    page = response.content.decode()
    assert response.status_code == 200
    for person in (cast.admin, cast.viewer, cast.content):
        assert person.email in page
    assert "Content manager" in page
    assert other.admin.email not in page
    assert "Invite someone" not in page
    assert "/remove/" not in page
    assert 'name="role"' not in page
    assert "new@example.test" not in page  # invitations are the admins' business


def test_an_admin_sees_the_controls_and_the_empty_state(client, cast):
    client.force_login(cast.admin)
    page = client.get("/accounts/members/").content.decode()
    assert "Invite someone" in page
    assert f"/accounts/members/{_membership(cast, cast.viewer).pk}/remove/" in page
    assert f'id="role-{_membership(cast, cast.viewer).pk}"' in page
    assert "No pending invitation" in page


def test_a_pending_invitation_is_listed_with_its_expiry(client, cast, invitation):
    client.force_login(cast.admin)
    response = client.get("/accounts/members/")
    page = response.content.decode()
    assert "new@example.test" in page
    assert "No pending invitation" not in page
    expiry = timezone.localtime(invitation[0].expires_at).strftime("%Y")
    assert expiry in page
    assert "Resend" in page and "Revoke" in page


def test_an_expired_invitation_is_marked_so(client, cast, invitation):
    Invitation.objects.filter(pk=invitation[0].pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    client.force_login(cast.admin)
    assert "Expired" in client.get("/accounts/members/").content.decode()


# --- admin actions -----------------------------------------------------------------


def test_an_admin_invites_an_address(
    client, cast, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://maillon.example"
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/members/invite/", {"email": "Camille@Example.test", "role": "marketing"}
        )
    assert response.status_code == 302
    assert _messages(response) == ["Invitation sent to camille@example.test as Marketing."]
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("camille@example.test", "marketing")
    (message,) = mailoutbox
    link = re.search(r"https://maillon\.example(/accounts/invitations/\S+/)", message.body).group(1)
    assert Invitation.hash_token(link.split("/")[-2]) == invitation.token_hash


def test_inviting_a_member_shows_the_refusal_on_the_field(client, cast, mailoutbox):
    client.force_login(cast.admin)
    response = client.post(
        "/accounts/members/invite/", {"email": cast.viewer.email, "role": "viewer"}
    )
    assert response.status_code == 200
    assert f"{cast.viewer.email} is already a member of this workspace." in (
        response.content.decode()
    )
    assert response.context["invite_form"].errors["email"]
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_malformed_address_is_refused_by_the_form(client, cast):
    client.force_login(cast.admin)
    response = client.post("/accounts/members/invite/", {"email": "nope", "role": "viewer"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_admin_changes_a_role(client, cast):
    membership = _membership(cast, cast.viewer)
    client.force_login(cast.admin)
    response = client.post(f"/accounts/members/{membership.pk}/role/", {"role": "marketing"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MARKETING
    assert _messages(response) == ["Viewer is now Marketing."]


def test_demoting_the_last_admin_is_refused_with_the_reason(client, cast):
    mine = _membership(cast, cast.admin)
    client.force_login(cast.admin)
    response = client.post(f"/accounts/members/{mine.pk}/role/", {"role": "viewer"}, follow=True)
    assert "A workspace needs at least one admin" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN


def test_removing_asks_for_confirmation_first(client, cast):
    membership = _membership(cast, cast.viewer)
    client.force_login(cast.admin)
    response = client.get(f"/accounts/members/{membership.pk}/remove/")
    assert response.status_code == 200
    assert "Remove Viewer from Acme?" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    response = client.post(f"/accounts/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert _messages(response) == ["Viewer was removed."]


def test_removing_the_last_admin_is_refused_with_the_reason(client, cast):
    mine = _membership(cast, cast.admin)
    client.force_login(cast.admin)
    response = client.post(f"/accounts/members/{mine.pk}/remove/", follow=True)
    assert "A workspace needs at least one admin" in response.content.decode()
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_an_admin_resends_an_invitation(
    client, cast, invitation, mailoutbox, django_capture_on_commit_callbacks
):
    pending, old_token = invitation
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/members/invitations/{pending.pk}/resend/")
    assert response.status_code == 302
    assert "the previous one no longer works" in _messages(response)[0]
    assert old_token not in mailoutbox[-1].body
    assert client.get(f"/accounts/invitations/{old_token}/").status_code == 404


def test_revoking_asks_for_confirmation_first(client, cast, invitation):
    pending, _token = invitation
    client.force_login(cast.admin)
    response = client.get(f"/accounts/members/invitations/{pending.pk}/revoke/")
    assert "Withdraw the invitation to new@example.test?" in response.content.decode()
    pending.refresh_from_db()
    assert pending.revoked_at is None
    response = client.post(f"/accounts/members/invitations/{pending.pk}/revoke/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.revoked_at is not None
    assert "No pending invitation" in client.get("/accounts/members/").content.decode()


# --- refusals: roles and workspaces --------------------------------------------------


def _admin_actions(cast, invitation):
    viewer = _membership(cast, cast.viewer).pk
    pending = invitation[0].pk
    return {
        "invite": ("/accounts/members/invite/", {"email": "x@example.test", "role": "admin"}),
        "role": (f"/accounts/members/{viewer}/role/", {"role": "admin"}),
        "remove": (f"/accounts/members/{viewer}/remove/", {}),
        "resend": (f"/accounts/members/invitations/{pending}/resend/", {}),
        "revoke": (f"/accounts/members/invitations/{pending}/revoke/", {}),
    }


def _state(cast):
    return (
        sorted(Membership.objects.filter(workspace=cast.workspace).values_list("pk", "role")),
        sorted(Invitation.objects.values_list("pk", "token_hash", "revoked_at", "expires_at")),
    )


@pytest.mark.parametrize("action", ["invite", "role", "remove", "resend", "revoke"])
@pytest.mark.parametrize("role", ["marketing", "content_manager", "contributor", "viewer"])
def test_other_roles_get_a_403_and_nothing_changes(
    client, cast, invitation, mailoutbox, role, action
):
    url, data = _admin_actions(cast, invitation)[action]
    before = _state(cast)
    client.force_login(cast.as_role(role))
    response = client.post(url, data)
    assert response.status_code == 403
    assert "Only the admins of this workspace can manage its members." in (
        response.content.decode()
    )
    assert _state(cast) == before
    assert mailoutbox == []


@pytest.mark.parametrize("action", ["remove", "revoke"])
def test_other_roles_do_not_see_the_confirmation_pages(client, cast, invitation, action):
    url, _data = _admin_actions(cast, invitation)[action]
    client.force_login(cast.content)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("action", ["role", "remove", "resend", "revoke"])
def test_another_workspaces_members_and_invitations_are_not_found(
    client, cast, other, invitation, action
):
    url, data = _admin_actions(cast, invitation)[action]
    before = _state(cast)
    client.force_login(other.admin)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, data).status_code == 404
    assert _state(cast) == before


# --- the invitation link -----------------------------------------------------------


def test_the_link_shows_who_invites_to_what(client, invitation):
    _pending, token = invitation
    response = client.get(f"/accounts/invitations/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Join Acme on Maillon" in page
    assert "Admin" in page and "Contributor" in page and "new@example.test" in page
    assert "Create your account" in page


def test_a_newcomer_creates_an_account_and_lands_in_the_workspace(client, cast, invitation):
    _pending, token = invitation
    response = client.post(
        f"/accounts/invitations/{token}/",
        {"full_name": "Camille", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    user = User.objects.get(email="new@example.test")
    assert response.context["user"] == user
    assert user.current_workspace == cast.workspace
    assert "Welcome to Acme: you joined as Contributor." in response.content.decode()
    assert _membership(cast, user).role == Role.CONTRIBUTOR


def test_two_different_passwords_are_refused(client, invitation):
    _pending, token = invitation
    response = client.post(
        f"/accounts/invitations/{token}/",
        {"full_name": "Camille", "password": NEW_PASSWORD, "password_again": "something-else"},
    )
    assert response.status_code == 200
    assert "The two passwords differ" in response.content.decode()
    assert not User.objects.filter(email="new@example.test").exists()


def test_a_weak_password_is_refused_on_its_field(client, invitation):
    _pending, token = invitation
    response = client.post(
        f"/accounts/invitations/{token}/",
        {"full_name": "", "password": "password", "password_again": "password"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert "too common" in response.content.decode()
    assert not User.objects.filter(email="new@example.test").exists()


def test_an_unknown_link_is_a_404_that_says_what_to_do(client):
    response = client.get("/accounts/invitations/made-up-token/")
    assert response.status_code == 404
    assert "ask an admin of the workspace" in response.content.decode()


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (lambda i: setattr(i, "expires_at", timezone.now() - dt.timedelta(minutes=1)), "expired"),
        (lambda i: setattr(i, "revoked_at", timezone.now()), "withdrawn"),
        (lambda i: setattr(i, "accepted_at", timezone.now()), "already been used"),
    ],
    ids=["expired", "revoked", "used"],
)
def test_a_spent_link_is_gone_and_says_to_ask_an_admin(client, invitation, spoil, says):
    pending, token = invitation
    spoil(pending)
    pending.save()
    for response in (
        client.get(f"/accounts/invitations/{token}/"),
        client.post(
            f"/accounts/invitations/{token}/",
            {"full_name": "X", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        ),
    ):
        assert response.status_code == 410
        page = response.content.decode()
        assert says in page
        assert "An admin of the workspace can send you a new one" in page
    assert not User.objects.filter(email="new@example.test").exists()


def test_an_existing_account_is_sent_to_sign_in_and_back(client, cast, other):
    _pending, token = services.invitation_create(
        actor=cast.admin,
        workspace=cast.workspace,
        email=other.viewer.email,
        role="viewer",
    )
    url = f"/accounts/invitations/{token}/"
    page = client.get(url).content.decode()
    assert "An account already exists" in page
    assert f'href="/accounts/login/?next=%2Faccounts%2Finvitations%2F{token}%2F"' in page
    response = client.post(
        f"/accounts/login/?next={url}",
        {"username": other.viewer.email, "password": PASSWORD, "next": url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert "Accept and join" in response.content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert _membership(cast, other.viewer).role == Role.VIEWER
    other.viewer.refresh_from_db()
    assert other.viewer.current_workspace == cast.workspace


def test_a_person_signed_in_with_another_address_is_told_which_one_was_invited(
    client, other, invitation
):
    _pending, token = invitation
    client.force_login(other.viewer)
    url = f"/accounts/invitations/{token}/"
    page = client.get(url).content.decode()
    assert "This invitation was sent to new@example.test" in page
    assert "Accept and join" not in page
    client.post(url)
    assert not Membership.objects.filter(user=other.viewer, workspace__slug="acme").exists()
    assert Invitation.objects.get().accepted_at is None
