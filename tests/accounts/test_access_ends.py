"""Whoever may hold a person's password or phone loses more than the sessions: "sign out
everywhere", a password reset and a second-factor reset also revoke the person's API
tokens and calendar feed links, in every workspace."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import Membership, Role
from accounts.services_two_factor import (
    two_factor_reset,
    two_factor_reset_by_operator,
    user_password_set_by_staff,
    user_sign_out_everywhere,
)
from api import services as api_services
from api.models import ApiToken
from planner.calendar_feeds import links
from planner.errors import NotAllowed
from planner.models import AuditEvent, FeedLink
from tests.factories import MembershipFactory
from tests.two_factor import VerifiedClient, give_authenticator

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-password-42"


class Access:
    """A person's API tokens and feed links, one of each in two workspaces."""

    def __init__(self, user, workspaces):
        self.user = user
        self.secrets, self.feeds = [], []
        for workspace in workspaces:
            _token, secret = api_services.api_token_create(
                actor=user, workspace=workspace, name="script"
            )
            _link, feed = links.feed_link_create(actor=user, workspace=workspace, scope="workspace")
            self.secrets.append(secret)
            self.feeds.append(feed)

    def api_answers(self) -> list[int]:
        answers = []
        for secret in self.secrets:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
            answers.append(api.get("/api/v1/posts/").status_code)
        return answers

    def feed_answers(self) -> list[int]:
        client = VerifiedClient()
        return [client.get(f"/feeds/{feed}.ics").status_code for feed in self.feeds]


@pytest.fixture
def access(cast, other):
    """The content manager also writes for the other workspace."""
    MembershipFactory(user=cast.content, workspace=other.workspace, role=Role.CONTRIBUTOR)
    access = Access(cast.content, [cast.workspace, other.workspace])
    assert access.api_answers() == [200, 200]
    assert access.feed_answers() == [200, 200]
    return access


def reset_password(user) -> VerifiedClient:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    browser = VerifiedClient()
    form = browser.get(f"/accounts/password/reset/{uid}/{token}/", follow=True)
    response = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    return response


def sign_out_everywhere(cast):
    user_sign_out_everywhere(user=cast.content)


def password_reset(cast):
    reset_password(cast.content)


def staff_sets_a_password(cast, *, usable=True):
    """A verified superuser sets (or disables) the password on the Django admin's page."""
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    staff = VerifiedClient()
    staff.force_login(cast.admin)
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    if not usable:
        data = {"usable_password": "false", "unset-password": "1"}
    response = staff.post(f"/admin/accounts/user/{cast.content.pk}/password/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def staff_disables_the_password(cast):
    staff_sets_a_password(cast, usable=False)


def admin_two_factor_reset(cast):
    give_authenticator(cast.content)
    membership = Membership.objects.get(user=cast.content, workspace=cast.workspace)
    two_factor_reset(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)


def operator_two_factor_reset(cast):
    give_authenticator(cast.content)
    call_command("two_factor_reset", cast.content.email, stdout=io.StringIO())


EVENTS = {
    "session.sign_out_all": sign_out_everywhere,
    "password.reset": password_reset,
    "password.set_by_staff": staff_sets_a_password,
    "password.set_by_staff (disabled)": staff_disables_the_password,
    "two_factor.reset": admin_two_factor_reset,
    "two_factor.reset by the operator": operator_two_factor_reset,
}


@pytest.mark.parametrize("event", EVENTS)
def test_the_event_revokes_the_persons_api_tokens_in_every_workspace(cast, access, event):
    EVENTS[event](cast)
    assert access.api_answers() == [401, 401]
    assert not ApiToken.objects.filter(user=cast.content, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("event", EVENTS)
def test_the_event_revokes_the_persons_feed_links_in_every_workspace(cast, access, event):
    EVENTS[event](cast)
    assert access.feed_answers() == [404, 404]
    assert not FeedLink.objects.filter(user=cast.content, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("event", EVENTS)
def test_the_audit_trail_says_how_many_were_revoked(cast, access, event):
    EVENTS[event](cast)
    action = event.split(" ")[0]
    events = AuditEvent.objects.filter(action=action, target=cast.content.email)
    assert events.count() == 2  # one in each of the person's workspaces
    for recorded in events:
        assert recorded.data["api_tokens_revoked"] == 2
        assert recorded.data["feed_links_revoked"] == 2


@pytest.mark.parametrize("event", EVENTS)
def test_other_peoples_tokens_and_links_keep_working(cast, access, event):
    theirs = Access(cast.viewer, [cast.workspace])
    EVENTS[event](cast)
    assert theirs.api_answers() == [200]
    assert theirs.feed_answers() == [200]


def test_the_token_page_shows_the_tokens_revoked(cast, access):
    user_sign_out_everywhere(user=cast.content)
    client = VerifiedClient()
    client.force_login(cast.content)
    page = client.get("/api/tokens/").content.decode()
    assert 'data-testid="token-revoked"' in page


def test_signing_out_everywhere_says_the_tokens_and_feeds_ended_too(cast, access):
    client = VerifiedClient()
    client.force_login(cast.content)
    response = client.post("/accounts/sessions/sign-out-everywhere/", follow=True)
    page = response.content.decode()
    assert "You were signed out everywhere." in page
    assert "API tokens and calendar feed links were revoked too" in page


def test_the_sign_out_everywhere_question_says_tokens_and_feeds_end(cast):
    client = VerifiedClient()
    client.force_login(cast.content)
    page = client.get("/accounts/sessions/sign-out-everywhere/").content.decode()
    assert "API tokens and calendar feed links" in page


def test_a_password_reset_says_the_tokens_and_feeds_ended_too(cast, access):
    page = reset_password(cast.content).content.decode()
    assert "your API tokens and calendar feed links were revoked" in page


def test_a_password_reset_sets_the_new_password(cast):
    reset_password(cast.content)
    cast.content.refresh_from_db()
    assert cast.content.check_password(NEW_PASSWORD)


def test_the_admin_is_told_the_reset_ended_tokens_and_feeds(cast, access):
    give_authenticator(cast.content)
    membership = Membership.objects.get(user=cast.content, workspace=cast.workspace)
    client = VerifiedClient()
    client.force_login(cast.admin)
    response = client.post(f"/accounts/members/{membership.pk}/two-factor-reset/", follow=True)
    assert "API tokens and calendar feed links were revoked" in response.content.decode()


def test_the_operator_is_told_the_reset_ended_tokens_and_feeds(cast, access, capsys):
    give_authenticator(cast.content)
    call_command("two_factor_reset", cast.content.email)
    assert "2 API tokens and 2 feed links were revoked" in capsys.readouterr().out


def test_the_operator_reset_needs_no_second_factor_to_revoke(cast, access):
    # Nothing to remove but the tokens and links: they end all the same.
    two_factor_reset_by_operator(email=cast.content.email)
    assert access.api_answers() == [401, 401]


def test_the_feeds_page_says_the_revoked_feeds_stopped(cast, access):
    user_sign_out_everywhere(user=cast.content)
    client = VerifiedClient()
    client.force_login(cast.content)
    page = client.get("/feeds/").content.decode()
    assert 'data-testid="no-feeds"' in page
    assert 'data-testid="last-revoked"' in page


def test_a_password_set_in_the_django_admin_works_and_ends_the_old_sessions(cast, access):
    before = VerifiedClient()
    before.force_login(cast.content)
    assert before.get("/calendar/").status_code == 200
    staff_sets_a_password(cast)
    assert before.get("/calendar/").status_code == 302  # signed out
    cast.content.refresh_from_db()
    assert cast.content.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.filter(action="password.set_by_staff").first()
    assert event.actor == cast.admin


def test_only_staff_who_may_change_people_set_a_password(cast):
    with pytest.raises(NotAllowed):
        user_password_set_by_staff(actor=cast.admin, user=cast.content, password=NEW_PASSWORD)
    cast.content.refresh_from_db()
    assert not cast.content.check_password(NEW_PASSWORD)
