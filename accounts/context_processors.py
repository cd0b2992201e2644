from accounts.permissions import Capability, role_can
from accounts.selectors import memberships_of


def workspace(request):
    """The current workspace, the user's role in it, and the others to switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(memberships_of(user))
    current = next(
        (m for m in memberships if m.workspace_id == user.current_workspace_id),
        memberships[0] if memberships else None,
    )
    return {
        "memberships": memberships,
        "current_membership": current,
        "current_workspace": current.workspace if current else None,
        "current_role": current.role if current else None,
        "can_manage_workspace": bool(
            current and role_can(current.role, Capability.WORKSPACE_MANAGE)
        ),
        "can_read_audit": bool(current and role_can(current.role, Capability.AUDIT_VIEW)),
    }
