"""Objectives: what the administration expects, and the campaigns that serve each."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner.errors import ServiceError
from planner.models import Campaign, Objective
from planner.models.campaigns import Kpi
from planner.planning import services
from planner.posts.forms import add_service_error


class ObjectiveForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kpi = forms.ChoiceField(label=gettext_lazy("KPI"), choices=Kpi.choices)
    target = forms.IntegerField(label=gettext_lazy("Target"), min_value=0)
    baseline = forms.IntegerField(
        label=gettext_lazy("Baseline"),
        min_value=0,
        initial=0,
        help_text=gettext_lazy(
            "What the period would bring anyway: progress counts what comes above it. "
            "Followers gained already counts only the gain, so usually 0."
        ),
    )
    period_start = forms.DateField(
        label=gettext_lazy("Period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"), queryset=User.objects.none(), required=False
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            memberships__workspace=workspace
        ).order_by("email")


@login_required
def objective_list(request):
    membership = membership_or_404(request.user)
    objectives = (
        Objective.objects.filter(workspace=membership.workspace)
        .select_related("owner")
        .prefetch_related(Prefetch("campaigns", queryset=Campaign.objects.order_by("name")))
    )
    return render(
        request,
        "planner/objective_list.html",
        {
            "objectives": objectives,
            "can_manage": role_can(membership.role, Capability.OBJECTIVE_MANAGE),
        },
    )


@login_required
def objective_form(request, pk: int | None = None):
    membership = membership_or_404(request.user)
    if not role_can(membership.role, Capability.OBJECTIVE_MANAGE):
        raise PermissionDenied(_("Only admins set objectives."))
    workspace = membership.workspace
    objective = None
    initial = {}
    if pk is not None:
        objective = Objective.objects.filter(workspace=workspace, pk=pk).first()
        if objective is None:
            raise Http404
        initial = {
            field: getattr(objective, field)
            for field in ("title", "kpi", "target", "baseline", "period_start", "period_end")
        } | {"owner": objective.owner_id, "description": objective.description}
    form = ObjectiveForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_save(
                actor=request.user, workspace=workspace, objective=objective, **form.cleaned_data
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Objective saved."))
            return redirect("planner:objective_list")
    return render(request, "planner/objective_form.html", {"form": form, "objective": objective})
