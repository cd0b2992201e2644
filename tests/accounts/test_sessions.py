"""Sessions: sign out everywhere, and what else ends them."""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.services_two_factor import user_sign_out_everywhere
from planner.models import AuditEvent
from tests.two_factor import VerifiedClient

pytestmark = pytest.mark.django_db


def signed_in(user) -> VerifiedClient:
    client = VerifiedClient()
    client.force_login(user)
    return client


def test_sign_out_everywhere_asks_first(cast):
    client = signed_in(cast.content)
    page = client.get("/accounts/sessions/sign-out-everywhere/").content.decode()
    assert "Sign out everywhere?" in page
    assert client.get("/").status_code == 200


def test_sign_out_everywhere_ends_this_session_and_every_other(cast):
    laptop, phone = signed_in(cast.content), signed_in(cast.content)
    response = laptop.post("/accounts/sessions/sign-out-everywhere/")
    assert response["Location"] == "/accounts/login/"
    assert laptop.get("/")["Location"].startswith("/accounts/login/")
    assert phone.get("/")["Location"].startswith("/accounts/login/")


def test_sign_out_everywhere_leaves_other_people_signed_in(cast):
    mine, theirs = signed_in(cast.content), signed_in(cast.viewer)
    mine.post("/accounts/sessions/sign-out-everywhere/")
    assert theirs.get("/").status_code == 200


def test_one_can_sign_in_again_afterwards(cast):
    client = signed_in(cast.content)
    client.post("/accounts/sessions/sign-out-everywhere/")
    again = signed_in(User.objects.get(pk=cast.content.pk))
    assert again.get("/").status_code == 200


def test_sign_out_everywhere_is_audited(cast):
    user_sign_out_everywhere(user=cast.content)
    event = AuditEvent.objects.get(action="session.sign_out_all")
    assert event.actor == cast.content and event.workspace == cast.workspace


def test_sessions_opened_before_the_first_sign_out_everywhere_keep_their_hash(cast):
    # Generation 0 is Django's own hash: deploying this signs nobody out.
    from django.contrib.auth.base_user import AbstractBaseUser

    assert cast.content.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(
        cast.content
    )


def test_a_password_reset_ends_the_persons_sessions(cast):
    phone = signed_in(cast.viewer)
    uid = urlsafe_base64_encode(force_bytes(cast.viewer.pk))
    token = default_token_generator.make_token(cast.viewer)
    browser = VerifiedClient()
    form = browser.get(f"/accounts/password/reset/{uid}/{token}/", follow=True)
    new = "a-brand-new-password-42"
    response = browser.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert phone.get("/")["Location"].startswith("/accounts/login/")


def test_the_session_lifetime_comes_from_the_settings(settings):
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
