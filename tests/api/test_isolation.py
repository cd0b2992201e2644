"""Nothing of one workspace is reachable through the API from another.

Every operation of the schema (so a new endpoint is covered without editing this test)
is called by each role of workspace B, with a token of B, against the objects of
workspace A: each object of A answers 404, no filter or reference may name one of A's
objects, A's texts never appear in an answer, and no row of A changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role
from planner.models import (
    ApprovalDecision,
    AuditEvent,
    Campaign,
    Channel,
    Comment,
    KeyDate,
    Label,
    Objective,
    Post,
    Publication,
    Variant,
)
from planner.posts import actions
from tests.api.conftest import make_client
from tests.factories import CampaignFactory, ChannelFactory, ObjectiveFactory, PostFactory

pytestmark = pytest.mark.django_db

SECRET = "Top secret: Acme's launch on the 3rd"


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


@pytest.fixture
def world(cast):
    channel = ChannelFactory(workspace=cast.workspace, name=SECRET[:100])
    campaign = CampaignFactory(workspace=cast.workspace, name=f"Campaign {SECRET}")
    objective = ObjectiveFactory(workspace=cast.workspace, title=f"Objective {SECRET}")
    post = PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        campaign=campaign,
        channels=[channel],
        body=SECRET,
        title=SECRET,
    )
    post.labels.add(Label.objects.create(workspace=cast.workspace, name="secret-label"))
    actions.post_submit(actor=cast.content, post=post)
    publication = Publication.objects.create(post=post, channel=channel, due_at=post.scheduled_at)
    key_date = KeyDate.objects.create(
        workspace=cast.workspace,
        title=f"Key date {SECRET}",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    return {
        "posts": post,
        "campaigns": campaign,
        "channels": channel,
        "objectives": objective,
        "key-dates": key_date,
        "publications": publication,
        "member": cast.content,
    }


def snapshot(workspace) -> dict:
    """Every row of the workspace that the API could touch, as plain values."""
    rows = {
        "posts": Post.objects.filter(workspace=workspace),
        "variants": Variant.objects.filter(post__workspace=workspace),
        "campaigns": Campaign.objects.filter(workspace=workspace),
        "channels": Channel.objects.filter(workspace=workspace),
        "objectives": Objective.objects.filter(workspace=workspace),
        "key_dates": KeyDate.objects.filter(workspace=workspace),
        "publications": Publication.objects.filter(post__workspace=workspace),
        "decisions": ApprovalDecision.objects.filter(post__workspace=workspace),
        "comments": Comment.objects.filter(post__workspace=workspace),
        "labels": Label.objects.filter(workspace=workspace),
        "audit": AuditEvent.objects.filter(workspace=workspace),
    }
    return {name: list(qs.order_by("pk").values()) for name, qs in rows.items()}


def body_for(world) -> dict:
    """A request body that names A's objects wherever a body may name one."""
    later = (timezone.now() + dt.timedelta(days=9)).isoformat()
    return {
        "version": 1,
        "step": 1,
        "comment": "Stolen",
        "reason": "Stolen",
        "scheduled_at": later,
        "title": "Stolen",
        "name": "Stolen",
        "body": "Stolen",
        "starts_on": "2030-01-01",
        "ends_on": "2030-01-02",
        "period_start": "2030-01-01",
        "period_end": "2030-01-02",
        "kpi": "reach",
        "target": 1,
        "campaign": world["campaigns"].pk,
        "objective": world["objectives"].pk,
        "channels": [world["channels"].pk],
        "variants": {str(world["channels"].pk): ""},
        "assignee": world["member"].pk,
        "owner": world["member"].pk,
    }


def filters_for(world) -> dict:
    """Query parameters that point at A's objects (each filter a list may take)."""
    start = timezone.now() - dt.timedelta(days=1)
    return {
        "campaign": world["campaigns"].pk,
        "channel": world["channels"].pk,
        "post": world["posts"].pk,
        "assignee": world["member"].pk,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=30)).isoformat(),
    }


def _call(api, method: str, url: str, world):
    if method == "GET":
        return api.get(url)
    return getattr(api, method.lower())(url, data=body_for(world), format="json")


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_no_operation_reaches_another_workspaces_objects(world, cast, other, role):
    api = make_client(other.as_role(role), other.workspace)
    before = snapshot(cast.workspace)
    for method, path in operations():
        resource = path.split("/")[3]
        if "{id}" in path:
            url = path.replace("{id}", str(world[resource].pk))
            response = _call(api, method, url, world)
            assert response.status_code in (404, 405), (role, method, path, response.content)
        elif method == "GET":
            # Each filter alone, so that each is refused on its own account.
            for name, value in filters_for(world).items():
                if name in ("start", "end"):
                    continue
                params = {name: value}
                if resource == "calendar":
                    params.update(start=filters_for(world)["start"], end=filters_for(world)["end"])
                response = api.get(path, params)
                assert response.status_code != 200 or _names_nothing_of(response, world), (
                    role,
                    path,
                    name,
                )
        else:
            # A creation naming A's objects is refused; one that names none (a key date)
            # lands in B, which the snapshot of A below proves.
            response = _call(api, method, path, world)
            assert response.status_code in (201, 400, 403, 404, 405), (role, method, path)
            if response.status_code == 201:
                assert "campaign" not in response.json(), (role, method, path)
        assert SECRET.encode() not in response.content, (role, method, path)
    assert snapshot(cast.workspace) == before


def _names_nothing_of(response, world) -> bool:
    """A list that took a filter it does not have answers with B's own rows only."""
    text = response.content.decode()
    return SECRET not in text and not re.search(rf'"id":{world["posts"].pk}\b', text)


def test_the_walk_covers_every_operation():
    """The walk above reads the schema: it must find the API's operations."""
    found = operations()
    assert ("POST", "/api/v1/posts/{id}/approve/") in found
    assert ("DELETE", "/api/v1/key-dates/{id}/") in found
    assert len(found) >= 30
