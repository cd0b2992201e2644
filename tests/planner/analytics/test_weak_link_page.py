"""The weak-link page: admins and marketing read it, with a CSV a spreadsheet cannot run,
and nothing of another workspace."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from planner.models import AuditEvent
from planner.workflow import State
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

URL = "/reports/weak-link/"
QUERIES = 14  # 13 today: session, membership, navigation bar, the report's own few


def history(workspace, author, approver, title="Spring collection", posts=3):
    """Posts drafted for 2 h (then 1 h after changes), each decision taking 20 h of
    marketing's time, two days ago."""
    start = timezone.now() - dt.timedelta(days=2)
    made = []
    for n in range(posts):
        post = PostFactory(workspace=workspace, author=author, title=f"{title} {n}")
        for hours, actor, action, data in (
            (0, author, "post.create", {}),
            (2, author, "post.submit", {}),
            (22, approver, "post.request_changes", {"step": 1, "step_role": Role.MARKETING}),
            (23, author, "post.submit", {}),
            (
                43,
                approver,
                "post.approve",
                {"step": 1, "step_role": Role.MARKETING, "state": [State.IN_REVIEW, "approved"]},
            ),
        ):
            with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
                AuditEvent.objects.create(
                    workspace=workspace, post=post, actor=actor, action=action, data=data
                )
        made.append(post)
    return made


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MARKETING])
def test_admins_and_marketing_read_the_report(client, cast, role):
    client.force_login(cast.as_role(role))
    response = client.get(URL)
    assert response.status_code == 200
    assert "Weak links" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CONTENT_MANAGER, Role.CONTRIBUTOR, Role.VIEWER])
def test_the_other_roles_may_not(client, cast, role):
    client.force_login(cast.as_role(role))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?format=csv").status_code == 403


def test_signing_in_is_required(client, cast):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_reports_page_links_to_it_for_those_who_may_read_it(client, cast):
    client.force_login(cast.marketing)
    assert 'data-testid="weak-link-nav"' in client.get("/reports/").content.decode()
    client.force_login(cast.content)
    assert 'data-testid="weak-link-nav"' not in client.get("/reports/").content.decode()


def test_without_history_the_page_says_so(client, cast):
    client.force_login(cast.admin)
    page = client.get(URL).content.decode()
    assert 'data-testid="weak-link-empty"' in page
    assert "Not enough history yet" in page


def test_the_slowest_link_is_named_at_the_top(client, cast):
    history(cast.workspace, cast.content, cast.marketing)
    client.force_login(cast.marketing)
    page = client.get(URL + "?days=30").content.decode()
    assert "Approval by marketing takes a median of 20 h, 13x the next slowest stage." in page
    assert 'aria-current="page" data-testid="period-30"' in page


def test_the_csv_holds_every_figure_and_no_formula(client, cast):
    history(cast.workspace, cast.content, cast.marketing, title="=HYPERLINK(1)")
    client.force_login(cast.admin)
    response = client.get(URL + "?format=csv&days=365")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="weak-link-acme-365d.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "stage", "who", "count", "median_hours", "p90_hours"]
    assert ["stage", "Approval step 1: Marketing", "", "6", "20.0", "20.0"] in rows
    assert [
        "person",
        "Approval step 1: Marketing",
        cast.marketing.display_name,
        "6",
        "20.0",
        "20.0",
    ] in rows
    assert ["rework", "Changes requested", "1", "3", "", ""] in rows
    titles = [row[2] for row in rows if row[0] == "rework_post"]
    assert titles and all(title.startswith("'=HYPERLINK") for title in titles)


def test_another_workspace_shows_nothing_of_the_first(client, cast, other):
    history(cast.workspace, cast.content, cast.marketing, title="Acme secret")
    client.force_login(other.admin)
    page = client.get(URL).content.decode()
    assert "Acme secret" not in page
    assert 'data-testid="weak-link-empty"' in page
    rows = list(csv.reader(io.StringIO(client.get(URL + "?format=csv").content.decode())))
    assert rows == [["section", "stage", "who", "count", "median_hours", "p90_hours"]] + [
        ["rework", "Changes requested", label, "0", "", ""] for label in ("0", "1", "2", "3+")
    ]


@pytest.mark.parametrize("posts", [2, 25])
def test_the_page_costs_the_same_queries_however_much_history(
    client, cast, posts, django_assert_max_num_queries
):
    history(cast.workspace, cast.content, cast.marketing, posts=posts)
    client.force_login(cast.marketing)
    with django_assert_max_num_queries(QUERIES):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(QUERIES):
        assert client.get(URL + "?format=csv").status_code == 200
