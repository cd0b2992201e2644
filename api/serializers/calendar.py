"""The calendar window: the same rows as the calendar page draws."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import UtcDateTimeField
from planner.workflow import State


class CalendarPostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="The title, else the text's beginning.")
    scheduled_at = UtcDateTimeField()
    state = serializers.ChoiceField(choices=State.choices)
    campaign_name = serializers.CharField(allow_blank=True)
    campaign_colour = serializers.CharField(allow_blank=True)
    assignee = serializers.CharField(allow_blank=True)
    channels = serializers.ListField(child=serializers.CharField(), help_text="Network kinds.")
    labels = serializers.ListField(child=serializers.CharField())
    at_risk = serializers.BooleanField(help_text="Due soon and not approved.")


class CalendarCampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    colour = serializers.CharField()


class CalendarKeyDateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    all_day = serializers.BooleanField()
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True, help_text="Inclusive.")
    starts_at = UtcDateTimeField(allow_null=True)
    ends_at = UtcDateTimeField(allow_null=True)


class CalendarSerializer(serializers.Serializer):
    posts = CalendarPostSerializer(many=True)
    campaigns = CalendarCampaignSerializer(many=True)
    key_dates = CalendarKeyDateSerializer(many=True)
