"""The Django admin site, open only to a session that gave its second factor (every
staff account needs one, see ``accounts.two_factor``)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as BaseAdminConfig


class AdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        return super().has_permission(request) and request.user.is_verified()


class AdminConfig(BaseAdminConfig):
    default_site = "calendar_project.admin_site.AdminSite"
