"""Objectives, campaigns, channels and key dates over HTTP, through the planner's services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from api import filters, selectors
from api.serializers.planning import (
    CampaignSerializer,
    ChannelSerializer,
    KeyDateCreateSerializer,
    KeyDateSerializer,
    ObjectiveSerializer,
)
from api.views.base import WorkspaceViewSet
from planner.calendar_feeds import key_dates
from planner.models import Campaign, Channel, Objective
from planner.planning import services


def _merged(instance, data: dict, names: list[str]) -> dict:
    """A PATCH's fields over the stored ones: the services take the whole object."""
    return {name: data[name] if name in data else getattr(instance, name) for name in names}


OBJECTIVE_FIELDS = [
    "title",
    "kpi",
    "target",
    "baseline",
    "period_start",
    "period_end",
    "description",
    "owner",
]


@extend_schema_view(
    list=extend_schema(summary="List objectives"),
    retrieve=extend_schema(summary="An objective"),
    create=extend_schema(summary="Set an objective (admin)"),
    partial_update=extend_schema(summary="Change an objective (admin)"),
)
class ObjectiveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    serializer_class = ObjectiveSerializer

    def get_queryset(self):
        return Objective.objects.filter(workspace=self.workspace).order_by("-period_start", "pk")

    def create(self, request):
        data = self.validated(ObjectiveSerializer)
        objective = services.objective_save(
            actor=request.user,
            workspace=self.workspace,
            **{name: data.get(name) for name in OBJECTIVE_FIELDS if name in data},
        )
        return Response(ObjectiveSerializer(objective).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        objective = self.get_object()
        data = self.validated(ObjectiveSerializer, partial=True)
        objective = services.objective_save(
            actor=request.user,
            workspace=self.workspace,
            objective=objective,
            **_merged(objective, data, OBJECTIVE_FIELDS),
        )
        return Response(ObjectiveSerializer(objective).data)


CAMPAIGN_FIELDS = [
    "name",
    "starts_on",
    "ends_on",
    "objective",
    "audience",
    "tone",
    "guidelines",
    "colour",
]


@extend_schema_view(
    list=extend_schema(summary="List campaigns"),
    retrieve=extend_schema(summary="A campaign"),
    create=extend_schema(summary="Create a campaign (admin, marketing)"),
    partial_update=extend_schema(summary="Change a campaign (admin, marketing)"),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    serializer_class = CampaignSerializer

    def get_queryset(self):
        return (
            Campaign.objects.filter(workspace=self.workspace)
            .prefetch_related("channels", "cadences")
            .order_by("-starts_on", "pk")
        )

    def create(self, request):
        data = self.validated(CampaignSerializer)
        campaign = services.campaign_save(
            actor=request.user,
            workspace=self.workspace,
            channels=data.get("channels", []),
            cadence=data.get("cadence", {}),
            **{name: data[name] for name in CAMPAIGN_FIELDS if name in data},
        )
        return Response(self._shown(campaign), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        data = self.validated(CampaignSerializer, partial=True)
        campaign = services.campaign_save(
            actor=request.user,
            workspace=self.workspace,
            campaign=campaign,
            channels=data["channels"] if "channels" in data else list(campaign.channels.all()),
            cadence=data.get("cadence"),
            **_merged(campaign, data, CAMPAIGN_FIELDS),
        )
        return Response(self._shown(campaign))

    def _shown(self, campaign) -> dict:
        return CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data


@extend_schema_view(
    list=extend_schema(summary="List channels (never their credentials)"),
    retrieve=extend_schema(summary="A channel"),
)
class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceViewSet):
    serializer_class = ChannelSerializer

    def get_queryset(self):
        return Channel.objects.filter(workspace=self.workspace).order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(summary="List key dates", parameters=[filters.KeyDateFilters]),
    retrieve=extend_schema(summary="A key date"),
    create=extend_schema(
        summary="Add an all-day key date (admin, marketing)",
        request=KeyDateCreateSerializer,
        responses={201: KeyDateSerializer},
    ),
    destroy=extend_schema(summary="Remove a key date added by hand (admin, marketing)"),
)
class KeyDateViewSet(mixins.RetrieveModelMixin, WorkspaceViewSet):
    serializer_class = KeyDateSerializer

    def get_queryset(self):
        return selectors.key_dates_of(self.workspace)

    def list(self, request):
        found = filters.parse(filters.KeyDateFilters, request, self.workspace)
        return self.paged(selectors.key_dates_of(self.workspace, found))

    def create(self, request):
        data = self.validated(KeyDateCreateSerializer)
        key_date = key_dates.key_date_add(actor=request.user, workspace=self.workspace, **data)
        return Response(KeyDateSerializer(key_date).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        key_dates.key_date_remove(actor=request.user, key_date=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
