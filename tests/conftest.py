"""The cast: one person per role in a workspace, and an outsider from another."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from accounts.models import Role
from tests.factories import MembershipFactory, PostFactory, UserFactory, WorkspaceFactory
from tests.peers.bluesky_pds import bluesky_pds  # noqa: F401 - a fixture, started on demand
from tests.two_factor import VerifiedClient


class Cast:
    """Named people of one workspace; ``as_role(role)`` picks the one with that role."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.admin = self._member("admin", Role.ADMIN)
        self.marketing = self._member("marketing", Role.MARKETING)
        self.marketing2 = self._member("marketing2", Role.MARKETING)
        self.content = self._member("content", Role.CONTENT_MANAGER)
        self.content2 = self._member("content2", Role.CONTENT_MANAGER)
        self.contributor = self._member("contributor", Role.CONTRIBUTOR)
        self.viewer = self._member("viewer", Role.VIEWER)

    def _member(self, name, role):
        user = UserFactory(email=f"{name}@{self.workspace.slug}.test", full_name=name.title())
        MembershipFactory(user=user, workspace=self.workspace, role=role)
        user.current_workspace = self.workspace  # as member_add leaves a first workspace
        user.save(update_fields=["current_workspace"])
        return user

    def as_role(self, role):
        return {
            Role.ADMIN: self.admin,
            Role.MARKETING: self.marketing,
            Role.CONTENT_MANAGER: self.content,
            Role.CONTRIBUTOR: self.contributor,
            Role.VIEWER: self.viewer,
        }[role]


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """Local stand-ins for the networks listen on the loopback address only."""
    return ("127.0.0.1", 0)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """The configured cache (Redis), under a prefix of each test's own: what one test
    keeps (the calendar's answers, its version counters) no other test or run can read,
    though database ids repeat."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    }


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A page in French leaves its language active in the thread (the locale middleware
    does not switch back): each test starts in the default language, whatever ran before."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """Django's test client, whose ``force_login`` also gives the second factor (see
    ``VerifiedClient``). Tests of the two-factor rules use a plain ``Client``."""
    return VerifiedClient()


@pytest.fixture
def cast(db):
    return Cast(WorkspaceFactory(name="Acme", slug="acme"))


@pytest.fixture
def other(db):
    """A second workspace with its own people: nothing of it may leak into the first."""
    return Cast(WorkspaceFactory(name="Globex", slug="globex"))


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.test")


@pytest.fixture
def draft(cast):
    return PostFactory(workspace=cast.workspace, author=cast.content)
