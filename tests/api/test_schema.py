"""The schema: valid OpenAPI 3, and the API answers as it says (Schemathesis).

Every operation is called with a bounded number of generated examples, as a member of
a workspace that has a campaign, channels, posts and key dates; each answer must be no
server error, have a documented status and content type, and match its schema."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api import services
from calendar_project.wsgi import application
from planner.models import KeyDate, Publication
from planner.posts import actions
from tests.factories import CampaignFactory, ChannelFactory, ObjectiveFactory, PostFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def test_the_schema_is_valid_openapi_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_the_schema_is_served_and_describes_bearer_tokens(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }


def test_the_docs_page_uses_the_local_swagger_ui_and_no_inline_script(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html.replace(" ", "")
    assert "cdn" not in html.lower()


@pytest.fixture
def world(cast):
    """A workspace with something of everything; returns the ids the paths point at."""
    channel = ChannelFactory(workspace=cast.workspace)
    campaign = CampaignFactory(workspace=cast.workspace)
    campaign.channels.set([channel])
    objective = ObjectiveFactory(workspace=cast.workspace)
    posts = [
        PostFactory(
            workspace=cast.workspace,
            author=cast.content,
            campaign=campaign,
            channels=[channel],
            scheduled_at=timezone.now() + dt.timedelta(days=days),
        )
        for days in (1, 3, 8)
    ]
    in_review = actions.post_submit(actor=cast.content, post=posts[1])
    publication = Publication.objects.create(
        post=posts[2], channel=channel, due_at=posts[2].scheduled_at
    )
    key_date = KeyDate.objects.create(
        workspace=cast.workspace,
        title="Launch",
        starts_on=timezone.localdate() + dt.timedelta(days=5),
        ends_on=timezone.localdate() + dt.timedelta(days=5),
    )
    return {
        "campaigns": campaign.pk,
        "channels": channel.pk,
        "objectives": objective.pk,
        "key-dates": key_date.pk,
        "posts": posts[0].pk,
        "review": in_review.pk,
        "publications": publication.pk,
    }


REVIEW_ACTIONS = ("approve", "reject", "request-changes", "withdraw", "approvals")


def real_id(path: str, world: dict) -> int:
    """The id of an object of the workspace for the operation's path: the generated
    examples then reach the code behind the lookup, not only its 404."""
    parts = path.strip("/").split("/")  # api, v1, resource, {id}, action?
    if parts[2] == "posts" and len(parts) > 4 and parts[4] in REVIEW_ACTIONS:
        return world["review"]
    return world[parts[2]]


@pytest.fixture
def keep_connection():
    """The requests go straight to the WSGI application, not through Django's test client:
    as that client does, keep the test's connection (and its transaction) open between them."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def secret(cast, keep_connection):
    _token, secret = services.api_token_create(
        actor=cast.marketing, workspace=cast.workspace, name="schemathesis"
    )
    return secret


# Loaded from the application itself, at collection (schemathesis's lazy loader,
# ``from_fixture``, does not run under pytest 9).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# Valid requests and invalid ones (which must be refused with a 4xx, never a 5xx).
# The token is ours: no generated Authorization header to override.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False
)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_the_schema_says(case, secret, world):
    # A valid id (an int) points at a real object; an invalid one is left to be refused.
    if isinstance((case.path_parameters or {}).get("id"), int):
        case.path_parameters["id"] = real_id(case.operation.path, world)
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
