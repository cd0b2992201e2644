"""The Django admin site, open only to a session that gave its second factor (every
staff account needs one, see ``accounts.two_factor``)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as BaseAdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse


class AdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        """One sign-in page for everyone, the admin's staff too: the site's own, where the
        lockout, the account's slow path and the second factor apply. The admin's form
        would check a password past all three. A session already signed in but not
        allowed here is refused (sending it to sign in would send it straight back)."""
        index = reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return redirect(index)
        if request.user.is_authenticated:
            raise PermissionDenied
        target = request.GET.get(REDIRECT_FIELD_NAME) or index
        return redirect(f"{reverse('accounts:login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and request.user.is_verified()


class AdminConfig(BaseAdminConfig):
    default_site = "calendar_project.admin_site.AdminSite"
