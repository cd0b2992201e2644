"""The approval chain editor: the workspace's default chain, and a campaign's own.

Plain forms, one per step, so that it works without JavaScript: each button (save a
step, move it, remove it, add one) rebuilds the whole chain and hands it to
``approvals.chains.approval_chain_set``, which checks and records it.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Role, User, Workspace
from accounts.permissions import Capability, role_can
from accounts.selectors import membership_or_404
from planner.approvals import chain_progress, chains
from planner.approvals.chain_progress import StepSpec
from planner.approvals.chains import APPROVER_ROLES, MAX_STEPS, posts_following
from planner.errors import Invalid, NotAllowed, NotFound, ServiceError
from planner.models import ApprovalChain, Campaign, StepMode
from planner.posts.forms import add_service_error

# --- how a chain reads -------------------------------------------------------------


def step_label(step: StepSpec, names: dict[int, str]) -> str:
    """'Marketing', 'Admin (all of them)', 'Marketing: Noor Haddad or Samuel Okafor'."""
    label = str(Role(step.role).label)
    people = sorted(names.get(pk, "?") for pk in step.approver_ids)
    if people:
        joiner = _(" and ") if step.mode == StepMode.ALL else _(" or ")
        return f"{label}: {joiner.join(people)}"
    if step.mode == StepMode.ALL:
        return _("%(role)s (all of them)") % {"role": label}
    return label


def approver_names(steps: tuple[StepSpec, ...]) -> dict[int, str]:
    ids = {pk for step in steps for pk in step.approver_ids}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)} if ids else {}


def chain_label(steps: tuple[StepSpec, ...]) -> str:
    """The chain on one line: 'Marketing → Admin'."""
    names = approver_names(steps)
    return " → ".join(step_label(step, names) for step in steps)


def chain_signature(steps: tuple[StepSpec, ...]) -> str:
    """Which chain a page showed: a button pressed on a page that is out of date is
    refused rather than applied to a step that has moved."""
    text = repr([(s.role, s.mode, sorted(s.approver_ids)) for s in steps])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the form of one step ------------------------------------------------------------


class StepForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Who approves"))
    mode = forms.ChoiceField(
        label=gettext_lazy("How many of them"),
        choices=StepMode.choices,
        initial=StepMode.ANY,
        widget=forms.RadioSelect,
    )
    approvers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Only these people (optional)"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Leave them all unticked for anyone with the role. Ticked people must have "
            "the step's role."
        ),
    )

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in APPROVER_ROLES]
        roles = dict(
            Membership.objects.filter(workspace=workspace, role__in=APPROVER_ROLES).values_list(
                "user_id", "role"
            )
        )
        field = self.fields["approvers"]
        field.queryset = User.objects.filter(pk__in=roles).order_by("full_name", "email")
        field.label_from_instance = lambda user: (
            f"{user.display_name} ({Role(roles[user.pk]).label})"
        )

    def step(self) -> tuple[str, str, list[User]]:
        data = self.cleaned_data
        return data["role"], data["mode"], list(data["approvers"])


# --- whose chain, and who may change it ------------------------------------------------


class _Target:
    """The chain a page edits: the workspace default (campaign None) or a campaign's."""

    def __init__(self, request, campaign_pk: int | None) -> None:
        membership = membership_or_404(request.user)
        self.workspace = membership.workspace
        self.role = membership.role
        self.campaign: Campaign | None = None
        if campaign_pk is not None:
            self.campaign = Campaign.objects.filter(
                workspace=self.workspace, pk=campaign_pk
            ).first()
            if self.campaign is None:
                raise Http404
            if not role_can(membership.role, Capability.CAMPAIGN_MANAGE):
                raise PermissionDenied(
                    _("Only marketing and admins change a campaign's approval chain.")
                )
        elif not role_can(membership.role, Capability.WORKSPACE_MANAGE):
            raise PermissionDenied(_("Only the admins change the workspace's approval chain."))
        self.campaign_id = self.campaign.pk if self.campaign else None

    @property
    def stored(self) -> ApprovalChain | None:
        return ApprovalChain.objects.filter(
            workspace=self.workspace, campaign_id=self.campaign_id
        ).first()

    def steps(self) -> tuple[StepSpec, ...]:
        return chain_progress.chain_steps_for(self.workspace.pk, self.campaign_id)

    def url(self) -> str:
        if self.campaign is None:
            return reverse("planner:approval_chain_default")
        return reverse("planner:approval_chain_campaign", args=[self.campaign.pk])

    def remove_url(self, position: int) -> str:
        if self.campaign is None:
            return reverse("planner:approval_step_remove_default", args=[position])
        return reverse("planner:approval_step_remove_campaign", args=[self.campaign.pk, position])

    def back_url(self) -> str:
        if self.campaign is None:
            return reverse("planner:settings")
        return reverse("planner:campaign_detail", args=[self.campaign.pk])

    def save(self, request, steps: list[tuple[str, str, list[User]]]) -> None:
        chains.approval_chain_set(
            actor=request.user, workspace=self.workspace, campaign=self.campaign, steps=steps
        )


def _as_input(steps: tuple[StepSpec, ...]) -> list[tuple[str, str, list[User]]]:
    people = User.objects.in_bulk({pk for step in steps for pk in step.approver_ids})
    return [
        (s.role, s.mode, [people[pk] for pk in sorted(s.approver_ids) if pk in people])
        for s in steps
    ]


def _refuse(exc: ServiceError) -> None:
    if isinstance(exc, NotFound):
        raise Http404 from None
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from None


# --- the pages ---------------------------------------------------------------------------


def _page(request, target: _Target, forms_by_key: dict | None = None, status: int = 200):
    steps = target.steps()
    names = approver_names(steps)
    bound = forms_by_key or {}
    rows = []
    for step in steps:
        key = f"step-{step.position}"
        form = bound.get(key) or StepForm(
            prefix=key,
            workspace=target.workspace,
            initial={"role": step.role, "mode": step.mode, "approvers": list(step.approver_ids)},
        )
        rows.append(
            {
                "step": step,
                "label": step_label(step, names),
                "form": form,
                "remove_url": target.remove_url(step.position),
            }
        )
    add_form = bound.get("new") or StepForm(prefix="new", workspace=target.workspace)
    in_review = posts_following(target.workspace, target.campaign)
    default_steps = chain_progress.chain_steps_for(target.workspace.pk, None)
    return render(
        request,
        "planner/approval_chain.html",
        {
            "campaign": target.campaign,
            "own_chain": target.stored is not None,
            "chain_label": chain_label(steps),
            "default_label": chain_label(default_steps),
            "rows": rows,
            "add_form": add_form,
            "can_add": len(steps) < MAX_STEPS,
            "max_steps": MAX_STEPS,
            "signature": chain_signature(steps),
            "in_review": in_review.count(),
            "back_url": target.back_url(),
            "action": target.url(),
            "can_edit_default": role_can(target.role, Capability.WORKSPACE_MANAGE),
        },
        status=status,
    )


def _edit(request, campaign_pk: int | None) -> HttpResponse:
    target = _Target(request, campaign_pk)
    if request.method != "POST":
        return _page(request, target)
    steps = target.steps()
    if request.POST.get("chain") != chain_signature(steps):
        messages.warning(
            request,
            _("The chain changed while you were looking at it: here it is as it is now."),
        )
        return redirect(target.url())
    op = request.POST.get("op", "")
    chain = _as_input(steps)
    form_key, other = None, 0
    try:
        position = int(request.POST.get("position", "0"))
    except ValueError:
        position = 0
    if op in ("up", "down"):
        other = position - 1 if op == "up" else position + 1
        if not (1 <= position <= len(chain) and 1 <= other <= len(chain)):
            return redirect(target.url())
        chain[position - 1], chain[other - 1] = chain[other - 1], chain[position - 1]
    elif op in ("save", "add"):
        form_key = "new" if op == "add" else f"step-{position}"
        if op == "save" and not 1 <= position <= len(chain):
            return redirect(target.url())
        form = StepForm(request.POST, prefix=form_key, workspace=target.workspace)
        if not form.is_valid():
            return _page(request, target, {form_key: form}, status=400)
        if op == "add":
            chain.append(form.step())
        else:
            chain[position - 1] = form.step()
    else:
        return redirect(target.url())
    try:
        target.save(request, chain)
    except ServiceError as exc:
        _refuse(exc)
        if form_key is not None:
            add_service_error(form, exc)
            return _page(request, target, {form_key: form}, status=400)
        messages.error(request, exc.message)
        return redirect(target.url())
    messages.success(
        request,
        _("Approval chain saved: %(chain)s.") % {"chain": chain_label(target.steps())},
    )
    anchor = f"#step-{other}" if op in ("up", "down") else ""
    return redirect(target.url() + anchor)


@login_required
def approval_chain_default(request):
    return _edit(request, None)


@login_required
def approval_chain_campaign(request, pk: int):
    return _edit(request, pk)


def _remove(request, campaign_pk: int | None, position: int) -> HttpResponse:
    target = _Target(request, campaign_pk)
    steps = target.steps()
    if not 1 <= position <= len(steps):
        raise Http404
    step = steps[position - 1]
    if request.method != "POST":
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Remove step %(position)s (%(step)s)?")
                % {"position": position, "step": step_label(step, approver_names(steps))},
                "explanation": _(
                    "Posts then need one approval fewer. Posts in review follow the new chain; "
                    "approvals given at the steps after this one no longer count."
                ),
                "action": target.remove_url(position),
                "confirm_label": _("Yes, remove the step"),
                "back": target.url(),
            },
        )
    chain = _as_input(steps)
    del chain[position - 1]
    try:
        if not chain:
            raise Invalid(_("A chain needs at least one step."))
        target.save(request, chain)
    except ServiceError as exc:
        _refuse(exc)
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Step removed. Approval chain: %(chain)s.") % {"chain": chain_label(target.steps())},
        )
    return redirect(target.url())


@login_required
def approval_step_remove_default(request, position: int):
    return _remove(request, None, position)


@login_required
def approval_step_remove_campaign(request, pk: int, position: int):
    return _remove(request, pk, position)


@login_required
def approval_chain_reset(request, pk: int):
    """Drop the campaign's own chain: it follows the workspace's default again."""
    target = _Target(request, pk)
    assert target.campaign is not None
    if request.method != "POST":
        return render(
            request,
            "accounts/confirm.html",
            {
                "title": _("Use the workspace's approval chain for %(campaign)s?")
                % {"campaign": target.campaign.name},
                "explanation": _(
                    "The campaign's own chain is deleted. Its posts are then approved by the "
                    "workspace's chain: %(chain)s. Posts in review follow it from now on."
                )
                % {"chain": chain_label(chain_progress.chain_steps_for(target.workspace.pk, None))},
                "action": reverse("planner:approval_chain_reset", args=[pk]),
                "confirm_label": _("Yes, use the workspace's chain"),
                "back": target.url(),
            },
        )
    try:
        chains.approval_chain_remove(
            actor=request.user, workspace=target.workspace, campaign=target.campaign
        )
    except ServiceError as exc:
        _refuse(exc)
        messages.error(request, exc.message)
        return redirect(target.url())
    messages.success(
        request,
        _("%(campaign)s now follows the workspace's approval chain.")
        % {"campaign": target.campaign.name},
    )
    return redirect(target.url())
