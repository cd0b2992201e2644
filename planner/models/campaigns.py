from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f6feb (a # and six hexadecimal digits).")
)


class Kpi(models.TextChoices):
    POSTS_PUBLISHED = "posts_published", _("Posts published")
    ENGAGEMENT = "engagement", _("Engagement (likes, reposts, replies)")
    REACH = "reach", _("Reach or views")
    FOLLOWERS_GAINED = "followers_gained", _("Followers gained")


class Objective(models.Model):
    """What the administration expects: a KPI, a target and a period."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="objectives"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kpi = models.CharField(_("KPI"), max_length=32, choices=Kpi.choices)
    target = models.PositiveIntegerField(_("target"))
    baseline = models.PositiveIntegerField(_("baseline"), default=0)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["-period_start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="objective_period_ordered"
            ),
            models.CheckConstraint(condition=Q(kpi__in=Kpi.values), name="objective_kpi_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class Campaign(models.Model):
    """Marketing's parameters for a stretch of posts serving an objective."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    channels = models.ManyToManyField(
        "planner.Channel", verbose_name=_("channels"), blank=True, related_name="campaigns"
    )
    audience = models.TextField(_("audience"), blank=True)
    tone = models.TextField(_("tone"), blank=True)
    guidelines = models.TextField(_("guidelines"), blank=True)
    colour = models.CharField(
        _("colour"), max_length=7, default="#1f6feb", validators=[colour_validator]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_dates_ordered"
            ),
            models.UniqueConstraint(fields=["workspace", "name"], name="campaign_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Cadence(models.Model):
    """How many posts per week a campaign plans on one channel."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="cadences")
    channel = models.ForeignKey("planner.Channel", on_delete=models.CASCADE, related_name="+")
    posts_per_week = models.PositiveSmallIntegerField(_("posts per week"))

    class Meta:
        verbose_name = _("cadence")
        verbose_name_plural = _("cadences")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "channel"], name="cadence_unique"),
            models.CheckConstraint(
                condition=Q(posts_per_week__gte=1, posts_per_week__lte=100),
                name="cadence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.posts_per_week}/week"
