"""Pausing and resuming a workspace's publishing (admins, in a crisis)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import current_membership
from planner.errors import ServiceError
from planner.publishing import control


@login_required
@require_POST
def pause(request):
    membership = current_membership(request.user)
    if membership is None:
        return redirect("planner:home")
    reason = request.POST.get("reason", "")
    if request.POST.get("confirmed") != "yes":
        return render(request, "planner/confirm_pause.html", {"reason": reason})
    try:
        control.workspace_pause(actor=request.user, workspace=membership.workspace, reason=reason)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(request, _("All publishing is paused. Nothing goes out until you resume."))
    return redirect("planner:home")


@login_required
@require_POST
def resume(request):
    membership = current_membership(request.user)
    if membership is None:
        return redirect("planner:home")
    try:
        result = control.workspace_resume(actor=request.user, workspace=membership.workspace)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Publishing resumed. %(posts)s post(s) missed their time during the pause "
                "and wait for you in “Needs attention”."
            )
            % {"posts": result["posts"]},
        )
    return redirect("planner:home")
