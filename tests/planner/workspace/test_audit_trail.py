"""The audit trail page: admins read every event of their workspace, filter, and export it;
nobody can change or delete an event."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from planner.models import AuditEvent
from planner.models.audit import AppendOnly
from planner.posts import writing
from tests.factories import CampaignFactory, ChannelFactory

pytestmark = pytest.mark.django_db

URL = "/audit/"


@pytest.fixture
def trail(cast):
    """A few things done in the workspace, by people and at known times."""
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon main")
    campaign = CampaignFactory(workspace=cast.workspace, name="Spring launch")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        post = writing.post_create(
            actor=cast.content,
            workspace=cast.workspace,
            title="Launch day",
            body="We launch on Monday.",
            variants={channel.pk: "We launch on Monday! #spring"},
            campaign=campaign,
        )
    with time_machine.travel(dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        post = writing.post_edit(
            actor=cast.marketing,
            post=post,
            expected_version=post.version,
            title="Launch day",
            body="We launch on Tuesday.",
            variants={channel.pk: "We launch on Tuesday! #spring"},
        )
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC), tick=False):
        account_services.workspace_update_settings(
            actor=cast.admin, workspace=cast.workspace, late_cutoff_minutes=30
        )
    return {"post": post, "campaign": campaign, "channel": channel}


def rows(response):
    return [event.action for event, _sentence, _changes in response.context["rows"]]


def test_an_admin_reads_every_event_of_the_workspace_newest_first(client, cast, trail):
    client.force_login(cast.admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert rows(response) == ["workspace.settings", "post.edit", "post.create"]


@pytest.mark.parametrize("role", ["marketing", "content", "contributor", "viewer"])
def test_other_roles_may_not_read_the_audit_trail(client, cast, trail, role):
    client.force_login(getattr(cast, role))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?format=csv").status_code == 403


def test_only_admins_see_the_link_in_the_navigation(client, cast):
    client.force_login(cast.admin)
    assert b'data-testid="audit-link"' in client.get("/").content
    client.force_login(cast.marketing)
    assert b'data-testid="audit-link"' not in client.get("/").content


def test_another_workspaces_events_never_show(client, cast, other, trail):
    writing.post_create(actor=other.content, workspace=other.workspace, body="Globex secret")
    client.force_login(other.admin)
    response = client.get(URL)
    assert rows(response) == ["post.create"]
    assert b"We launch" not in response.content
    client.force_login(cast.admin)
    assert b"Globex secret" not in client.get(URL).content


def test_the_address_of_the_request_is_kept_and_shown(client, cast):
    client.force_login(cast.admin)
    client.post(
        "/settings/",
        {
            "name": "Acme",
            "time_zone": "Europe/Paris",
            "late_cutoff_minutes": 20,
            "approval_reminder_hours": 24,
            "at_risk_hours": 48,
            "require_two_factor": "on",
        },
        REMOTE_ADDR="203.0.113.7",
    )
    event = AuditEvent.objects.get(workspace=cast.workspace, action="workspace.settings")
    assert event.ip_address == "203.0.113.7"
    assert b"203.0.113.7" in client.get(URL).content


def test_a_content_change_shows_what_it_was_and_what_it_became(client, cast, trail):
    client.force_login(cast.admin)
    response = client.get(URL + "?action=post.edit")
    [(_event, sentence, changes)] = response.context["rows"]
    assert "Marketing edited the content (version 2)" in sentence
    shown = {change.field: (change.before, change.after) for change in changes}
    assert shown["Text"] == ("We launch on Monday.", "We launch on Tuesday.")
    assert shown["text for Mastodon main"] == (
        "We launch on Monday! #spring",
        "We launch on Tuesday! #spring",
    )
    assert "Title" not in shown  # unchanged fields are not listed


def test_a_settings_change_shows_each_setting_before_and_after(client, cast, trail):
    client.force_login(cast.admin)
    [(_event, _s, changes)] = client.get(URL + "?action=workspace.settings").context["rows"]
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("Late cut-off (minutes)", "15", "30")
    ]


def test_filters_by_person(client, cast, trail):
    client.force_login(cast.admin)
    assert rows(client.get(URL, {"person": cast.marketing.pk})) == ["post.edit"]


def test_filters_what_maillon_did_by_itself(client, cast, trail):
    AuditEvent.objects.create(workspace=cast.workspace, actor=None, action="post.miss_slot")
    client.force_login(cast.admin)
    assert rows(client.get(URL, {"person": "system"})) == ["post.miss_slot"]


def test_filters_by_post(client, cast, trail):
    writing.post_create(actor=cast.content, workspace=cast.workspace, body="Another")
    client.force_login(cast.admin)
    assert rows(client.get(URL, {"post": trail["post"].pk})) == ["post.edit", "post.create"]


def test_filters_by_campaign_include_the_events_of_its_posts(client, cast, trail):
    client.force_login(cast.admin)
    found = rows(client.get(URL, {"campaign": trail["campaign"].pk}))
    assert found == ["post.edit", "post.create"]


def test_filters_by_an_action_or_a_whole_group_of_actions(client, cast, trail):
    client.force_login(cast.admin)
    assert rows(client.get(URL, {"action": "post.create"})) == ["post.create"]
    assert rows(client.get(URL, {"action": "post"})) == ["post.edit", "post.create"]


def test_filters_by_days_in_the_readers_time_zone(client, cast, trail):
    client.force_login(cast.admin)
    found = rows(client.get(URL, {"since": "2026-03-03", "until": "2026-03-05"}))
    assert found == ["post.edit"]


def test_a_bad_filter_is_named_and_shows_nothing_misleading(client, cast, trail):
    client.force_login(cast.admin)
    response = client.get(URL, {"since": "2026-03-09", "until": "2026-03-01", "post": "x"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "until" in form.errors and "post" in form.errors
    assert response.context["rows"] == []
    assert b'data-testid="audit-invalid"' in response.content
    # What was typed is kept in the form.
    assert b'value="2026-03-09"' in response.content


def test_an_unknown_person_or_campaign_is_refused_not_ignored(client, cast, other, trail):
    client.force_login(cast.admin)
    response = client.get(URL, {"person": other.admin.pk, "campaign": 999999})
    assert set(response.context["form"].errors) == {"person", "campaign"}


def test_the_trail_is_paged(client, cast):
    for n in range(55):
        AuditEvent.objects.create(
            workspace=cast.workspace, actor=cast.admin, action="feed.create", target=f"feed {n}"
        )
    client.force_login(cast.admin)
    first = client.get(URL)
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 55
    assert len(client.get(URL, {"page": 2}).context["rows"]) == 5


def test_the_page_costs_the_same_queries_whatever_the_trail(client, cast, trail):
    client.force_login(cast.admin)
    client.get(URL)  # warm the session

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    few = cost()
    for n in range(40):
        writing.post_create(
            actor=cast.content,
            workspace=cast.workspace,
            body=f"Post {n}",
            campaign=trail["campaign"],
        )
    assert cost() == few


def test_the_csv_holds_every_matching_event_whole(client, cast, trail):
    client.force_login(cast.admin)
    response = client.get(URL, {"action": "post", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [row["action"] for row in table] == ["post.edit", "post.create"]
    edit = table[0]
    assert edit["actor_email"] == cast.marketing.email
    assert edit["time_utc"] == "2026-03-05T09:00:00+00:00"
    assert edit["post_id"] == str(trail["post"].pk)
    assert '"body": "We launch on Tuesday."' in edit["data"]


def test_the_csv_neutralises_text_a_spreadsheet_would_run(client, cast):
    AuditEvent.objects.create(
        workspace=cast.workspace,
        actor=cast.admin,
        action="feed.create",
        target='=HYPERLINK("http://evil.test")',
    )
    client.force_login(cast.admin)
    text = b"".join(client.get(URL, {"format": "csv"}).streaming_content).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["target"].startswith("'=")


def test_an_empty_trail_says_so(client, other):
    client.force_login(other.admin)
    response = client.get(URL)
    assert b'data-testid="audit-empty"' in response.content


# --- append-only ---------------------------------------------------------------------


@pytest.fixture
def event(cast):
    return AuditEvent.objects.create(workspace=cast.workspace, actor=cast.admin, action="x.y")


def test_an_event_cannot_be_changed(event):
    event.action = "forged"
    with pytest.raises(AppendOnly):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnly):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_changed_or_deleted_in_bulk(event):
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.action = "forged"
    with pytest.raises(AppendOnly), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


PENDING_ID = "00000000-0000-4000-8000-000000000000"


def test_no_page_changes_or_deletes_an_event(client, cast, event):
    """Every URL of the site, as an admin, by GET and POST: the trail stays as it was."""
    from django.urls import reverse

    from tests.test_isolation import app_url_patterns

    before = list(AuditEvent.objects.values_list("pk", "action", "data").order_by("pk"))
    client.force_login(cast.admin)
    for name, params in app_url_patterns():
        # A sign-in under way is named by a UUID; every other parameter takes a number.
        kwargs = {p: PENDING_ID if p == "pending" else event.pk for p in params}
        url = reverse(name, kwargs=kwargs)
        client.get(url)
        client.post(url)
    after = list(AuditEvent.objects.values_list("pk", "action", "data").order_by("pk"))
    # Pages may add events; none that existed changed or went away.
    assert after[: len(before)] == before
