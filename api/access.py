"""Who an API request acts as, and in which workspace.

A token acts in its own workspace; the signed-in session in the person's current one.
Either way the role is read afresh at each request, so a role change narrows at once."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Workspace
from api.models import ApiToken


@dataclass(frozen=True)
class ApiAccess:
    workspace: Workspace | None
    role: str | None
    token: ApiToken | None = None

    @property
    def read_only(self) -> bool:
        return self.token is not None and self.token.read_only


def workspace_of(request) -> Workspace:
    """The request's workspace (``IsWorkspaceMember`` has made sure there is one)."""
    access = request.auth
    assert isinstance(access, ApiAccess) and access.workspace is not None
    return access.workspace
