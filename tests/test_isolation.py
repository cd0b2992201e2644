"""Nothing of one workspace is reachable from another: models, services and views."""

from datetime import date

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import services as account_services
from accounts.models import Role
from planner.approvals import chains
from planner.calendar_feeds import key_dates, links
from planner.errors import NotFound
from planner.models import KeyDate, KeyDateImport, KeyDateSource, Post
from planner.planning import services
from planner.posts import actions as post_actions
from planner.posts import media, scheduling, writing
from tests.factories import CampaignFactory, ChannelFactory, ObjectiveFactory, PostFactory

pytestmark = pytest.mark.django_db

# How each model reaches its workspace. A new model must be added here, and
# the test below fails until it is: every model is scoped to one workspace.
WORKSPACE_PATH = {
    "accounts.User": None,  # a person may belong to several workspaces
    "accounts.Workspace": "",
    "accounts.Membership": "workspace",
    "accounts.Invitation": "workspace",
    "planner.Objective": "workspace",
    "planner.Campaign": "workspace",
    "planner.Cadence": "campaign__workspace",
    "planner.Channel": "workspace",
    "planner.Label": "workspace",
    "planner.Post": "workspace",
    "planner.Variant": "post__workspace",
    "planner.Media": "post__workspace",
    "planner.PostVersion": "post__workspace",
    "planner.Comment": "post__workspace",
    "planner.ApprovalChain": "workspace",
    "planner.ApprovalStep": "chain__workspace",
    "planner.ApprovalDecision": "post__workspace",
    "planner.Publication": "post__workspace",
    "planner.AuditEvent": "workspace",
    "planner.StepReminder": "post__workspace",
    "planner.RiskFlag": "post__workspace",
    "planner.ExpiryNotice": "channel__workspace",
    "planner.OAuthApp": None,  # Maillon's app on one Mastodon server, shared by all workspaces
    "planner.Notification": "workspace",
    "planner.NotificationPreference": None,  # a person's own choice, like the profile
    "planner.KeyDateSource": "workspace",
    "planner.KeyDate": "workspace",
    "planner.KeyDateImport": "workspace",
    "planner.FeedLink": "workspace",  # and its campaign or channel, of the same workspace
    "planner.MetricSnapshot": "publication__post__workspace",
    "planner.PublicationMetric": "publication__post__workspace",
    "planner.FollowerSnapshot": "channel__workspace",
    "planner.PendingConnection": "workspace",  # and its admin and their browser session
    "api.ApiToken": "workspace",  # and its person, who must be a member for it to work
}


def test_every_model_is_scoped_to_a_workspace():
    ours = {
        model._meta.label: model
        for app in ("accounts", "planner", "api")
        for model in apps.get_app_config(app).get_models()
    }
    assert set(ours) == set(WORKSPACE_PATH)
    for label, path in WORKSPACE_PATH.items():
        if not path:
            continue
        model = ours[label]
        for part in path.split("__"):
            field = model._meta.get_field(part)
            assert isinstance(field, models.ForeignKey | models.OneToOneField), label
            model = field.related_model
        assert model._meta.label == "accounts.Workspace", label


@pytest.fixture
def world(cast, other):
    channel = ChannelFactory(workspace=cast.workspace)
    source = KeyDateSource.objects.create(
        workspace=cast.workspace, name="Holidays", url="https://example.test/holidays.ics"
    )
    return {
        "post": PostFactory(workspace=cast.workspace, author=cast.content, channels=[channel]),
        "campaign": CampaignFactory(workspace=cast.workspace),
        "objective": ObjectiveFactory(workspace=cast.workspace),
        "channel": channel,
        "source": source,
        "key_date_import": KeyDateImport.objects.create(
            workspace=cast.workspace,
            created_by=cast.admin,
            name="Holidays",
            source=source,
            url=source.url,
            refresh=True,
            status="done",
            result={"created": False, "added": 1, "updated": 0, "removed": 0, "unchanged": 0},
        ),
        "key_date": KeyDate.objects.create(
            workspace=cast.workspace,
            title="Launch",
            starts_on=date(2027, 3, 1),
            ends_on=date(2027, 3, 1),
        ),
    }


POST_SERVICES = {
    "edit": lambda a, p: writing.post_edit(
        actor=a, post=p, expected_version=1, title="", body="x", variants={}
    ),
    "reschedule": lambda a, p: scheduling.post_reschedule(
        actor=a, post=p, scheduled_at=p.scheduled_at.replace(year=p.scheduled_at.year + 1)
    ),
    "submit": lambda a, p: post_actions.post_submit(actor=a, post=p),
    "withdraw": lambda a, p: post_actions.post_withdraw(actor=a, post=p),
    "cancel": lambda a, p: post_actions.post_cancel(actor=a, post=p),
    "reopen": lambda a, p: post_actions.post_reopen(actor=a, post=p),
    "decide": lambda a, p: post_actions.post_decide(
        actor=a, post=p, decision="approve", expected_version=1, step_position=1
    ),
    "details": lambda a, p: writing.post_update_details(
        actor=a, post=p, campaign=None, assignee=None, labels=[]
    ),
    "comment": lambda a, p: post_actions.comment_add(actor=a, post=p, body="hi"),
    "retract": lambda a, p: post_actions.post_retract(actor=a, post=p),
}


@pytest.mark.parametrize("name", POST_SERVICES)
def test_another_workspaces_admin_cannot_touch_a_post(world, other, name):
    post = world["post"]
    with pytest.raises(NotFound):
        POST_SERVICES[name](other.admin, post)
    post.refresh_from_db()
    assert (post.version, post.state, post.body) == (1, "draft", PostFactory.body)


WORKSPACE_SERVICES = {
    "post_create": lambda a, w, x: writing.post_create(actor=a, workspace=w, body="x"),
    "campaign_save": lambda a, w, x: services.campaign_save(
        actor=a,
        workspace=w,
        campaign=x["campaign"],
        name="Stolen",
        starts_on=x["campaign"].starts_on,
        ends_on=x["campaign"].ends_on,
    ),
    "objective_save": lambda a, w, x: services.objective_save(
        actor=a,
        workspace=w,
        objective=x["objective"],
        title="Stolen",
        kpi="reach",
        target=1,
        period_start=x["objective"].period_start,
        period_end=x["objective"].period_end,
    ),
    "channel_save": lambda a, w, x: services.channel_save(
        actor=a, workspace=w, channel=x["channel"], kind=x["channel"].kind, name="Stolen"
    ),
    "channel_set_active": lambda a, w, x: services.channel_set_active(
        actor=a, channel=x["channel"], active=False
    ),
    "approval_chain_set": lambda a, w, x: chains.approval_chain_set(
        actor=a, workspace=w, campaign=None, steps=[("admin", "any", [])]
    ),
    "label": lambda a, w, x: services.label_get_or_create(actor=a, workspace=w, name="x"),
    "feed_link_create": lambda a, w, x: links.feed_link_create(
        actor=a, workspace=w, scope="workspace"
    ),
    "settings": lambda a, w, x: account_services.workspace_update_settings(
        actor=a, workspace=w, four_eyes_relaxed=True
    ),
    "member_add": lambda a, w, x: account_services.member_add(
        actor=a, workspace=w, user=a, role="admin"
    ),
    "member_role": lambda a, w, x: account_services.member_change_role(
        actor=a, workspace=w, membership_id=w.memberships.first().pk, role="viewer"
    ),
    "member_remove": lambda a, w, x: account_services.member_remove(
        actor=a, workspace=w, membership_id=w.memberships.first().pk
    ),
    "key_dates_import_file": lambda a, w, x: key_dates.key_dates_import_file(
        actor=a, workspace=w, name="Stolen", data=b"BEGIN:VCALENDAR"
    ),
    "key_dates_import_url": lambda a, w, x: key_dates.key_dates_import_url(
        actor=a, workspace=w, name="Stolen", url="https://example.test/x.ics"
    ),
    "key_dates_refresh": lambda a, w, x: key_dates.key_dates_refresh(actor=a, source=x["source"]),
    "key_dates_import_queue": lambda a, w, x: key_dates.key_dates_import_queue(
        actor=a, workspace=w, name="Stolen", data=b"BEGIN:VCALENDAR"
    ),
    "key_dates_refresh_queue": lambda a, w, x: key_dates.key_dates_refresh_queue(
        actor=a, source=x["source"]
    ),
    "key_date_source_remove": lambda a, w, x: key_dates.key_date_source_remove(
        actor=a, source=x["source"]
    ),
    "key_date_add": lambda a, w, x: key_dates.key_date_add(
        actor=a, workspace=w, title="Stolen", starts_on=date(2027, 1, 1)
    ),
    "key_date_remove": lambda a, w, x: key_dates.key_date_remove(actor=a, key_date=x["key_date"]),
}


@pytest.mark.parametrize("name", WORKSPACE_SERVICES)
def test_another_workspaces_admin_cannot_write_into_this_one(world, cast, other, name):
    def state():
        return (
            Post.objects.count(),
            cast.workspace.memberships.count(),
            list(KeyDate.objects.values_list("pk", "title")),
            list(KeyDateSource.objects.values_list("pk", "name", "imported_at")),
            KeyDateImport.objects.count(),
        )

    before = state()
    with pytest.raises(NotFound):
        WORKSPACE_SERVICES[name](other.admin, cast.workspace, world)
    assert state() == before
    world["campaign"].refresh_from_db()
    assert world["campaign"].name != "Stolen"


def app_url_patterns():
    """Every named URL of our apps (admin and health excluded), with its parameters."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("accounts", "planner", "api"):
                    walk(pattern.url_patterns, f"{pattern.namespace}:")
            elif isinstance(pattern, URLPattern) and prefix and pattern.name:
                found.append((prefix + pattern.name, list(pattern.pattern.converters)))

    walk(get_resolver().url_patterns)
    return found


# Which object of the first workspace a URL's parameter points at, by the URL's name.
OBJECT_OF_URL = (
    ("accounts:member_", "membership"),
    ("accounts:invitation_", "invitation"),
    ("planner:objective_", "objective"),
    ("planner:campaign_", "campaign"),
    ("planner:approval_chain_campaign", "campaign"),
    ("planner:approval_step_remove_campaign", "campaign"),
    ("planner:approval_chain_reset", "campaign"),
    ("planner:channel_connect_choose", "pending"),
    ("planner:channel_", "channel"),
    ("planner:feed_", "feed"),
    ("planner:notification_", "notification"),
    ("planner:media_file", "media"),
    ("planner:media_remove", "media"),
    ("planner:media_move", "media"),
    ("planner:key_date_remove", "key_date"),
    ("planner:key_date_source_", "source"),
    ("planner:key_date_import", "key_date_import"),
    ("api:token_", "api_token"),
)
# Parameters that are not a reference to the first workspace's objects: the token of a
# feed or an invitation is its own credential (one the outsider does not have), a step
# position or a queue name is read in the outsider's own workspace.
NOT_AN_OBJECT = {"token", "uidb64", "position", "name", "action", "network"}


def fill(name, params, world, action="submit"):
    """Point every URL parameter at an object of the first workspace."""
    kind = next((kind for prefix, kind in OBJECT_OF_URL if name.startswith(prefix)), "post")
    values = {}
    for param in params:
        if param in ("token", "uidb64"):
            values[param] = "not-a-credential-of-theirs"
        elif param == "position":
            values[param] = 1
        elif param == "name":
            values[param] = "waiting"
        elif param == "action":
            values[param] = action
        elif param == "network":
            values[param] = "x"
        elif param in ("key_date_id", "source_id", "import_id"):
            values[param] = world[{"import_id": "key_date_import"}.get(param, param[:-3])].pk
        else:
            values[param] = world[kind].pk
    return values


def workspace_rows(workspace):
    """Every row of the workspace, field by field, and its people: what must not change."""
    rows = {}
    for label, path in WORKSPACE_PATH.items():
        model = apps.get_model(label)
        if path is None:
            continue
        lookup = {path: workspace} if path else {"pk": workspace.pk}
        rows[label] = list(model.objects.filter(**lookup).order_by("pk").values())
    rows["people"] = list(
        apps.get_model("accounts.User")
        .objects.filter(memberships__workspace=workspace)
        .order_by("pk")
        .values("pk", "email", "is_active", "password", "current_workspace_id")
    )
    return rows


@pytest.fixture
def full_world(world, cast):
    """The first workspace with one of every object a URL can name."""
    from planner.models import Notification
    from tests.planner.posts.test_media import png

    post = world["post"]
    added = media.media_add(
        actor=cast.content,
        post=post,
        file=png("secret.png"),
        expected_version=post.version,
        alt_text="Acme secret picture",
    )
    feed, _token = links.feed_link_create(
        actor=cast.admin, workspace=cast.workspace, scope="workspace"
    )
    invitation, _token = account_services.invitation_create(
        actor=cast.admin,
        workspace=cast.workspace,
        email="newcomer@acme.test",
        role="viewer",
    )
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=world["campaign"],
        steps=[("admin", "any", [])],
    )
    from api.services import api_token_create

    api_token, _token = api_token_create(actor=cast.admin, workspace=cast.workspace, name="CI")
    from datetime import timedelta

    from django.utils import timezone

    from planner.models import PendingConnection

    # A sign-in that came back with an account to choose, waiting for the admin.
    pending = PendingConnection.objects.create(
        user=cast.admin,
        workspace=cast.workspace,
        network="x",
        secret={
            "accounts": [
                {
                    "kind": "x",
                    "account_id": "1",
                    "name": "Acme secret picture",
                    "handle": "@acme.test",
                    "credentials": {"access_token": "t"},
                }
            ]
        },
        expires_at=timezone.now() + timedelta(minutes=10),
    )
    return {
        **world,
        "pending": pending,
        "api_token": api_token,
        "post": Post.objects.get(pk=post.pk),
        "media": added.media,
        "feed": feed,
        "invitation": invitation,
        "membership": cast.workspace.memberships.get(user=cast.marketing),
        "notification": Notification.objects.create(
            recipient=cast.admin, workspace=cast.workspace, kind="submitted", post=post
        ),
    }


class _Nowhere:
    pk = 987654321


class _NowhereUUID:
    pk = "00000000-0000-4000-8000-000000000000"


# Ids that exist in no workspace, for every kind of object.
NOWHERE = {
    **dict.fromkeys((*dict(OBJECT_OF_URL).values(), "post", "key_date"), _Nowhere),
    "pending": _NowhereUUID,
}

# What of the first workspace an outsider's page must never show.
SECRETS = (PostFactory.body, "Acme secret picture", "@acme.test", "newcomer@acme.test")


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_no_page_shows_or_changes_another_workspaces_objects(client, full_world, cast, other, role):
    """Every URL of the site, by GET and POST, as each role of the other workspace, pointed
    at this workspace's objects: not found, nothing shown, nothing changed."""
    from django.urls import reverse

    from planner.views.posts import ACTIONS

    before = workspace_rows(cast.workspace)
    outsider = other.as_role(role)

    def call(method, url):
        # Signed in again each time: sign-out, sign-out-everywhere and the like end the
        # session, and every later answer would be a redirect to the sign-in page.
        outsider.refresh_from_db()  # signing out everywhere moved its session counter on
        client.force_login(outsider)
        return getattr(client, method)(url)

    for name, params in app_url_patterns():
        actions = [a.value for a in ACTIONS] if "action" in params else ["submit"]
        for action in actions:
            url = reverse(name, kwargs=fill(name, params, full_world, action))
            names_an_object = bool(set(params) - NOT_AN_OBJECT)
            for method in ("get", "post"):
                response = call(method, url)
                if names_an_object:
                    # Not found; or refused to their role before any lookup, exactly as
                    # for an object that does not exist: nothing tells A's objects apart.
                    assert response.status_code in (403, 404, 405), (name, method, role)
                    nowhere = reverse(name, kwargs=fill(name, params, NOWHERE, action))
                    answer = call(method, nowhere).status_code
                    assert response.status_code == answer, (name, method, role)
                else:
                    # Their own workspace's pages: whatever they answer, never a crash.
                    assert response.status_code in (200, 302, 400, 403, 404, 405, 409), (
                        name,
                        method,
                    )
                body = (
                    b"".join(response.streaming_content)
                    if response.streaming
                    else (response.content)
                )
                for secret in SECRETS:
                    assert secret.encode() not in body, (name, method, role, secret)
    assert workspace_rows(cast.workspace) == before


def test_switching_to_a_workspace_one_is_not_in_is_not_found(client, cast, other):
    client.force_login(other.admin)
    response = client.post("/accounts/workspace/", {"workspace": cast.workspace.pk})
    assert response.status_code == 404
    other.admin.refresh_from_db()
    assert other.admin.current_workspace_id != cast.workspace.pk
