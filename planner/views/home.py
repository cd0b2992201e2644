from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import Capability, role_can
from accounts.selectors import current_membership
from planner import selectors
from planner.workflow import State


@login_required
def home(request):
    """The workspace at a glance: what comes next, and how many posts are in each state."""
    membership = current_membership(request.user)
    if membership is None:
        return render(request, "planner/no_workspace.html")
    workspace = membership.workspace
    now = timezone.now()
    upcoming = selectors.posts_in_window(
        workspace, now - timedelta(hours=12), now + timedelta(days=14)
    )
    counts = selectors.state_counts(workspace)
    return render(
        request,
        "planner/home.html",
        {
            "workspace": workspace,
            "upcoming": upcoming,
            "counts": [(state, counts.get(state.value, 0)) for state in State],
            "can_pause": role_can(membership.role, Capability.PUBLISHING_PAUSE),
            "can_plan": role_can(membership.role, Capability.POST_CREATE),
        },
    )
