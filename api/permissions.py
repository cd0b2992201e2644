from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.access import ApiAccess


class IsWorkspaceMember(permissions.BasePermission):
    """A request acts in one workspace the person belongs to. What they may do there is
    the services' question (their role), as on the pages; a read-only token only reads."""

    message = _("You are not a member of any workspace.")

    def has_permission(self, request, view) -> bool:
        access = request.auth
        if not isinstance(access, ApiAccess):
            return False
        if access.workspace is None:
            return False
        if access.read_only and request.method not in permissions.SAFE_METHODS:
            self.message = _("This token is read only.")
            return False
        return True
