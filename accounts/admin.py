"""People, workspaces and memberships in the Django admin: every write through
``accounts.services`` (see ``planner.admin_forms``)."""

import copy
import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetPasswordMixin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Invitation, Membership, User, Workspace
from accounts.services_two_factor import user_password_set_by_staff
from planner import calendar_cache
from planner.admin_forms import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    ServiceAdminMixin,
    call_for_each,
)
from planner.errors import ServiceError


class UserAddForm(SetPasswordMixin, forms.ModelForm):
    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ["email", "full_name"]

    def clean(self):
        self.validate_passwords()
        return super().clean()


class StaffPasswordForm(AdminPasswordChangeForm):
    """The admin's "change password" page: through ``user_password_set_by_staff``, which
    also ends the person's sessions, API tokens and feed links, and audits it."""

    def __init__(self, user, *args, actor=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.actor = actor

    def save(self, commit=True):
        # "Disable password-based authentication" gives no password: none works after.
        password = (
            self.cleaned_data["password1"]
            if self.cleaned_data.get("set_usable_password", True)
            else None
        )
        user_password_set_by_staff(actor=self.actor, user=self.user, password=password)
        return self.user


@admin.register(User)
class UserAdmin(ServiceAdminMixin, BaseUserAdmin):
    """New users through ``user_create``; staff flags and profile as Django edits them.

    No deletion: it would drop memberships past ``member_remove`` (and its
    last-admin rule). Deactivate the user instead.
    """

    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "time_zone", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "time_zone", "language", "current_workspace")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    filter_horizontal = ()
    list_filter = ["is_staff", "is_superuser", "is_active"]
    autocomplete_fields = ["current_workspace"]

    def user_change_password(self, request, id, form_url=""):
        # Django's view builds ``change_password_form(user, data)``: a copy of this admin,
        # for this request only, builds it with the person who acts.
        acting = copy.copy(self)
        acting.change_password_form = functools.partial(StaffPasswordForm, actor=request.user)
        return BaseUserAdmin.user_change_password(acting, request, id, form_url)

    def writes_through_service(self, obj):
        return obj is None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # a plain save, not audited: the name shows in calendars as assignee
            calendar_cache.bump_workspaces_of(obj)

    def save_through_service(self, request, form, obj):
        data = form.cleaned_data
        form.validate_password_for_user(User(email=data["email"], full_name=data["full_name"]))
        if form.errors:
            return None
        return services.user_create(
            email=data["email"], password=data["password1"], full_name=data["full_name"]
        )


class MembershipInline(ReadOnlyTabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


_WORKSPACE_SETTINGS = (
    "name",
    "time_zone",
    "late_cutoff_minutes",
    "four_eyes_relaxed",
    "approval_reminder_hours",
)


@admin.register(Workspace)
class WorkspaceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Created by ``workspace_create`` (the creator becomes its admin), changed by
    ``workspace_update_settings`` (which wants the acting user to be its admin)."""

    list_display = [
        "name",
        "slug",
        "time_zone",
        "late_cutoff_minutes",
        "four_eyes_relaxed",
        "publishing_paused_at",
    ]
    list_filter = ["four_eyes_relaxed", "time_zone"]
    search_fields = ["name", "slug"]
    readonly_fields = [
        "slug",
        "publishing_paused_at",
        "publishing_paused_reason",
        "publishing_paused_by",
        "created_at",
    ]
    inlines = [MembershipInline]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "time_zone"]
        return [
            "name",
            "slug",
            *_WORKSPACE_SETTINGS[1:],
            "publishing_paused_at",
            "publishing_paused_reason",
            "publishing_paused_by",
            "created_at",
        ]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_through_service(self, request, form, obj):
        data = form.cleaned_data
        if obj is None:
            return services.workspace_create(
                owner=request.user, name=data["name"], time_zone=data["time_zone"]
            )
        return services.workspace_update_settings(
            actor=request.user, workspace=obj, **{key: data[key] for key in _WORKSPACE_SETTINGS}
        )


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Added, re-roled and removed by the member services, which keep one admin per workspace."""

    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    list_select_related = ["user", "workspace"]
    search_fields = ["user__email", "user__full_name", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]
    actions = ["remove_members"]

    def get_fields(self, request, obj=None):
        return ["user", "workspace", "role"] + (["created_at"] if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ["user", "workspace", "created_at"] if obj else []

    def save_through_service(self, request, form, obj):
        role = form.cleaned_data["role"]
        if obj is None:
            data = form.cleaned_data
            return services.member_add(
                actor=request.user, workspace=data["workspace"], user=data["user"], role=role
            )
        return services.member_change_role(
            actor=request.user, workspace=obj.workspace, membership_id=obj.pk, role=role
        )

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def get_actions(self, request):
        # Django's bulk delete would skip the service and announce a success anyway.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.member_remove(actor=request.user, workspace=obj.workspace, membership_id=obj.pk)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            # The refusal rolled the delete view's transaction back: the member stays.
            messages.error(request, exc.message)
            return HttpResponseRedirect(
                reverse("admin:accounts_membership_change", args=[object_id])
            )

    @admin.action(description=_("Remove the selected members"), permissions=["delete"])
    def remove_members(self, request, queryset):
        call_for_each(
            request,
            queryset.select_related("user", "workspace"),
            lambda actor, m: services.member_remove(
                actor=actor, workspace=m.workspace, membership_id=m.pk
            ),
            done=_("Removed %(object)s."),
        )


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Sent, resent, withdrawn and accepted from the Members page, through the services."""

    list_display = ["email", "workspace", "role", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", "workspace"]
    list_select_related = ["workspace", "invited_by"]
    search_fields = ["email", "workspace__name"]
    exclude = ["token_hash"]


# --- second factors ----------------------------------------------------------------
# django-otp's own admins show (and let one type) an authenticator's secret and the
# recovery codes: replaced by lists that show neither. A lost phone is reset from the
# Members page (``services_two_factor.two_factor_reset``), with its audit event.

for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__email"]


@admin.register(StaticDevice)
class StaticDeviceAdmin(TOTPDeviceAdmin):
    pass
