"""Objective pages: admins set them; everyone sees which campaigns serve each."""

import datetime as dt

import pytest
from django.utils import timezone

from planner.models import Objective
from tests.factories import CampaignFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def form(**overrides):
    today = timezone.localdate()
    return {
        "title": "Reach 25,000 people",
        "kpi": "reach",
        "target": "25000",
        "baseline": "0",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=90)).isoformat(),
        **overrides,
    }


def test_an_admin_sets_an_objective(client, cast):
    client.force_login(cast.admin)
    assert client.post("/objectives/new/", form(owner=cast.marketing.pk)).status_code == 302
    objective = Objective.objects.get()
    assert (objective.target, objective.owner) == (25000, cast.marketing)


def test_a_period_that_ends_before_it_starts_is_refused_on_its_field(client, cast):
    client.force_login(cast.admin)
    today = timezone.localdate()
    response = client.post(
        "/objectives/new/", form(period_end=(today - dt.timedelta(days=1)).isoformat())
    )
    assert "The period must end after it starts." in response.content.decode()
    assert not Objective.objects.exists()


def test_marketing_reads_objectives_but_cannot_set_them(client, cast):
    ObjectiveFactory(workspace=cast.workspace, title="Grow the community")
    client.force_login(cast.marketing)
    page = client.get("/objectives/").content.decode()
    assert "Grow the community" in page
    assert "New objective" not in page
    response = client.post("/objectives/new/", form())
    assert response.status_code == 403
    assert "Only admins set objectives." in response.content.decode()
    assert Objective.objects.count() == 1
    assert client.get("/objectives/new/").status_code == 403


def test_each_objective_lists_the_campaigns_that_serve_it(client, cast):
    objective = ObjectiveFactory(workspace=cast.workspace)
    CampaignFactory(workspace=cast.workspace, name="Spring launch", objective=objective)
    lonely = ObjectiveFactory(workspace=cast.workspace, title="Lonely")
    client.force_login(cast.viewer)
    page = client.get("/objectives/").content.decode()
    assert "Spring launch" in page
    assert "No campaign yet" in page
    assert lonely.title in page


def test_another_workspaces_objective_cannot_be_edited(client, cast, other):
    objective = ObjectiveFactory(workspace=cast.workspace)
    client.force_login(other.admin)
    assert client.get(f"/objectives/{objective.pk}/edit/").status_code == 404
