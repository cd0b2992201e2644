"""Posts: read, draft, edit (with the version last seen), move, and take them through
review. Every write is the service the post's page calls, with the same arguments."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters, selectors
from api.schema import ErrorSerializer
from api.serializers.posts import (
    ApprovalsSerializer,
    DecisionSerializer,
    PostCreateSerializer,
    PostSerializer,
    PostUpdateSerializer,
    ReasonSerializer,
    RequestChangesSerializer,
    RescheduleSerializer,
)
from api.views.base import WorkspaceViewSet
from planner.models import Decision
from planner.planning import services
from planner.posts import actions, scheduling, writing

CONFLICT = OpenApiResponse(
    response=ErrorSerializer,
    description="The post changed since `version` (the message gives the current one), "
    "the step was already decided, or the post is no longer in a state that allows this.",
)


def _action_schema(summary: str, request=None):
    return extend_schema(
        summary=summary, request=request, responses={200: PostSerializer, 409: CONFLICT}
    )


@extend_schema_view(
    list=extend_schema(summary="List posts", parameters=[filters.PostFilters]),
    retrieve=extend_schema(summary="A post with its variants"),
    create=extend_schema(
        summary="Draft a post",
        request=PostCreateSerializer,
        responses={201: PostSerializer},
        description="`variants` maps channel ids to their own text ('' uses `body`). "
        "Setting `scheduled_at` needs a role that schedules.",
    ),
    partial_update=extend_schema(
        summary="Change a post (content, details, time)",
        request=PostUpdateSerializer,
        responses={200: PostSerializer, 409: CONFLICT},
        description="Send `version`, the version you last saw, and the fields to change. "
        "A content change makes a new version and withdraws any approval.",
    ),
)
class PostViewSet(mixins.RetrieveModelMixin, WorkspaceViewSet):
    serializer_class = PostSerializer

    def get_queryset(self):
        return selectors.posts_of(self.workspace)

    def _shown(self, post, code=status.HTTP_200_OK) -> Response:
        return Response(PostSerializer(self.get_queryset().get(pk=post.pk)).data, status=code)

    def _labels(self, names):
        # The editor picks existing labels; the API names them, a new name makes one.
        return [
            services.label_get_or_create(actor=self.request.user, workspace=self.workspace, name=n)
            for n in dict.fromkeys(names)
        ]

    def list(self, request):
        found = filters.parse(filters.PostFilters, request, self.workspace)
        return self.paged(selectors.posts_of(self.workspace, found))

    def create(self, request):
        data = self.validated(PostCreateSerializer)
        with transaction.atomic():
            post = writing.post_create(
                actor=request.user,
                workspace=self.workspace,
                body=data["body"],
                title=data.get("title", ""),
                variants=data.get("variants", {}),
                campaign=data.get("campaign"),
                scheduled_at=data.get("scheduled_at"),
                assignee=data.get("assignee"),
                labels=self._labels(data.get("labels", [])),
            )
        return self._shown(post, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        post = self.get_object()
        data = self.validated(PostUpdateSerializer)
        with transaction.atomic():
            labels = self._labels(data["labels"]) if "labels" in data else list(post.labels.all())
            post = writing.post_save(
                actor=request.user,
                post=post,
                expected_version=data["version"],
                title=data.get("title", post.title),
                body=data.get("body", post.body),
                variants=data.get("variants", {v.channel_id: v.text for v in post.variants.all()}),
                scheduled_at=data.get("scheduled_at", post.scheduled_at),
                campaign=data.get("campaign", post.campaign),
                assignee=data.get("assignee", post.assignee),
                labels=labels,
            )
        return self._shown(post)

    @_action_schema("Move a post in time", RescheduleSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        post = self.get_object()
        data = self.validated(RescheduleSerializer)
        post = scheduling.post_reschedule(
            actor=request.user, post=post, scheduled_at=data["scheduled_at"]
        )
        return self._shown(post)

    def _transition(self, service, **kwargs) -> Response:
        post = self.get_object()
        return self._shown(service(actor=self.request.user, post=post, **kwargs))

    @_action_schema("Submit for approval")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(actions.post_submit)

    @_action_schema("Withdraw from review")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(actions.post_withdraw)

    @_action_schema("Cancel: the post will not be published", ReasonSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        post = self.get_object()
        data = self.validated(ReasonSerializer)
        return self._shown(
            actions.post_cancel(actor=request.user, post=post, reason=data["reason"])
        )

    @_action_schema("Reopen a cancelled post or one whose changes were requested")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(actions.post_reopen)

    def _decide(self, decision: str, serializer_class) -> Response:
        post = self.get_object()
        data = self.validated(serializer_class)
        post = actions.post_decide(
            actor=self.request.user,
            post=post,
            decision=decision,
            expected_version=data["version"],
            step_position=data["step"],
            comment=data["comment"],
        )
        return self._shown(post)

    @_action_schema("Approve the step the post waits on", DecisionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(Decision.APPROVE, DecisionSerializer)

    @_action_schema("Request changes (a comment is required)", RequestChangesSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        return self._decide(Decision.REQUEST_CHANGES, RequestChangesSerializer)

    @_action_schema("Reject: the post is cancelled", DecisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(Decision.REJECT, DecisionSerializer)

    @extend_schema(summary="Where the post stands in its approval chain")
    @action(detail=True, methods=["get"], serializer_class=ApprovalsSerializer)
    def approvals(self, request, pk=None):
        post = self.get_object()
        return Response(ApprovalsSerializer(selectors.approval_status(post)).data)
