import pytest

from accounts import services
from accounts.models import Membership, Role
from planner.errors import Conflict, Invalid, NotAllowed
from planner.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.domain]


def test_creating_a_workspace_makes_its_creator_admin(outsider):
    workspace = services.workspace_create(owner=outsider, name="Umbrella Corp")
    assert workspace.slug == "umbrella-corp"
    assert Membership.objects.get(workspace=workspace).role == Role.ADMIN
    assert services.workspace_create(owner=outsider, name="Umbrella Corp").slug == "umbrella-corp-2"


def test_a_workspace_needs_a_name(outsider):
    with pytest.raises(Invalid):
        services.workspace_create(owner=outsider, name="  ")


def test_an_admin_adds_a_member_once(cast, outsider):
    services.member_add(actor=cast.admin, workspace=cast.workspace, user=outsider, role="viewer")
    assert AuditEvent.objects.filter(action="member.add", target=outsider.email).exists()
    with pytest.raises(Conflict, match="already a member"):
        services.member_add(
            actor=cast.admin, workspace=cast.workspace, user=outsider, role="viewer"
        )


@pytest.mark.parametrize("role", ["marketing", "content_manager", "contributor", "viewer"])
def test_only_admins_manage_members(cast, outsider, role):
    with pytest.raises(NotAllowed):
        services.member_add(
            actor=cast.as_role(role), workspace=cast.workspace, user=outsider, role="viewer"
        )


def test_an_unknown_role_is_refused(cast, outsider):
    with pytest.raises(Invalid, match="roles"):
        services.member_add(actor=cast.admin, workspace=cast.workspace, user=outsider, role="boss")


def test_the_last_admin_can_neither_leave_nor_be_demoted(cast):
    mine = Membership.objects.get(user=cast.admin, workspace=cast.workspace)
    with pytest.raises(Invalid, match="at least one admin"):
        services.member_change_role(
            actor=cast.admin, workspace=cast.workspace, membership_id=mine.pk, role="viewer"
        )
    with pytest.raises(Invalid, match="at least one admin"):
        services.member_remove(actor=cast.admin, workspace=cast.workspace, membership_id=mine.pk)
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN


def test_a_role_change_is_logged_with_before_and_after(cast):
    membership = Membership.objects.get(user=cast.viewer, workspace=cast.workspace)
    services.member_change_role(
        actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk, role="marketing"
    )
    event = AuditEvent.objects.get(action="member.role")
    assert event.data == {"before": "viewer", "after": "marketing"}


def test_removing_a_member_forgets_their_current_workspace(cast):
    assert cast.viewer.current_workspace == cast.workspace
    membership = Membership.objects.get(user=cast.viewer, workspace=cast.workspace)
    services.member_remove(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)
    cast.viewer.refresh_from_db()
    assert cast.viewer.current_workspace is None


def test_a_member_removed_from_their_workspace_lands_in_their_next_one(cast, other):
    from tests.factories import MembershipFactory

    MembershipFactory(user=cast.viewer, workspace=other.workspace, role=Role.VIEWER)
    membership = Membership.objects.get(user=cast.viewer, workspace=cast.workspace)
    services.member_remove(actor=cast.admin, workspace=cast.workspace, membership_id=membership.pk)
    cast.viewer.refresh_from_db()
    assert cast.viewer.current_workspace == other.workspace


def test_a_first_workspace_becomes_current_and_a_later_one_does_not(cast, other, outsider):
    services.member_add(actor=cast.admin, workspace=cast.workspace, user=outsider, role=Role.VIEWER)
    outsider.refresh_from_db()
    assert outsider.current_workspace == cast.workspace
    services.member_add(
        actor=other.admin, workspace=other.workspace, user=outsider, role=Role.VIEWER
    )
    outsider.refresh_from_db()
    assert outsider.current_workspace == cast.workspace


def test_emails_are_unique_whatever_their_case(cast):
    with pytest.raises(Conflict):
        services.user_create(email=cast.viewer.email.upper(), password="long-enough-pass")


def test_a_bad_time_zone_preference_is_refused(cast):
    with pytest.raises(Invalid, match="time zone"):
        services.user_update_preferences(
            user=cast.viewer, full_name="V", time_zone="Moon/Base", language="fr"
        )
