"""Invitations: an admin invites an address with a role, the emailed link lets it join once."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role, User
from planner.errors import Conflict, Invalid, NotAllowed, NotFound
from planner.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SITE = "https://maillon.test"
NEW_PASSWORD = "a-long-and-new-passphrase"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def send(cast, mailoutbox, django_capture_on_commit_callbacks):
    """Invite as the admin, running the mail sent on commit."""

    def send(email="new@example.test", role=Role.CONTRIBUTOR, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(
                actor=actor or cast.admin,
                workspace=cast.workspace,
                email=email,
                role=role,
            )

    return send


# --- inviting ----------------------------------------------------------------------


def test_an_admin_invites_an_address_and_it_gets_a_link(cast, send, mailoutbox):
    invitation, token = send(email="New@Example.test ", role=Role.MARKETING)
    assert (invitation.email, invitation.role) == ("new@example.test", Role.MARKETING)
    assert invitation.invited_by == cast.admin
    (message,) = mailoutbox
    assert message.to == ["new@example.test"]
    assert "Acme" in message.subject
    assert f"{SITE}/accounts/invitations/{token}/" in message.body
    assert "Admin invites you" in message.body
    assert "as Marketing" in message.body


def test_only_the_tokens_hash_is_stored(send):
    invitation, token = send()
    assert len(token) >= 40
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    stored = [str(v) for v in Invitation.objects.values_list(flat=False).get()]
    assert all(token not in value for value in stored)


def test_an_invitation_expires_after_the_configured_days(send, settings):
    settings.INVITATION_DAYS = 2
    before = timezone.now()
    invitation, _token = send()
    assert before + dt.timedelta(days=2) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + dt.timedelta(days=2)


def test_the_default_expiry_is_seven_days(send):
    invitation, _token = send()
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)


def test_sending_an_invitation_is_audited(cast, send):
    send(role=Role.VIEWER)
    event = AuditEvent.objects.get(action="invitation.create")
    assert (event.workspace, event.actor, event.target) == (
        cast.workspace,
        cast.admin,
        "new@example.test",
    )
    assert event.data == {"role": "viewer", "replaces": []}


def test_a_malformed_address_is_refused_on_the_email_field(send, mailoutbox):
    with pytest.raises(Invalid) as refusal:
        send(email="not-an-address")
    assert refusal.value.fields == {
        "email": ["Enter a valid email address, such as name@example.com."]
    }
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_an_unknown_role_is_refused(send):
    with pytest.raises(Invalid, match="Choose one of the roles") as refusal:
        send(role="boss")
    assert "role" in refusal.value.fields


def test_an_existing_member_is_not_invited_again(cast, send, mailoutbox):
    with pytest.raises(Conflict) as refusal:
        send(email=cast.viewer.email.upper())
    message = f"{cast.viewer.email} is already a member of this workspace."
    assert refusal.value.message == message
    assert refusal.value.fields == {"email": [message]}
    assert mailoutbox == []


def test_a_person_with_an_account_elsewhere_can_be_invited(other, send):
    invitation, _token = send(email=other.viewer.email)
    assert invitation.email == other.viewer.email


@pytest.mark.parametrize("role", ["marketing", "content_manager", "contributor", "viewer"])
def test_only_admins_invite(cast, send, role, mailoutbox):
    with pytest.raises(NotAllowed):
        send(actor=cast.as_role(role))
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_another_workspaces_admin_cannot_invite_here(other, send):
    with pytest.raises(NotFound):
        send(actor=other.admin)
    assert not Invitation.objects.exists()


def test_a_second_invitation_to_the_same_address_replaces_the_first(send, mailoutbox):
    first, first_token = send(role=Role.VIEWER)
    second, second_token = send(email="NEW@example.test", role=Role.CONTENT_MANAGER)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert Invitation.objects.filter(revoked_at__isnull=True).get() == second
    assert len(mailoutbox) == 2
    assert AuditEvent.objects.filter(action="invitation.create").first().data == {
        "role": "content_manager",
        "replaces": [first.pk],
    }
    with pytest.raises(Invalid, match="withdrawn"):
        services.invitation_accept(token=first_token, password=NEW_PASSWORD)
    membership = services.invitation_accept(token=second_token, password=NEW_PASSWORD)
    assert membership.role == Role.CONTENT_MANAGER


# --- resending and revoking ----------------------------------------------------------


def _resend(cast, invitation, actor=None):
    return services.invitation_resend(
        actor=actor or cast.admin,
        workspace=cast.workspace,
        invitation_id=invitation.pk,
    )


def test_resending_gives_a_new_link_and_a_new_expiry(
    cast, send, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old_token = send()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        resent, new_token = _resend(cast, invitation)
    assert new_token != old_token
    assert resent.expires_at > timezone.now() + dt.timedelta(days=6)
    assert new_token in mailoutbox[-1].body
    assert AuditEvent.objects.filter(action="invitation.resend", target=resent.email).exists()
    with pytest.raises(NotFound, match="not valid"):
        services.invitation_accept(token=old_token, password=NEW_PASSWORD)
    assert services.invitation_accept(token=new_token, password=NEW_PASSWORD).role == "contributor"


def test_an_accepted_invitation_is_not_resent(cast, send):
    invitation, token = send()
    services.invitation_accept(token=token, password=NEW_PASSWORD)
    with pytest.raises(Invalid, match="already been accepted"):
        _resend(cast, invitation)


def test_a_withdrawn_invitation_is_not_resent(cast, send):
    invitation, _token = send()
    services.invitation_revoke(
        actor=cast.admin, workspace=cast.workspace, invitation_id=invitation.pk
    )
    with pytest.raises(Invalid, match="already withdrawn"):
        _resend(cast, invitation)


def test_revoking_stops_the_link_at_once_and_is_audited(cast, send):
    invitation, token = send()
    services.invitation_revoke(
        actor=cast.admin, workspace=cast.workspace, invitation_id=invitation.pk
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="invitation.revoke", target=invitation.email).exists()
    with pytest.raises(Invalid, match="This invitation was withdrawn"):
        services.invitation_accept(token=token, password=NEW_PASSWORD)
    assert not User.objects.filter(email=invitation.email).exists()


def test_revoking_twice_says_it_was_already_done(cast, send):
    invitation, _token = send()
    services.invitation_revoke(
        actor=cast.admin, workspace=cast.workspace, invitation_id=invitation.pk
    )
    with pytest.raises(Invalid, match="already withdrawn"):
        services.invitation_revoke(
            actor=cast.admin, workspace=cast.workspace, invitation_id=invitation.pk
        )


def test_an_accepted_invitation_cannot_be_revoked(cast, send):
    invitation, token = send()
    services.invitation_accept(token=token, password=NEW_PASSWORD)
    with pytest.raises(Invalid, match="already been accepted"):
        services.invitation_revoke(
            actor=cast.admin, workspace=cast.workspace, invitation_id=invitation.pk
        )


@pytest.mark.parametrize("role", ["marketing", "content_manager", "contributor", "viewer"])
def test_only_admins_resend_or_revoke(cast, send, role):
    invitation, _token = send()
    with pytest.raises(NotAllowed):
        _resend(cast, invitation, actor=cast.as_role(role))
    with pytest.raises(NotAllowed):
        services.invitation_revoke(
            actor=cast.as_role(role), workspace=cast.workspace, invitation_id=invitation.pk
        )
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_another_workspaces_invitation_is_not_found(cast, other, send):
    invitation, _token = send()
    with pytest.raises(NotFound, match="does not exist in this workspace"):
        services.invitation_revoke(
            actor=other.admin, workspace=other.workspace, invitation_id=invitation.pk
        )
    with pytest.raises(NotFound):
        services.invitation_resend(
            actor=other.admin, workspace=other.workspace, invitation_id=invitation.pk
        )
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- accepting -------------------------------------------------------------------------


def test_a_newcomer_creates_an_account_and_joins(cast, send):
    invitation, token = send(role=Role.CONTENT_MANAGER)
    membership = services.invitation_accept(
        token=token, full_name=" Camille Durand ", password=NEW_PASSWORD, language="fr"
    )
    user = User.objects.get(email="new@example.test")
    assert membership.user == user
    assert (membership.workspace, membership.role) == (cast.workspace, Role.CONTENT_MANAGER)
    assert user.check_password(NEW_PASSWORD)
    assert (user.full_name, user.language) == ("Camille Durand", "fr")
    assert user.time_zone == cast.workspace.time_zone
    assert user.current_workspace == cast.workspace
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    event = AuditEvent.objects.get(action="invitation.accept")
    assert (event.actor, event.target) == (user, "new@example.test")
    assert event.data == {
        "role": "content_manager",
        "new_member": True,
        "invited_by": cast.admin.email,
    }


def test_a_weak_password_is_refused_and_nothing_is_created(send):
    invitation, token = send()
    with pytest.raises(Invalid) as refusal:
        services.invitation_accept(token=token, password="12345678")
    assert "password" in refusal.value.fields
    assert "too common" in refusal.value.message or "numeric" in refusal.value.message
    assert not User.objects.filter(email="new@example.test").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_newcomer_must_choose_a_password(send):
    _invitation, token = send()
    with pytest.raises(Invalid, match="Choose a password") as refusal:
        services.invitation_accept(token=token, full_name="Camille")
    assert refusal.value.fields == {"password": ["Choose a password."]}


def test_an_unknown_link_is_not_found():
    with pytest.raises(NotFound, match="This invitation link is not valid"):
        services.invitation_accept(token="made-up", password=NEW_PASSWORD)


def test_an_expired_link_says_when_it_expired(send):
    invitation, token = send()
    later = invitation.expires_at + dt.timedelta(seconds=1)
    expired = r"This invitation expired on .+\. Ask an admin of Acme to send you a new one\."
    with time_machine.travel(later), pytest.raises(Invalid, match=expired):
        services.invitation_accept(token=token, password=NEW_PASSWORD)
    assert not Membership.objects.filter(user__email="new@example.test").exists()


def test_a_link_works_until_its_last_second(send):
    invitation, token = send()
    with time_machine.travel(invitation.expires_at - dt.timedelta(seconds=1)):
        assert services.invitation_accept(token=token, password=NEW_PASSWORD)


def test_a_used_link_does_not_work_twice(cast, send):
    _invitation, token = send()
    services.invitation_accept(token=token, password=NEW_PASSWORD)
    with pytest.raises(Invalid, match="already been used"):
        services.invitation_accept(token=token, password=NEW_PASSWORD)
    user = User.objects.get(email="new@example.test")
    with pytest.raises(Invalid, match="already been used"):
        services.invitation_accept(token=token, user=user)
    assert Membership.objects.filter(workspace=cast.workspace, user=user).count() == 1


def test_a_signed_in_person_with_the_invited_address_joins(cast, other, send):
    person = other.viewer
    _invitation, token = send(email=person.email, role=Role.MARKETING)
    membership = services.invitation_accept(token=token, user=person)
    assert (membership.user, membership.workspace, membership.role) == (
        person,
        cast.workspace,
        Role.MARKETING,
    )
    person.refresh_from_db()
    assert person.current_workspace == cast.workspace
    assert person.check_password(PASSWORD)  # the password given is ignored
    assert Membership.objects.filter(user=person, workspace=other.workspace).exists()


def test_a_signed_in_person_with_another_address_is_told_which_was_invited(other, send):
    invitation, token = send(email="someone@example.test")
    with pytest.raises(NotAllowed) as refusal:
        services.invitation_accept(token=token, user=other.viewer)
    assert "This invitation was sent to someone@example.test" in refusal.value.message
    assert other.viewer.email in refusal.value.message
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_existing_account_must_sign_in_first(other, send):
    invitation, token = send(email=other.viewer.email.upper())
    with pytest.raises(Conflict, match=r"already exists .+: sign in first"):
        services.invitation_accept(token=token, password=NEW_PASSWORD)
    other.viewer.refresh_from_db()
    assert other.viewer.check_password(PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.django_db(transaction=True)
def test_two_accepts_of_one_link_at_once_make_one_member(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    _invitation, token = services.invitation_create(
        actor=cast.admin,
        workspace=cast.workspace,
        email="new@example.test",
        role="viewer",
    )
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def accept():
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.invitation_accept(token=token, password=NEW_PASSWORD))
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome we record
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    joined = [o for o in outcomes if isinstance(o, Membership)]
    refused = [o for o in outcomes if not isinstance(o, Membership)]
    assert len(joined) == 1, outcomes
    assert len(refused) == 1 and isinstance(refused[0], Invalid), outcomes
    assert "already been used" in refused[0].message
    assert (
        Membership.objects.filter(workspace=cast.workspace, user__email="new@example.test").count()
        == 1
    )
    assert User.objects.filter(email="new@example.test").count() == 1


# --- the link's address ------------------------------------------------------------


def test_the_invitation_link_starts_with_site_url_whatever_host_the_request_named(
    client, cast, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/members/invite/",
            {"email": "new@example.test", "role": Role.VIEWER},
            HTTP_HOST="evil.example",
        )
    (message,) = mailoutbox
    links = [w for w in message.body.split() if "/accounts/invitations/" in w]
    assert links and all(link.startswith(f"{SITE}/accounts/invitations/") for link in links)
    assert "evil.example" not in message.body
