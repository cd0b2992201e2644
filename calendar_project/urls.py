from django.contrib import admin
from django.urls import include, path

from planner.views.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.v1_urls")),
    path("api/", include("api.urls")),
    path("", include("planner.urls")),
]
