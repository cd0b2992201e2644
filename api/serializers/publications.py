from __future__ import annotations

from rest_framework import serializers

from api.fields import UtcDateTimeField
from planner.models import Publication, PublicationState


class PublicationSerializer(serializers.ModelSerializer):
    """The delivery of one post to one channel, as the engine left it."""

    state = serializers.ChoiceField(choices=PublicationState.choices, read_only=True)
    due_at = UtcDateTimeField(read_only=True)
    next_attempt_at = UtcDateTimeField(read_only=True, allow_null=True)
    published_at = UtcDateTimeField(read_only=True, allow_null=True)
    updated_at = UtcDateTimeField(read_only=True)
    external_url = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = [
            "id",
            "post",
            "channel",
            "state",
            "due_at",
            "attempts",
            "next_attempt_at",
            "external_url",
            "last_error",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_external_url(self, publication) -> str | None:
        """Where the post is on the network (an http(s) address), once published; null
        before, and null when the network sent back anything else (``javascript:``...)."""
        return publication.web_url or None
