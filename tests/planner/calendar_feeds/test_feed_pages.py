"""The calendar feeds page (make, rename, regenerate, revoke; the address shown once) and
a campaign downloaded as one .ics file."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from planner.calendar_feeds import links
from planner.models import FeedLink
from tests.factories import CampaignFactory, ChannelFactory, PostFactory
from tests.planner.calendar_feeds import ical_lint
from tests.planner.calendar_feeds.feed_helpers import by_icalendar, feed_path

pytestmark = pytest.mark.django_db

FEEDS = "/feeds/"
ADDRESS = re.compile(r"(webcal|https?)://[^\"<\s]+/feeds/([A-Za-z0-9_-]{43,})\.ics")


def addresses(response) -> set[tuple[str, str]]:
    return set(ADDRESS.findall(response.content.decode()))


@pytest.fixture
def signed_in(client, cast):
    client.force_login(cast.content)
    return client


def test_the_profile_leads_to_the_feeds_page(signed_in):
    page = signed_in.get("/accounts/profile/")
    assert f'href="{FEEDS}"' in page.content.decode()


def test_a_person_without_feeds_is_invited_to_make_one(signed_in):
    page = signed_in.get(FEEDS)
    assert page.status_code == 200
    assert b'data-testid="no-feeds"' in page.content
    assert b"Google Calendar" in page.content and b"Apple Calendar" in page.content


def test_signing_in_is_needed(client):
    assert client.get(FEEDS).status_code == 302


def test_making_a_feed_shows_its_two_addresses_once(signed_in, cast):
    made = signed_in.post(
        reverse("planner:feed_create"),
        {"shows": "mine", "name": "My week", "days_back": "7", "days_ahead": "60"},
    )
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    found = addresses(made)
    schemes = {scheme for scheme, _token in found}
    tokens = {token for _scheme, token in found}
    assert schemes == {"webcal", "http"}  # SITE_URL is http in tests; https in production
    assert len(tokens) == 1
    assert "shown only this once" in made.content.decode()
    link = FeedLink.objects.get(user=cast.content)
    assert (link.scope, link.name, link.days_back, link.days_ahead) == ("mine", "My week", 7, 60)
    (token,) = tokens
    assert signed_in.get(feed_path(token)).status_code == 200
    # Afterwards the page lists the feed, never its address again.
    again = signed_in.get(FEEDS)
    assert addresses(again) == set()
    assert token not in again.content.decode()
    assert "My week" in again.content.decode()
    assert "/feeds/••••••••.ics" in again.content.decode()


def test_the_choices_are_this_workspaces_campaigns_and_channels(signed_in, cast, other):
    CampaignFactory(workspace=cast.workspace, name="Ours")
    ChannelFactory(workspace=cast.workspace, name="Our channel")
    theirs = CampaignFactory(workspace=other.workspace, name="Theirs")
    page = signed_in.get(FEEDS).content.decode()
    assert "Ours" in page and "Our channel" in page and "Theirs" not in page
    refused = signed_in.post(
        reverse("planner:feed_create"),
        {"shows": f"campaign:{theirs.pk}", "days_back": "90", "days_ahead": "365"},
    )
    assert refused.status_code == 200
    assert not FeedLink.objects.exists()
    assert addresses(refused) == set()


def test_a_campaign_feed_is_made_from_the_page(signed_in, cast):
    campaign = CampaignFactory(workspace=cast.workspace)
    signed_in.post(
        reverse("planner:feed_create"),
        {"shows": f"campaign:{campaign.pk}", "days_back": "90", "days_ahead": "365"},
    )
    assert FeedLink.objects.get().campaign == campaign


@pytest.mark.parametrize("role, offered", [("marketing", True), ("viewer", False)])
def test_what_waits_on_me_is_offered_to_approvers(client, cast, role, offered):
    client.force_login(cast.as_role(role))
    assert (b'value="waiting"' in client.get(FEEDS).content) is offered


def test_a_window_out_of_bounds_is_explained(signed_in):
    page = signed_in.post(
        reverse("planner:feed_create"),
        {"shows": "workspace", "days_back": "9999", "days_ahead": "1"},
    )
    assert page.status_code == 200
    assert not FeedLink.objects.exists()
    assert b"is-invalid" in page.content


def make(cast):
    return links.feed_link_create(actor=cast.content, workspace=cast.workspace, scope="workspace")


def test_revoking_asks_first_then_the_address_stops(signed_in, cast):
    link, token = make(cast)
    url = reverse("planner:feed_revoke", args=[link.pk])
    asked = signed_in.get(url)
    assert asked.status_code == 200
    assert b"stops working at once" in asked.content
    assert FeedLink.objects.get().revoked_at is None
    done = signed_in.post(url, follow=True)
    assert done.redirect_chain[-1][0] == FEEDS
    assert b"is revoked" in done.content
    assert signed_in.get(feed_path(token)).status_code == 404
    assert b'data-testid="no-feeds"' in done.content


def test_regenerating_asks_first_then_shows_the_new_address_once(signed_in, cast):
    link, old = make(cast)
    url = reverse("planner:feed_regenerate", args=[link.pk])
    asked = signed_in.get(url)
    assert b"stops working at once" in asked.content
    assert signed_in.get(feed_path(old)).status_code == 200
    shown = signed_in.post(url)
    assert shown["Cache-Control"] == "no-store"
    (new,) = {token for _scheme, token in addresses(shown)}
    assert new != old
    assert signed_in.get(feed_path(old)).status_code == 404
    assert signed_in.get(feed_path(new)).status_code == 200


def test_the_name_and_window_are_changed_on_their_page(signed_in, cast):
    link, token = make(cast)
    url = reverse("planner:feed_edit", args=[link.pk])
    assert signed_in.get(url).status_code == 200
    bad = signed_in.post(url, {"name": "x", "days_back": "-3", "days_ahead": "30"})
    assert bad.status_code == 200 and b"is-invalid" in bad.content
    done = signed_in.post(url, {"name": "Soon", "days_back": "3", "days_ahead": "30"})
    assert done.status_code == 302
    link.refresh_from_db()
    assert (link.name, link.days_back, link.days_ahead) == ("Soon", 3, 30)
    assert signed_in.get(feed_path(token)).status_code == 200


@pytest.mark.parametrize("view", ["feed_edit", "feed_regenerate", "feed_revoke"])
def test_someone_elses_link_is_not_found(client, cast, view):
    link, _token = make(cast)
    client.force_login(cast.content2)
    for method in (client.get, client.post):
        assert method(reverse(f"planner:{view}", args=[link.pk])).status_code == 404
    assert FeedLink.objects.get().revoked_at is None


# --- a campaign as one file ---------------------------------------------------------------


def test_a_campaign_downloads_as_one_ics_file(signed_in, cast):
    campaign = CampaignFactory(
        workspace=cast.workspace,
        name="Été: linen, cotton/silk",
        starts_on=dt.date(2027, 6, 1),
        ends_on=dt.date(2027, 6, 30),
    )
    inside = PostFactory(workspace=cast.workspace, author=cast.content, campaign=campaign)
    PostFactory(workspace=cast.workspace, author=cast.content)  # not in the campaign
    page = signed_in.get(reverse("planner:campaign_detail", args=[campaign.pk]))
    url = reverse("planner:campaign_calendar", args=[campaign.pk])
    assert f'href="{url}"' in page.content.decode()
    response = signed_in.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ete-linen-cottonsilk.ics"'
    assert ical_lint.problems(response.content, posts={f"{inside.uid}@maillon"}) == []
    events = by_icalendar(response.content)
    assert set(events) == {f"{inside.uid}@maillon", f"campaign-{campaign.pk}@127.0.0.1"}
    assert events[f"campaign-{campaign.pk}@127.0.0.1"]["end"] == "2027-07-01"


def test_another_workspaces_campaign_is_not_found(signed_in, other):
    campaign = CampaignFactory(workspace=other.workspace)
    url = reverse("planner:campaign_calendar", args=[campaign.pk])
    assert signed_in.get(url).status_code == 404


def test_downloading_a_campaign_needs_signing_in(client, cast):
    campaign = CampaignFactory(workspace=cast.workspace)
    assert client.get(reverse("planner:campaign_calendar", args=[campaign.pk])).status_code == 302
