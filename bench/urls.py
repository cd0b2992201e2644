"""The project's URLs plus a bare view: the yardstick bench/calendar.py measures against."""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    """Nothing but the middleware around it (session, user, preferences): the floor of
    what any signed-in request costs on this server."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("calendar_project.urls")),
]
