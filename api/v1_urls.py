"""The REST API's endpoints, /api/v1/... (namespace ``api-v1``)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from api.views.not_found import not_found
from api.views.planning import CampaignViewSet, ChannelViewSet, KeyDateViewSet, ObjectiveViewSet
from api.views.posts import PostViewSet
from api.views.publishing import CalendarView, PublicationViewSet

app_name = "api-v1"

router = SimpleRouter(use_regex_path=False)
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("channels", ChannelViewSet, basename="channel")
router.register("key-dates", KeyDateViewSet, basename="key-date")
router.register("posts", PostViewSet, basename="post")
router.register("publications", PublicationViewSet, basename="publication")

urlpatterns = [
    path("calendar/", CalendarView.as_view(), name="calendar"),
    *router.urls,
    re_path(r"", not_found),  # last: whatever the routes above did not match
]
