"""Query parameters of the lists, validated: a bad value is a 400 that names it, never
ignored. Ids must be of the request's workspace (else "does not exist")."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.fields import UtcDateTimeField, WorkspaceRelatedField
from api.serializers.planning import MemberField
from planner.models import Campaign, Channel, Label, Post, PublicationState
from planner.workflow import State

MAX_WINDOW = dt.timedelta(days=120)  # as the calendar page


class _Filters(serializers.Serializer):
    def validate(self, attrs):
        after, before = attrs.get("scheduled_after"), attrs.get("scheduled_before")
        if after and before and before <= after:
            raise serializers.ValidationError(
                {"scheduled_before": [_("Choose a time after scheduled_after.")]}
            )
        return attrs


class PostFilters(_Filters):
    state = serializers.ChoiceField(choices=State.choices, required=False)
    campaign = WorkspaceRelatedField(model=Campaign, required=False)
    channel = WorkspaceRelatedField(model=Channel, required=False)
    assignee = MemberField(required=False)
    label = WorkspaceRelatedField(model=Label, required=False)
    scheduled_after = UtcDateTimeField(required=False, help_text="At or after this time.")
    scheduled_before = UtcDateTimeField(required=False, help_text="Before this time.")


class PublicationFilters(serializers.Serializer):
    post = WorkspaceRelatedField(model=Post, required=False)
    channel = WorkspaceRelatedField(model=Channel, required=False)
    state = serializers.ChoiceField(choices=PublicationState.choices, required=False)


class KeyDateFilters(serializers.Serializer):
    after = serializers.DateField(required=False, help_text="Dates ending on or after this day.")
    before = serializers.DateField(required=False, help_text="Dates starting before this day.")


class CalendarQuery(serializers.Serializer):
    start = UtcDateTimeField()
    end = UtcDateTimeField(help_text="At most 120 days after start.")
    campaign = WorkspaceRelatedField(model=Campaign, required=False)
    channel = WorkspaceRelatedField(model=Channel, required=False)
    state = serializers.ChoiceField(choices=State.choices, required=False)
    assignee = MemberField(required=False)
    label = WorkspaceRelatedField(model=Label, required=False)

    def validate(self, attrs):
        if not attrs["start"] < attrs["end"] <= attrs["start"] + MAX_WINDOW:
            raise serializers.ValidationError(
                {"end": [_("Give an end after the start, at most 120 days later.")]}
            )
        return attrs


def parse(serializer_class, request, workspace) -> dict:
    """The validated query parameters, or a 400 naming each bad one (an empty one too:
    ``?state=`` is a mistake, not "any state")."""
    known = serializer_class().fields
    blank = {
        name: [_("Give a value, or leave the parameter out.")]
        for name, value in request.query_params.items()
        if name in known and not value.strip()
    }
    if blank:
        raise serializers.ValidationError(blank)
    serializer = serializer_class(data=request.query_params, context={"workspace": workspace})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
