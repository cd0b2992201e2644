"""The role x capability matrix, cell by cell, and the README's copy of it."""

from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Role
from accounts.permissions import MATRIX, Capability, role_can

pytestmark = pytest.mark.domain

C = Capability
# The spec, written out: Y = may, . = may not. Columns: admin, marketing,
# content manager, contributor, viewer.
GRID = """
view              Y Y Y Y Y
comment           Y Y Y Y .
post_create       Y Y Y Y .
post_edit_any     Y Y Y . .
post_schedule     Y Y Y . .
post_submit       Y Y Y Y .
post_approve      Y Y . . .
post_cancel       Y Y Y . .
post_resolve      Y Y Y . .
post_retract      Y Y . . .
campaign_manage   Y Y . . .
key_dates_manage  Y Y . . .
objective_manage  Y . . . .
channel_manage    Y . . . .
member_manage     Y . . . .
publishing_pause  Y . . . .
workspace_manage  Y . . . .
audit_view        Y . . . .
"""
ROLES = [Role.ADMIN, Role.MARKETING, Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER]
CELLS = [
    (Capability(line.split()[0]), role, mark == "Y")
    for line in GRID.strip().splitlines()
    for role, mark in zip(ROLES, line.split()[1:], strict=True)
]


@pytest.mark.parametrize(("capability", "role", "expected"), CELLS)
def test_each_cell_of_the_roles_matrix(capability, role, expected):
    assert role_can(role, capability) is expected


def test_the_grid_covers_every_capability_and_role():
    assert {c for c, _, _ in CELLS} == set(Capability)
    assert set(MATRIX) == set(Role.values)


def test_a_non_member_can_do_nothing():
    assert not any(role_can(None, capability) for capability in Capability)


def test_the_readme_prints_the_matrix_as_the_code_has_it(capsys):
    call_command("roles_matrix")
    table = capsys.readouterr().out.strip()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert table in readme, "README's roles matrix is stale: paste `manage.py roles_matrix`."
