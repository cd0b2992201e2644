"""Objectives, campaigns, channels and key dates: what frames the posts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from rest_framework import serializers

from api.fields import StrictCharField, UtcDateTimeField, WorkspaceRelatedField
from planner.models import Campaign, Channel, KeyDate, Objective
from planner.models.campaigns import Kpi, colour_validator


class StrictModelSerializer(serializers.ModelSerializer):
    """Text fields of the model take text only (see ``StrictCharField``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class MemberField(WorkspaceRelatedField):
    """A person of the request's workspace, by id."""

    def __init__(self, **kwargs) -> None:
        from accounts.models import User

        super().__init__(model=User, workspace_path="memberships__workspace", **kwargs)


class ObjectiveSerializer(StrictModelSerializer):
    kpi = serializers.ChoiceField(choices=Kpi.choices)
    owner = MemberField(required=False, allow_null=True)
    created_at = UtcDateTimeField(read_only=True)
    updated_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = Objective
        fields = [
            "id",
            "title",
            "description",
            "kpi",
            "target",
            "baseline",
            "period_start",
            "period_end",
            "owner",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "target": {"min_value": 0, "max_value": 2_147_483_647},
            "baseline": {"min_value": 0, "max_value": 2_147_483_647},
        }


class CampaignSerializer(StrictModelSerializer):
    objective = WorkspaceRelatedField(model=Objective, required=False, allow_null=True)
    channels = WorkspaceRelatedField(model=Channel, many=True, required=False)
    cadence = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=100),
        required=False,
        help_text="Posts per week by channel id (only for the campaign's channels).",
    )
    colour = StrictCharField(
        required=False, max_length=7, validators=[colour_validator], default="#1f6feb"
    )
    created_at = UtcDateTimeField(read_only=True)
    updated_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "starts_on",
            "ends_on",
            "objective",
            "channels",
            "cadence",
            "audience",
            "tone",
            "guidelines",
            "colour",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["cadence"] = {str(c.channel_id): c.posts_per_week for c in instance.cadences.all()}
        return data

    def to_internal_value(self, data):
        # DRF takes any iterable for a list of ids, an object's keys included.
        if isinstance(data, dict) and "channels" in data and not isinstance(data["channels"], list):
            raise serializers.ValidationError({"channels": [_("Give a list of channel ids.")]})
        return super().to_internal_value(data)

    def validate_cadence(self, value):
        try:
            return {int(key): n for key, n in value.items()}
        except ValueError:
            raise serializers.ValidationError(_("Use channel ids as keys.")) from None


class ChannelSerializer(serializers.ModelSerializer):
    """A channel as the API shows it: never its credentials."""

    class Meta:
        model = Channel
        fields = ["id", "kind", "name", "handle", "is_active"]
        read_only_fields = fields


class KeyDateSerializer(serializers.ModelSerializer):
    """A key date as stored: all-day ones by their days (``ends_on`` inclusive), timed ones
    (imported) by their times."""

    starts_at = UtcDateTimeField(read_only=True, allow_null=True)
    ends_at = UtcDateTimeField(read_only=True, allow_null=True)
    source = serializers.SerializerMethodField()

    class Meta:
        model = KeyDate
        fields = [
            "id",
            "title",
            "description",
            "all_day",
            "starts_on",
            "ends_on",
            "starts_at",
            "ends_at",
            "source",
        ]
        read_only_fields = fields

    def get_source(self, key_date) -> str | None:
        """The name of the calendar it was imported from; null for a date added by hand."""
        return key_date.source.name if key_date.source_id else None


class KeyDateCreateSerializer(serializers.Serializer):
    """One all-day key date added by hand."""

    title = StrictCharField(max_length=300)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    description = StrictCharField(required=False, allow_blank=True, default="")
