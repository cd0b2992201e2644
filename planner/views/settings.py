"""The workspace's settings page (admins): name, time zone, publishing and approval
rules, the chat webhook, and where the approval chains are."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import chat_webhooks, two_factor
from accounts import services as account_services
from accounts.models import Membership
from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner.approvals import chain_progress
from planner.errors import NotAllowed, ServiceError
from planner.models import Campaign
from planner.notifications import inbox
from planner.posts.forms import add_service_error
from planner.views.chains import chain_label
from planner.workspace.forms import WorkspaceSettingsForm


def _admin_membership(request) -> Membership:
    membership = membership_or_404(request.user)
    if not role_can(membership.role, Capability.WORKSPACE_MANAGE):
        raise PermissionDenied(_("Only the admins of this workspace change its settings."))
    return membership


def _initial(workspace) -> dict:
    return {
        "name": workspace.name,
        "time_zone": workspace.time_zone,
        "late_cutoff_minutes": workspace.late_cutoff_minutes,
        "four_eyes_relaxed": workspace.four_eyes_relaxed,
        "approval_reminder_hours": workspace.approval_reminder_hours,
        "at_risk_hours": workspace.at_risk_hours,
        "notify_webhook_kind": workspace.notify_webhook_kind,
        "require_two_factor": workspace.require_two_factor,
    }


def _turns_two_factor_off(workspace, data) -> bool:
    return workspace.require_two_factor and not data["require_two_factor"]


def _confirm_two_factor_off(request, workspace):
    """Ask before turning two-factor sign-in off, naming who it leaves with a password
    only; the form's values travel in hidden fields, so confirming saves them all."""
    return render(
        request,
        "planner/confirm_two_factor_off.html",
        {
            "workspace": workspace,
            "exposed": two_factor.exposed_by_turning_off(workspace),
            "values": [
                (key, value)
                for key, values in request.POST.lists()
                if key != "csrfmiddlewaretoken"
                for value in values
            ],
        },
    )


@login_required
def settings_page(request):
    workspace = _admin_membership(request).workspace
    stored = chat_webhooks.masked(workspace.notify_webhook_url)
    form = WorkspaceSettingsForm(
        request.POST or None, initial=_initial(workspace), stored_webhook=stored
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if _turns_two_factor_off(workspace, data) and not request.POST.get("confirm_off"):
                return _confirm_two_factor_off(request, workspace)
            try:
                account_services.workspace_update_settings(
                    actor=request.user,
                    workspace=workspace,
                    name=data["name"],
                    time_zone=data["time_zone"],
                    late_cutoff_minutes=data["late_cutoff_minutes"],
                    four_eyes_relaxed=data["four_eyes_relaxed"],
                    approval_reminder_hours=data["approval_reminder_hours"],
                    at_risk_hours=data["at_risk_hours"],
                    notify_webhook_kind=data["notify_webhook_kind"],
                    # Empty keeps the stored address, which the form never shows back.
                    notify_webhook_url=data["notify_webhook_url"] or None,
                    require_two_factor=data["require_two_factor"],
                )
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from None
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The workspace's settings are saved."))
                return redirect("planner:settings")
        status = 400
    own_chains = (
        Campaign.objects.filter(workspace=workspace, approval_chain__isnull=False)
        .order_by("name")
        .only("pk", "name")
    )
    return render(
        request,
        "planner/settings.html",
        {
            "workspace": workspace,
            "form": form,
            "default_chain": chain_label(chain_progress.chain_steps_for(workspace.pk, None)),
            "campaign_chains": [
                (c, chain_label(chain_progress.chain_steps_for(workspace.pk, c.pk)))
                for c in own_chains
            ],
            "webhook_configured": bool(workspace.notify_webhook_kind and stored),
            "webhook_hint": stored,
        },
        status=status,
    )


@login_required
@require_POST
def settings_webhook_test(request):
    """Post a test message through the stored chat webhook and say how it went."""
    workspace = _admin_membership(request).workspace
    try:
        inbox.workspace_webhook_test(actor=request.user, workspace=workspace)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from None
    except ServiceError as exc:
        messages.error(request, _("The test message was not sent: %(why)s") % {"why": exc.message})
    else:
        messages.success(request, _("A test message was sent: check the chat channel."))
    return redirect("planner:settings")
