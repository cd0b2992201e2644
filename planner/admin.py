"""The planner in the Django admin.

Objectives, campaigns and channels are written through their services (see
``planner.admin_forms``); posts change only through actions that call the post
services; everything else is shown read-only. Nothing of the planner is deleted
here: cancel posts, disable channels.
"""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from planner.admin_forms import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    ServiceAdminMixin,
    call_for_each,
)
from planner.models import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalStep,
    AuditEvent,
    Cadence,
    Campaign,
    Channel,
    Comment,
    ExpiryNotice,
    FeedLink,
    FollowerSnapshot,
    KeyDate,
    KeyDateImport,
    KeyDateSource,
    Label,
    Media,
    MetricSnapshot,
    Notification,
    NotificationPreference,
    OAuthApp,
    Objective,
    PendingConnection,
    Post,
    PostVersion,
    Publication,
    PublicationMetric,
    RiskFlag,
    StepReminder,
    Variant,
)
from planner.planning import services
from planner.posts import actions as post_actions


def _excerpt(text: str) -> str:
    return Truncator(text).chars(80)


class ServiceModelAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The workspace is chosen when adding, and fixed after."""

    def get_readonly_fields(self, request, obj=None):
        fixed = ["workspace"] if obj else []
        return [*fixed, *super().get_readonly_fields(request, obj)]


# --- objectives and campaigns ----------------------------------------------------


@admin.register(Objective)
class ObjectiveAdmin(ServiceModelAdmin):
    list_display = ["title", "workspace", "kpi", "target", "period_start", "period_end", "owner"]
    list_filter = ["kpi", "workspace"]
    list_select_related = ["workspace", "owner"]
    search_fields = ["title", "description"]
    date_hierarchy = "period_start"
    autocomplete_fields = ["workspace", "owner"]
    fields = [
        "workspace",
        "title",
        "description",
        "kpi",
        "target",
        "baseline",
        "period_start",
        "period_end",
        "owner",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]

    def save_through_service(self, request, form, obj):
        data = form.cleaned_data
        return services.objective_save(
            actor=request.user,
            workspace=obj.workspace if obj else data["workspace"],
            objective=obj,
            **{
                key: data[key]
                for key in (
                    "title",
                    "description",
                    "kpi",
                    "target",
                    "baseline",
                    "period_start",
                    "period_end",
                    "owner",
                )
            },
        )


class CadenceInline(ReadOnlyTabularInline):
    model = Cadence
    fields = ["channel", "posts_per_week"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


@admin.register(Campaign)
class CampaignAdmin(ServiceModelAdmin):
    list_display = ["name", "workspace", "objective", "starts_on", "ends_on"]
    list_filter = ["workspace"]
    list_select_related = ["workspace", "objective"]
    search_fields = ["name", "audience", "tone"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["workspace"]
    filter_horizontal = ["channels"]
    fields = [
        "workspace",
        "name",
        "objective",
        "starts_on",
        "ends_on",
        "channels",
        "audience",
        "tone",
        "guidelines",
        "colour",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [CadenceInline]

    def save_through_service(self, request, form, obj):
        data = form.cleaned_data
        channels = list(data["channels"])
        # The cadence is planned in the app; here it is kept for the channels kept.
        kept = {channel.pk for channel in channels}
        cadence = dict(obj.cadences.values_list("channel_id", "posts_per_week")) if obj else {}
        return services.campaign_save(
            actor=request.user,
            workspace=obj.workspace if obj else data["workspace"],
            campaign=obj,
            channels=channels,
            cadence={cid: n for cid, n in cadence.items() if cid in kept},
            **{
                key: data[key]
                for key in (
                    "name",
                    "objective",
                    "starts_on",
                    "ends_on",
                    "audience",
                    "tone",
                    "guidelines",
                    "colour",
                )
            },
        )


# --- channels --------------------------------------------------------------------


class SecretTextarea(forms.Textarea):
    """Renders empty, always: a secret never goes back into a page, not even after an error."""

    def format_value(self, value):
        return None


class ChannelAdminForm(forms.ModelForm):
    new_credentials = forms.CharField(
        label=_("New credentials"),
        required=False,
        widget=SecretTextarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text=_(
            'A JSON object, for example {"access_token": "…"}. Leave empty to keep the '
            "stored credentials; a key left empty keeps its stored value."
        ),
    )

    class Meta:
        model = Channel
        fields = ["workspace", "kind", "name", "handle", "base_url"]

    def clean_new_credentials(self):
        raw = self.cleaned_data["new_credentials"].strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("The credentials are not valid JSON: %(error)s (line %(line)s, column %(col)s)."),
                params={"error": exc.msg, "line": exc.lineno, "col": exc.colno},
            ) from None
        if not isinstance(value, dict):
            raise ValidationError(_('Enter a JSON object: {"name": "value", …}.'))
        return value


@admin.register(Channel)
class ChannelAdmin(ServiceModelAdmin):
    form = ChannelAdminForm
    list_display = ["name", "workspace", "kind", "handle", "is_active"]
    list_filter = ["kind", "is_active", "workspace"]
    list_select_related = ["workspace"]
    search_fields = ["name", "handle"]
    autocomplete_fields = ["workspace"]
    actions = ["enable", "disable"]

    def get_fields(self, request, obj=None):
        fields = ["workspace", "kind", "name", "handle", "base_url"]
        if obj is None:
            return [*fields, "new_credentials"]
        return [
            *fields,
            "stored_credentials",
            "new_credentials",
            "is_active",
            "created_at",
            "updated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            *super().get_readonly_fields(request, obj),
            "kind",
            "stored_credentials",
            "is_active",
            "created_at",
            "updated_at",
        ]

    @admin.display(description=_("stored credentials"))
    def stored_credentials(self, obj):
        return ", ".join(f"{key}: ••••" for key in sorted(obj.credentials or {})) or "—"

    def save_through_service(self, request, form, obj):
        data = form.cleaned_data
        return services.channel_save(
            actor=request.user,
            workspace=obj.workspace if obj else data["workspace"],
            channel=obj,
            kind=obj.kind if obj else data["kind"],
            name=data["name"],
            handle=data["handle"],
            base_url=data["base_url"],
            credentials=data["new_credentials"],
        )

    def _set_active(self, request, queryset, active: bool, done: str):
        call_for_each(
            request,
            queryset.select_related("workspace"),
            lambda actor, channel: services.channel_set_active(
                actor=actor, channel=channel, active=active
            ),
            done=done,
        )

    @admin.action(description=_("Enable the selected channels"))
    def enable(self, request, queryset):
        self._set_active(request, queryset, True, _("%(object)s is enabled."))

    @admin.action(description=_("Disable the selected channels"))
    def disable(self, request, queryset):
        self._set_active(request, queryset, False, _("%(object)s is disabled."))


# --- posts -----------------------------------------------------------------------


class VariantInline(ReadOnlyTabularInline):
    model = Variant
    fields = ["channel", "text"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


class PublicationInline(ReadOnlyTabularInline):
    model = Publication
    fields = ["channel", "state", "due_at", "attempts", "published_at", "external_url"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    """Content is edited in the app (versions, approval withdrawal); here, only actions."""

    list_display = [
        "__str__",
        "workspace",
        "campaign",
        "state",
        "scheduled_at",
        "author",
        "version",
    ]
    list_filter = ["state", "workspace"]
    list_select_related = ["workspace", "campaign", "author"]
    search_fields = ["title", "body"]
    date_hierarchy = "scheduled_at"
    inlines = [VariantInline, PublicationInline]
    actions = ["submit", "cancel", "reopen"]

    def _each(self, request, queryset, service, done: str):
        call_for_each(
            request,
            queryset.select_related("workspace"),
            lambda actor, post: service(actor=actor, post=post),
            done=done,
        )

    @admin.action(description=_("Submit the selected posts for approval"))
    def submit(self, request, queryset):
        self._each(request, queryset, post_actions.post_submit, _("“%(object)s” is submitted."))

    @admin.action(description=_("Cancel the selected posts"))
    def cancel(self, request, queryset):
        self._each(request, queryset, post_actions.post_cancel, _("“%(object)s” is cancelled."))

    @admin.action(description=_("Reopen the selected posts as drafts"))
    def reopen(self, request, queryset):
        self._each(request, queryset, post_actions.post_reopen, _("“%(object)s” is reopened."))


# --- read-only records -----------------------------------------------------------


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ["name", "workspace"]
    list_filter = ["workspace"]
    list_select_related = ["workspace"]
    search_fields = ["name"]


@admin.register(Cadence)
class CadenceAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "channel", "posts_per_week"]
    list_filter = ["campaign__workspace"]
    list_select_related = ["campaign", "channel"]
    search_fields = ["campaign__name", "channel__name"]


@admin.register(Variant)
class VariantAdmin(ReadOnlyAdmin):
    list_display = ["post", "channel", "excerpt"]
    list_filter = ["channel__kind"]
    list_select_related = ["post", "channel"]
    search_fields = ["post__title", "text"]

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        return _excerpt(obj.text) or _("(the post's text)")


@admin.register(Media)
class MediaAdmin(ReadOnlyAdmin):
    list_display = ["post", "file", "mime_type", "size", "position"]
    list_filter = ["mime_type"]
    list_select_related = ["post"]
    search_fields = ["post__title", "alt_text"]


@admin.register(PostVersion)
class PostVersionAdmin(ReadOnlyAdmin):
    list_display = ["post", "number", "author", "created_at"]
    list_select_related = ["post", "author"]
    search_fields = ["post__title", "title", "body"]
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["post", "author", "excerpt", "version", "created_at"]
    list_select_related = ["post", "author"]
    search_fields = ["body", "post__title"]
    date_hierarchy = "created_at"

    @admin.display(description=_("comment"))
    def excerpt(self, obj):
        return _excerpt(obj.body)


class ApprovalStepInline(ReadOnlyTabularInline):
    model = ApprovalStep
    fields = ["position", "role", "mode", "approvers"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("approvers")


@admin.register(ApprovalChain)
class ApprovalChainAdmin(ReadOnlyAdmin):
    """Set through ``approval_chain_set`` (workspace and campaign settings in the app)."""

    list_display = ["__str__", "workspace", "campaign", "step_count", "created_at"]
    list_filter = ["workspace"]
    list_select_related = ["workspace", "campaign"]
    search_fields = ["campaign__name", "workspace__name"]
    inlines = [ApprovalStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_count=Count("steps"))

    @admin.display(description=_("steps"), ordering="step_count")
    def step_count(self, obj):
        return obj.step_count


@admin.register(ApprovalStep)
class ApprovalStepAdmin(ReadOnlyAdmin):
    list_display = ["chain", "position", "role", "mode"]
    list_filter = ["role", "mode"]
    list_select_related = ["chain__campaign"]


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "post",
        "version",
        "step_position",
        "step_role",
        "decision",
        "decided_by",
        "created_at",
        "withdrawn_at",
    ]
    list_filter = ["decision", "step_role"]
    list_select_related = ["post", "decided_by"]
    search_fields = ["post__title", "comment"]
    date_hierarchy = "created_at"


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["post", "channel", "state", "due_at", "attempts", "published_at"]
    list_filter = ["state", "channel__kind"]
    list_select_related = ["post", "channel"]
    search_fields = ["post__title", "external_id"]
    date_hierarchy = "due_at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Append-only: written by services, never changed or deleted."""

    list_display = ["created_at", "workspace", "actor", "action", "target", "ip_address"]
    list_filter = ["workspace"]
    list_select_related = ["workspace", "actor"]
    search_fields = ["action", "target", "actor__email"]
    date_hierarchy = "created_at"
    # Counting a long trail on every page is the slow part of its changelist.
    show_full_result_count = False


@admin.register(StepReminder)
class StepReminderAdmin(ReadOnlyAdmin):
    """Written by the reminder run (``approvals.reminders``): what was sent, once."""

    list_display = ["post", "version", "step_position", "reminded_at", "escalated_at"]
    list_select_related = ["post"]
    search_fields = ["post__title"]


@admin.register(ExpiryNotice)
class ExpiryNoticeAdmin(ReadOnlyAdmin):
    """Written by the hourly connections run: admins told a channel's access ends, once
    per threshold (a week, a day) and end date."""

    list_display = ["channel", "expires_at", "days_before", "sent_at"]
    list_select_related = ["channel"]
    search_fields = ["channel__name"]
    date_hierarchy = "sent_at"


@admin.register(OAuthApp)
class OAuthAppAdmin(ReadOnlyAdmin):
    """Maillon's own app on a server of a network whose servers register their apps
    (Mastodon), made at the first Connect there; its secret is never shown."""

    list_display = ["network", "server", "redirect_uri", "created_at"]
    search_fields = ["server"]
    exclude = ["client_secret"]


@admin.register(PendingConnection)
class PendingConnectionAdmin(ReadOnlyAdmin):
    """A sign-in under way (Connect / Reconnect): deleted once chosen or expired; what it
    holds (tokens, the PKCE verifier, the state's digest) is never shown."""

    list_display = ["network", "user", "workspace", "channel", "expires_at"]
    list_select_related = ["user", "workspace", "channel"]
    exclude = ["secret", "state_digest"]


@admin.register(RiskFlag)
class RiskFlagAdmin(ReadOnlyAdmin):
    """Written by the reminder run: a post told at risk for a time slot, once."""

    list_display = ["post", "scheduled_at", "flagged_at"]
    list_select_related = ["post"]
    search_fields = ["post__title"]
    date_hierarchy = "flagged_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Written by ``planner.notifications.notify.notify``; read by its recipient in the inbox."""

    list_display = ["created_at", "workspace", "recipient", "kind", "post", "actor", "read_at"]
    list_filter = ["kind", "workspace"]
    list_select_related = ["workspace", "recipient", "post", "actor"]
    search_fields = ["recipient__email", "post__title"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """A person's own choice, made on their preferences page."""

    list_display = ["user", "kind", "email"]
    list_filter = ["kind", "email"]
    list_select_related = ["user"]
    search_fields = ["user__email"]


@admin.register(KeyDateSource)
class KeyDateSourceAdmin(ReadOnlyAdmin):
    """Imported and removed on the Key dates page (``calendar_feeds.key_dates``)."""

    # Listed, so that the admin need not build a form to find them (a URLField's form
    # field warns about its default scheme).
    fields = ["workspace", "name", "url", "created_by", "created_at", "imported_at"]
    readonly_fields = fields
    list_display = ["name", "workspace", "url", "imported_at", "created_by"]
    list_filter = ["workspace"]
    list_select_related = ["workspace", "created_by"]
    search_fields = ["name", "url"]


@admin.register(KeyDateImport)
class KeyDateImportAdmin(ReadOnlyAdmin):
    """Queued on the Key dates page, run by a worker (``calendar_feeds.key_dates``). The uploaded
    file is not shown (it is gone once the import ends)."""

    fields = [
        "workspace",
        "name",
        "source",
        "url",
        "refresh",
        "status",
        "series_done",
        "series_total",
        "result",
        "error",
        "problems",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields
    list_display = ["name", "workspace", "status", "created_at", "finished_at", "created_by"]
    list_filter = ["workspace", "status"]
    list_select_related = ["workspace", "created_by"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("upload")


@admin.register(KeyDate)
class KeyDateAdmin(ReadOnlyAdmin):
    """One occurrence each; written by imports (by UID) or added by hand on the Key dates page."""

    list_display = ["title", "workspace", "source", "all_day", "starts_on", "starts_at", "sequence"]
    list_filter = ["workspace", "all_day"]
    list_select_related = ["workspace", "source"]
    search_fields = ["title", "external_uid"]


@admin.register(FeedLink)
class FeedLinkAdmin(ReadOnlyAdmin):
    """A person's private calendar feed addresses, made and revoked on their feeds page.
    Only the token's hash is stored; it is not shown here either."""

    list_display = [
        "user",
        "workspace",
        "scope",
        "name",
        "created_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["scope", "workspace"]
    list_select_related = ["user", "workspace"]
    search_fields = ["user__email", "name"]
    exclude = ["token_hash"]


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyAdmin):
    """Read from the networks by the metrics task, on a decaying schedule."""

    list_display = ["publication", "name", "value", "taken_at"]
    list_filter = ["name"]
    list_select_related = ["publication__post", "publication__channel"]


@admin.register(PublicationMetric)
class PublicationMetricAdmin(ReadOnlyAdmin):
    """The latest value of each metric of each delivery (what the reports read)."""

    list_display = ["publication", "name", "value", "taken_at"]
    list_filter = ["name"]
    list_select_related = ["publication__post", "publication__channel"]


@admin.register(FollowerSnapshot)
class FollowerSnapshotAdmin(ReadOnlyAdmin):
    """A channel's follower count, read daily."""

    list_display = ["channel", "count", "taken_at"]
    list_select_related = ["channel"]
