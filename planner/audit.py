"""Writing audit events. Services call ``record``; the request's address comes
from a context variable set by ``AuditContextMiddleware``.

Every service write records an event here, so this is also where the calendar learns
that its kept answers are out of date (``planner.calendar_cache``)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from planner import calendar_cache
from planner.models import AuditEvent

current_ip: ContextVar[str | None] = ContextVar("maillon_current_ip", default=None)


def record(
    *,
    workspace,
    actor,
    action: str,
    post=None,
    campaign=None,
    target: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        workspace=workspace,
        actor=actor,
        action=action,
        post=post,
        campaign=campaign,
        target=target[:200],
        data=data or {},
        ip_address=current_ip.get(),
    )
    calendar_cache.bump_on_commit(event.workspace_id)
    return event
