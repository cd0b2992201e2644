"""The post editor over HTTP: create, edit, counters, and two people saving at once."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from planner.models import Post
from planner.workflow import State
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def local(days, hour=9):
    day = (timezone.now().astimezone(PARIS) + dt.timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00"


@pytest.fixture
def mastodon(cast):
    return ChannelFactory(workspace=cast.workspace, name="Mastodon", kind="mastodon")


@pytest.fixture
def bluesky(cast):
    return ChannelFactory(workspace=cast.workspace, name="Bluesky", kind="bluesky")


def test_clicking_a_day_opens_the_editor_at_that_time(client, cast):
    client.force_login(cast.content)
    page = client.get("/posts/new/", {"at": local(3)}).content.decode()
    assert f'value="{local(3)}"' in page


def test_planning_from_a_campaign_starts_the_post_in_it_on_its_active_channels(
    client, cast, mastodon, bluesky
):
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(workspace=cast.workspace)
    campaign.channels.set([mastodon])
    client.force_login(cast.content)
    form = client.get("/posts/new/", {"at": local(3), "campaign": campaign.pk}).context["form"]
    assert form.initial["campaign"] == campaign.pk
    assert form.initial["channels"] == [mastodon.pk]
    # Another workspace's campaign, or nonsense, is simply ignored.
    foreign = CampaignFactory()
    for value in (foreign.pk, "x"):
        form = client.get("/posts/new/", {"campaign": value}).context["form"]
        assert "campaign" not in form.initial


def test_a_new_post_is_saved_with_its_variants_and_time_in_the_authors_zone(
    client, cast, mastodon, bluesky
):
    client.force_login(cast.content)
    response = client.post(
        "/posts/new/",
        {
            "title": "Launch",
            "body": "Trailhead 2 is out",
            "channels": [mastodon.pk, bluesky.pk],
            f"variant_{bluesky.pk}": "Trailhead 2 is out on Bluesky",
            "scheduled_at": local(3),
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.scheduled_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") == local(3)
    assert {v.channel_id: v.text for v in post.variants.all()} == {
        mastodon.pk: "",
        bluesky.pk: "Trailhead 2 is out on Bluesky",
    }


def test_save_and_submit_sends_the_post_to_review(client, cast, mastodon):
    client.force_login(cast.content)
    client.post(
        "/posts/new/",
        {
            "body": "Hello",
            "channels": [mastodon.pk],
            "scheduled_at": local(2),
            "submit_for_review": "1",
        },
    )
    assert Post.objects.get().state == State.IN_REVIEW


def test_a_time_in_the_past_is_shown_on_its_field_and_nothing_is_lost(client, cast, mastodon):
    client.force_login(cast.content)
    response = client.post(
        "/posts/new/",
        {"body": "My careful words", "channels": [mastodon.pk], "scheduled_at": local(-1)},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a time in the future." in page
    assert "My careful words" in page
    assert not Post.objects.exists()


def test_counters_follow_each_networks_rules(client, cast, mastodon, bluesky):
    client.force_login(cast.content)
    family = "👨‍👩‍👧‍👦"
    page = client.post(
        "/posts/counters/",
        {"body": family * 301, "channels": [mastodon.pk, bluesky.pk]},
    ).content.decode()
    assert "Characters 301 / 500" in page
    assert "301 / 300" in page  # Bluesky counts graphemes: one family is one
    assert "text-danger" in page


def test_the_second_of_two_editors_sees_a_conflict_and_keeps_their_text(client, cast, mastodon):
    client.force_login(cast.content)
    client.post(
        "/posts/new/", {"body": "First", "channels": [mastodon.pk], "scheduled_at": local(4)}
    )
    post = Post.objects.get()
    form = {"body": "", "channels": [mastodon.pk], "scheduled_at": local(4), "version": 1}
    client.force_login(cast.content2)
    assert client.post(f"/posts/{post.pk}/edit/", {**form, "body": "Theirs"}).status_code == 302
    client.force_login(cast.content)
    response = client.post(f"/posts/{post.pk}/edit/", {**form, "body": "Mine"})
    page = response.content.decode()
    assert 'data-testid="conflict"' in page
    assert "Theirs" in page and "Mine" in page
    post.refresh_from_db()
    assert post.body == "Theirs"
    # Saving again, knowingly, replaces theirs.
    assert (
        client.post(f"/posts/{post.pk}/edit/", {**form, "body": "Mine", "version": 2}).status_code
        == 302
    )
    post.refresh_from_db()
    assert post.body == "Mine"


def test_a_viewer_cannot_edit(client, cast, draft):
    client.force_login(cast.viewer)
    form = {
        "body": "Hijack",
        "channels": [v.channel_id for v in draft.variants.all()],
        "version": 1,
    }
    response = client.post(f"/posts/{draft.pk}/edit/", form)
    assert "Your role does not allow this." in response.content.decode()
    draft.refresh_from_db()
    assert draft.body != "Hijack"
