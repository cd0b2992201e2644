"""Publications (read only) and the calendar window."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.response import Response
from rest_framework.views import APIView

from api import filters, selectors
from api.access import workspace_of
from api.serializers.calendar import CalendarSerializer
from api.serializers.publications import PublicationSerializer
from api.views.base import WorkspaceViewSet
from planner.planning import calendar


@extend_schema_view(
    list=extend_schema(summary="List publications", parameters=[filters.PublicationFilters]),
    retrieve=extend_schema(summary="A publication: one post on one channel"),
)
class PublicationViewSet(mixins.RetrieveModelMixin, WorkspaceViewSet):
    serializer_class = PublicationSerializer

    def get_queryset(self):
        return selectors.publications_of(self.workspace)

    def list(self, request):
        found = filters.parse(filters.PublicationFilters, request, self.workspace)
        return self.paged(selectors.publications_of(self.workspace, found))


class CalendarView(APIView):
    """The posts, campaign spans and key dates of a window: what the calendar page draws."""

    @extend_schema(
        summary="The calendar window",
        parameters=[filters.CalendarQuery],
        responses={200: CalendarSerializer},
    )
    def get(self, request):
        workspace = workspace_of(request)
        query = filters.parse(filters.CalendarQuery, request, workspace)
        start, end = query["start"], query["end"]
        pk = lambda name: query[name].pk if name in query else None  # noqa: E731
        window_filters = calendar.CalendarFilters(
            campaign=pk("campaign"),
            channel=pk("channel"),
            state=query.get("state"),
            assignee=pk("assignee"),
            label=pk("label"),
        )
        data = {
            "posts": calendar.calendar_posts(workspace, start, end, window_filters),
            "campaigns": calendar.calendar_campaigns(
                workspace, start.date(), end.date(), window_filters.campaign
            ),
            "key_dates": calendar.calendar_key_dates(workspace, start, end),
        }
        return Response(CalendarSerializer(data).data)
