"""Campaigns: marketing's parameters, and how the plan keeps up with them."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner import selectors
from planner.approvals import chain_progress
from planner.errors import ServiceError
from planner.models import ApprovalChain, Campaign, Channel, Objective
from planner.planning import services
from planner.posts.forms import add_service_error
from planner.views.chains import chain_label


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    objective = forms.ModelChoiceField(
        label=gettext_lazy("Objective it serves"), queryset=Objective.objects.none(), required=False
    )
    channels = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Channels"),
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    audience = forms.CharField(
        label=gettext_lazy("Audience"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    tone = forms.CharField(
        label=gettext_lazy("Tone"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    guidelines = forms.CharField(
        label=gettext_lazy("Guidelines"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    colour = forms.CharField(
        label=gettext_lazy("Colour"),
        widget=forms.TextInput(attrs={"type": "color"}),
        initial="#1f6feb",
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = Objective.objects.filter(workspace=workspace)
        channels = Channel.objects.filter(workspace=workspace).order_by("name")
        self.fields["channels"].queryset = channels
        for channel in channels:
            self.fields[f"cadence_{channel.pk}"] = forms.IntegerField(
                label=_("Posts a week on %(channel)s") % {"channel": channel.name},
                min_value=0,
                max_value=100,
                required=False,
            )

    def cadence(self) -> dict[int, int]:
        return {
            channel.pk: self.cleaned_data.get(f"cadence_{channel.pk}") or 0
            for channel in self.cleaned_data.get("channels", [])
        }

    def cadence_fields(self):
        return [self[f"cadence_{c.pk}"] for c in self.fields["channels"].queryset]


@login_required
def campaign_list(request):
    membership = membership_or_404(request.user)
    campaigns = (
        Campaign.objects.filter(workspace=membership.workspace)
        .select_related("objective")
        .order_by("-starts_on")
    )
    return render(
        request,
        "planner/campaign_list.html",
        {
            "campaigns": campaigns,
            "can_manage": role_can(membership.role, Capability.CAMPAIGN_MANAGE),
        },
    )


def _week_start(workspace_zone) -> dt.datetime:
    today = timezone.localdate(timezone=workspace_zone)
    monday = today - dt.timedelta(days=today.weekday())
    return dt.datetime.combine(monday, dt.time(0), tzinfo=workspace_zone)


@login_required
def campaign_detail(request, pk: int):
    import zoneinfo

    membership = membership_or_404(request.user)
    campaign = Campaign.objects.filter(workspace=membership.workspace, pk=pk).first()
    if campaign is None:
        raise Http404
    zone = zoneinfo.ZoneInfo(membership.workspace.time_zone)
    today = timezone.localdate(timezone=zone)
    running = campaign.starts_on <= today <= campaign.ends_on
    return render(
        request,
        "planner/campaign_detail.html",
        {
            "campaign": campaign,
            "cadence": selectors.cadence_this_week(campaign, _week_start(zone)),
            "can_manage": role_can(membership.role, Capability.CAMPAIGN_MANAGE),
            "can_schedule": role_can(membership.role, Capability.POST_SCHEDULE),
            "has_posts": campaign.posts.exists(),
            "approval_chain": chain_label(
                chain_progress.chain_steps_for(membership.workspace.pk, campaign.pk)
            ),
            "own_chain": ApprovalChain.objects.filter(campaign=campaign).exists(),
            # Its calendar opens on today while it runs, otherwise on its first day.
            "initial_date": today if running else campaign.starts_on,
        },
    )


@login_required
def campaign_form(request, pk: int | None = None):
    membership = membership_or_404(request.user)
    if not role_can(membership.role, Capability.CAMPAIGN_MANAGE):
        raise PermissionDenied(_("Only marketing and admins create and edit campaigns."))
    workspace = membership.workspace
    campaign = None
    initial = {}
    if pk is not None:
        campaign = Campaign.objects.filter(workspace=workspace, pk=pk).first()
        if campaign is None:
            raise Http404
        initial = {
            "name": campaign.name,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "objective": campaign.objective_id,
            "channels": list(campaign.channels.values_list("pk", flat=True)),
            "audience": campaign.audience,
            "tone": campaign.tone,
            "guidelines": campaign.guidelines,
            "colour": campaign.colour,
            **{f"cadence_{c.channel_id}": c.posts_per_week for c in campaign.cadences.all()},
        }
    form = CampaignForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_save(
                actor=request.user,
                workspace=workspace,
                campaign=campaign,
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                objective=data["objective"],
                channels=data["channels"],
                cadence=form.cadence(),
                audience=data["audience"],
                tone=data["tone"],
                guidelines=data["guidelines"],
                colour=data["colour"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("planner:campaign_detail", pk=campaign.pk)
    return render(request, "planner/campaign_form.html", {"form": form, "campaign": campaign})
