"""Posts with their variants, the actions on them, and where they stand in review."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.fields import StrictCharField, UtcDateTimeField, WorkspaceRelatedField
from api.serializers.planning import MemberField
from planner.models import Campaign, Decision, Media, Post
from planner.posts.checks import MAX_COMMENT, MAX_TEXT
from planner.workflow import State

LABEL_MAX = 60


class MediaSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(read_only=True)

    class Meta:
        model = Media
        fields = ["id", "filename", "mime_type", "size", "width", "height", "alt_text", "position"]
        read_only_fields = fields


class VariantsField(serializers.DictField):
    """``{channel id: text}``; an empty text means the post's main text."""

    child = StrictCharField(allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False)

    def to_internal_value(self, data):
        texts = super().to_internal_value(data)
        cleaned = {}
        for key, text in texts.items():
            if not key.isdigit() or not 0 < int(key) < 2**63:
                raise serializers.ValidationError(_("Use channel ids as keys."))
            cleaned[int(key)] = text
        return cleaned


class PostSerializer(serializers.ModelSerializer):
    """What the API shows of a post."""

    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    scheduled_at = UtcDateTimeField(read_only=True, allow_null=True)
    variants = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField()
    media = MediaSerializer(many=True, read_only=True)
    created_at = UtcDateTimeField(read_only=True)
    updated_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "title",
            "body",
            "variants",
            "state",
            "version",
            "approved_version",
            "scheduled_at",
            "campaign",
            "author",
            "assignee",
            "labels",
            "media",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_variants(self, post) -> dict[str, str]:
        """The post's channels (by id) and each one's own text ('' = the main text)."""
        return {str(v.channel_id): v.text for v in post.variants.all()}

    def get_labels(self, post) -> list[str]:
        return [label.name for label in post.labels.all()]


class _PostInput(serializers.Serializer):
    title = StrictCharField(max_length=200, allow_blank=True, required=False)
    body = StrictCharField(
        allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False, required=False
    )
    variants = VariantsField(required=False)
    campaign = WorkspaceRelatedField(model=Campaign, allow_null=True, required=False)
    assignee = MemberField(allow_null=True, required=False)
    labels = serializers.ListField(
        child=StrictCharField(max_length=LABEL_MAX), required=False, max_length=50
    )
    scheduled_at = UtcDateTimeField(allow_null=True, required=False)


class PostCreateSerializer(_PostInput):
    body = StrictCharField(allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False)


class PostUpdateSerializer(_PostInput):
    """Only the fields sent change. ``version`` is the version the change starts from:
    if the post changed since, the answer is a 409 and nothing is saved."""

    version = serializers.IntegerField(min_value=1, max_value=2_147_483_647)


class RescheduleSerializer(serializers.Serializer):
    scheduled_at = UtcDateTimeField()


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_COMMENT)


class DecisionSerializer(serializers.Serializer):
    """The version reviewed and the step decided, as the post's page sends them: if the
    post changed, or the step was decided by someone else, the answer is a 409."""

    version = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    step = serializers.IntegerField(min_value=1, max_value=32767)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_COMMENT)


class RequestChangesSerializer(DecisionSerializer):
    comment = StrictCharField(max_length=MAX_COMMENT, help_text="What should change.")


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    role = serializers.CharField()
    mode = serializers.CharField()
    approved_by = PersonSerializer(many=True)
    is_current = serializers.BooleanField()


class DecisionRecordSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    version = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    decided_by = PersonSerializer(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    decided_at = UtcDateTimeField()
    withdrawn = serializers.BooleanField()


class ApprovalsSerializer(serializers.Serializer):
    """Where the current version stands in its approval chain."""

    state = serializers.ChoiceField(choices=State.choices)
    version = serializers.IntegerField()
    current_step = serializers.IntegerField(
        allow_null=True, help_text="The step the post waits on (send it to decide); null if none."
    )
    waiting_for = PersonSerializer(many=True)
    steps = StepSerializer(many=True)
    decisions = DecisionRecordSerializer(many=True)
