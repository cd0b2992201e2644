"""What every API view shares: the request's workspace, and serializers that know it."""

from __future__ import annotations

from functools import cached_property

from rest_framework import viewsets

from api.access import workspace_of


class WorkspaceViewSet(viewsets.GenericViewSet):
    """Objects are looked up in the request's workspace only: another workspace's id is a
    404, as on the pages. Writes go through the planner's services."""

    lookup_value_converter = "int"

    @cached_property
    def workspace(self):
        return workspace_of(self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["workspace"] = self.workspace
        return context

    def validated(self, serializer_class, data=None, **kwargs) -> dict:
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paged(self, queryset, serializer_class=None):
        page = self.paginate_queryset(queryset)
        serializer = (serializer_class or self.get_serializer_class())(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(serializer.data)
