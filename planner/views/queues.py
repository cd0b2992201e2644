"""The work queues: one page per queue, with tabs that count each."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.permissions import Capability, role_can
from accounts.selectors import current_membership
from planner.approvals import queues

TITLES = {
    queues.WAITING: _("Waiting for me"),
    queues.DRAFTS: _("My drafts"),
    queues.CHANGES: _("Changes requested"),
    queues.AT_RISK: _("At risk"),
}


def _tabs(role: str | None) -> list[str]:
    # Only admins and marketing hold approval steps: the others have nothing waiting.
    return [name for name in queues.NAMES if name != queues.WAITING or queues.approves(role)]


@login_required
@require_GET
def queue_index(request):
    membership = current_membership(request.user)
    role = membership.role if membership else None
    return redirect("planner:queue", name=_tabs(role)[0])


@login_required
@require_GET
def queue_page(request, name: str):
    if name not in TITLES:
        raise Http404
    membership = current_membership(request.user)
    if membership is None:
        return render(request, "planner/no_workspace.html")
    user, workspace, role = request.user, membership.workspace, membership.role
    now = timezone.now()
    if name == queues.WAITING:
        rows = queues.waiting_for(user, workspace, role)
    elif name == queues.DRAFTS:
        rows = list(queues.drafts_of(user, workspace))
    elif name == queues.CHANGES:
        rows = queues.sent_back_to(user, workspace)
    else:
        rows = queues.at_risk_for(user, workspace, role, now)
    tabs = [
        {
            "name": tab,
            "title": TITLES[tab],
            "count": len(rows) if tab == name else queues.count(tab, user, workspace, role),
            "current": tab == name,
        }
        for tab in _tabs(role)
    ]
    return render(
        request,
        "planner/queue.html",
        {
            "workspace": workspace,
            "name": name,
            "title": TITLES[name],
            "tabs": tabs,
            "rows": rows,
            "approves": queues.approves(role),
            "can_plan": role_can(role, Capability.POST_CREATE),
            "at_risk_hours": workspace.at_risk_hours,
        },
    )
