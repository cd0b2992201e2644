"""Personal API tokens: shown once, kept as a hash, refused once revoked or expired, and
never more than their owner's current role."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Membership, Role
from api import services
from api.models import ApiToken
from planner.errors import Invalid, NotFound
from planner.models import AuditEvent
from tests.api.conftest import TokenClient

pytestmark = pytest.mark.django_db


def test_a_token_is_kept_as_its_hash_never_as_itself(cast):
    token, secret = services.api_token_create(actor=cast.viewer, workspace=cast.workspace, name="r")
    assert secret.startswith("mln_") and len(secret) == 4 + 43
    token.refresh_from_db()
    assert token.token_hash == ApiToken.hash_token(secret)
    assert secret not in str(list(ApiToken.objects.values()))
    assert secret.startswith(token.prefix)


def test_creating_and_revoking_a_token_is_audited_without_the_secret(cast):
    token, secret = services.api_token_create(
        actor=cast.content, workspace=cast.workspace, name="ci"
    )
    services.api_token_revoke(actor=cast.content, token_id=token.pk)
    events = AuditEvent.objects.filter(workspace=cast.workspace, action__startswith="api_token.")
    assert list(events.order_by("pk").values_list("action", flat=True)) == [
        "api_token.create",
        "api_token.revoke",
    ]
    assert all(secret not in str(e.data) for e in events)


def test_a_token_needs_a_name(cast):
    with pytest.raises(Invalid) as raised:
        services.api_token_create(actor=cast.viewer, workspace=cast.workspace, name="  ")
    assert "name" in raised.value.fields


def test_an_outsider_cannot_make_a_token_for_a_workspace(cast, other):
    with pytest.raises(NotFound):
        services.api_token_create(actor=other.admin, workspace=cast.workspace, name="x")


def test_nobody_revokes_someone_elses_token(cast):
    token, _ = services.api_token_create(actor=cast.content, workspace=cast.workspace, name="x")
    with pytest.raises(NotFound):
        services.api_token_revoke(actor=cast.admin, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_valid_token_reads_its_workspace(api_as, cast):
    response = api_as(cast.viewer).get("/api/v1/posts/")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def _refused(response):
    assert response.status_code == 401
    body = response.json()
    assert body["message"] and body["fields"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_token_is_a_401_with_a_message(client, cast):
    _refused(client.get("/api/v1/posts/"))


def test_a_wrong_token_is_a_401(cast):
    _refused(TokenClient("mln_" + "x" * 43).get("/api/v1/posts/"))


def test_a_revoked_token_is_a_401(api_as, cast):
    api = api_as(cast.content)
    services.api_token_revoke(actor=cast.content, token_id=api.token.pk)
    _refused(api.get("/api/v1/posts/"))


def test_an_expired_token_is_a_401(api_as, cast):
    api = api_as(cast.content, expires_at=timezone.now() + dt.timedelta(days=1))
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        _refused(api.get("/api/v1/posts/"))


def test_a_token_of_someone_who_left_the_workspace_is_a_401(api_as, cast):
    api = api_as(cast.content)
    Membership.objects.filter(user=cast.content, workspace=cast.workspace).delete()
    _refused(api.get("/api/v1/posts/"))


def test_a_token_of_a_deactivated_person_is_a_401(api_as, cast):
    api = api_as(cast.content)
    cast.content.is_active = False
    cast.content.save(update_fields=["is_active"])
    _refused(api.get("/api/v1/posts/"))


def test_a_role_change_narrows_a_token_at_once(api_as, cast):
    api = api_as(cast.content)
    assert api.post("/api/v1/posts/", {"body": "Hello"}, format="json").status_code == 201
    Membership.objects.filter(user=cast.content, workspace=cast.workspace).update(role=Role.VIEWER)
    response = api.post("/api/v1/posts/", {"body": "Hello again"}, format="json")
    assert response.status_code == 403
    assert response.json()["message"]


def test_a_read_only_token_cannot_write_whatever_the_role(api_as, cast):
    api = api_as(cast.admin, read_only=True)
    assert api.get("/api/v1/posts/").status_code == 200
    response = api.post("/api/v1/posts/", {"body": "Hello"}, format="json")
    assert response.status_code == 403


def test_a_token_acts_only_in_its_own_workspace(cast, other, api_as):
    """Someone in two workspaces: a token of the first never reaches the second's posts."""
    from tests.factories import MembershipFactory, PostFactory

    MembershipFactory(user=cast.admin, workspace=other.workspace, role=Role.ADMIN)
    theirs = PostFactory(workspace=other.workspace, author=other.content)
    api = api_as(cast.admin)
    assert api.get(f"/api/v1/posts/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/posts/").json()["count"] == 0


def test_last_used_is_written_at_most_once_a_minute(api_as, cast, django_assert_num_queries):
    api = api_as(cast.viewer)
    api.get("/api/v1/channels/")
    token = ApiToken.objects.get(pk=api.token.pk)
    first = token.last_used_at
    assert first is not None
    api.get("/api/v1/channels/")
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        api.get("/api/v1/channels/")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_messages_come_in_the_token_owners_language(api_as, cast):
    cast.viewer.language = "fr"
    cast.viewer.save(update_fields=["language"])
    response = api_as(cast.viewer).post("/api/v1/posts/", {"body": "Bonjour"}, format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "Votre rôle ne le permet pas."
