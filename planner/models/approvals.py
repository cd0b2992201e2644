from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class StepMode(models.TextChoices):
    ANY = "any", _("Any one of them")
    ALL = "all", _("All of them")


class ApprovalChain(models.Model):
    """Ordered approval steps: the workspace default (no campaign) or a campaign's own."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="approval_chains"
    )
    campaign = models.OneToOneField(
        "planner.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approval_chain",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approval chain")
        verbose_name_plural = _("approval chains")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(campaign__isnull=True),
                name="approval_chain_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign or _('Default')} chain"


class ApprovalStep(models.Model):
    chain = models.ForeignKey(ApprovalChain, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # When set, only these people may decide this step (they need the role too).
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("named approvers"), blank=True, related_name="+"
    )
    mode = models.CharField(
        _("who must approve"), max_length=3, choices=StepMode.choices, default=StepMode.ANY
    )

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="approval_step_unique"),
            models.CheckConstraint(
                condition=Q(role__in=[Role.ADMIN, Role.MARKETING]),
                name="approval_step_role_can_approve",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_role_display()} ({self.get_mode_display()})"


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REQUEST_CHANGES = "request_changes", _("Changes requested")
    REJECT = "reject", _("Rejected")


class ApprovalDecision(models.Model):
    """Who decided what, on which version, at which step. Withdrawn when content changes."""

    post = models.ForeignKey("planner.Post", on_delete=models.CASCADE, related_name="decisions")
    version = models.PositiveIntegerField()
    step_position = models.PositiveSmallIntegerField()
    step_role = models.CharField(max_length=20, choices=Role.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["created_at", "id"]
        constraints = [
            # One live decision per person per step of a version: a double click,
            # or two tabs, cannot count twice.
            models.UniqueConstraint(
                fields=["post", "version", "step_position", "decided_by"],
                condition=Q(withdrawn_at__isnull=True),
                name="approval_decision_once_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(decision=Decision.REQUEST_CHANGES) | ~Q(comment=""),
                name="approval_changes_need_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} v{self.version} step {self.step_position}"
