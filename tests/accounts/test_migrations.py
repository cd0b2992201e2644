"""Data migrations, run on rows as an older version left them."""

import importlib

import pytest
from django.apps import apps

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_everyone_in_a_workspace_gets_their_first_one_remembered(cast, other):
    migration = importlib.import_module("accounts.migrations.0003_remember_a_first_workspace")
    person = UserFactory(email="both@example.test")
    MembershipFactory(user=person, workspace=other.workspace, role=Role.VIEWER)  # Globex
    MembershipFactory(user=person, workspace=cast.workspace, role=Role.VIEWER)  # Acme
    loner = UserFactory(email="loner@example.test")
    migration.remember_first_workspace(apps, None)
    person.refresh_from_db()
    loner.refresh_from_db()
    assert person.current_workspace == cast.workspace  # Acme comes before Globex
    assert loner.current_workspace is None
    cast.admin.refresh_from_db()
    assert cast.admin.current_workspace == cast.workspace  # a remembered one stays
