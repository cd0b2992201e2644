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


def test_workspaces_that_existed_require_two_factor_after_the_migration():
    # Tests run without migrations: this reads the operation that fills the old rows.
    migration = importlib.import_module(
        "accounts.migrations.0005_two_factor_and_session_generation"
    )
    (added,) = [op for op in migration.Migration.operations if op.name == "require_two_factor"]
    assert added.field.default is True
