"""Feed links through their services: a random token stored hashed, one's own links only,
windows within bounds, and every change in the audit trail (never the token)."""

import hashlib
import json

import pytest

from planner.calendar_feeds import links
from planner.errors import Invalid, NotAllowed, NotFound
from planner.models import AuditEvent, FeedLink
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def make(user, workspace, scope="workspace", **fields):
    return links.feed_link_create(actor=user, workspace=workspace, scope=scope, **fields)


def test_a_link_gets_a_random_token_of_256_bits_and_stores_only_its_sha256(cast):
    link, token = make(cast.viewer, cast.workspace)
    assert len(token) >= 43  # token_urlsafe(32): 32 random bytes
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(FeedLink.objects.values()), default=str)
    other_link, other_token = make(cast.viewer, cast.workspace)
    assert other_token != token and other_link.token_hash != link.token_hash


def test_a_link_looks_back_90_days_and_ahead_365_unless_told_otherwise(cast):
    link, _token = make(cast.content, cast.workspace)
    assert (link.days_back, link.days_ahead) == (90, 365)
    link, _token = make(cast.content, cast.workspace, days_back=0, days_ahead=30, name=" Soon ")
    assert (link.days_back, link.days_ahead, link.name) == (0, 30, "Soon")


@pytest.mark.parametrize("window", [{"days_back": 731}, {"days_ahead": 0}, {"days_ahead": 1096}])
def test_a_window_out_of_bounds_is_refused(cast, window):
    with pytest.raises(Invalid):
        make(cast.content, cast.workspace, **window)
    assert not FeedLink.objects.exists()


def test_a_campaign_or_channel_link_needs_its_campaign_or_channel(cast):
    with pytest.raises(Invalid):
        make(cast.content, cast.workspace, "campaign")
    with pytest.raises(Invalid):
        make(cast.content, cast.workspace, "channel")
    with pytest.raises(Invalid):
        make(cast.content, cast.workspace, "everything")


def test_a_campaign_link_keeps_only_its_campaign(cast):
    campaign = CampaignFactory(workspace=cast.workspace)
    link, _token = make(cast.content, cast.workspace, "campaign", campaign=campaign)
    assert (link.campaign, link.channel) == (campaign, None)


def test_only_members_make_links_in_a_workspace(cast, outsider, other):
    with pytest.raises(NotFound):
        make(outsider, cast.workspace)
    with pytest.raises(NotFound):
        make(other.admin, cast.workspace)


@pytest.mark.parametrize("role", ["admin", "marketing"])
def test_approvers_may_follow_what_waits_on_them(cast, role):
    link, _token = make(cast.as_role(role), cast.workspace, "waiting")
    assert link.scope == "waiting"


@pytest.mark.parametrize("role", ["content_manager", "contributor", "viewer"])
def test_the_others_cannot_follow_what_waits_on_them(cast, role):
    with pytest.raises(NotAllowed):
        make(cast.as_role(role), cast.workspace, "waiting")


def test_a_person_keeps_at_most_so_many_links_per_workspace(cast, monkeypatch):
    monkeypatch.setattr(links, "MAX_LINKS", 2)
    first, _t = make(cast.content, cast.workspace)
    make(cast.content, cast.workspace)
    with pytest.raises(Invalid):
        make(cast.content, cast.workspace)
    links.feed_link_revoke(actor=cast.content, link=first)
    make(cast.content, cast.workspace)  # a revoked one no longer counts


def test_regenerating_changes_the_hash_and_notes_when(cast):
    link, token = make(cast.content, cast.workspace)
    old_hash = link.token_hash
    link, new_token = links.feed_link_regenerate(actor=cast.content, link=link)
    assert new_token != token
    assert link.token_hash == hashlib.sha256(new_token.encode()).hexdigest() != old_hash
    assert link.regenerated_at is not None


def test_revoking_is_for_good(cast):
    link, _token = make(cast.content, cast.workspace)
    link = links.feed_link_revoke(actor=cast.content, link=link)
    assert link.revoked_at is not None
    with pytest.raises(NotFound):
        links.feed_link_revoke(actor=cast.content, link=link)
    with pytest.raises(NotFound):
        links.feed_link_regenerate(actor=cast.content, link=link)


def test_the_window_and_name_change_keeping_the_address(cast):
    link, _token = make(cast.content, cast.workspace)
    token_hash = link.token_hash
    link = links.feed_link_update(
        actor=cast.content, link=link, name="Next month", days_back=0, days_ahead=31
    )
    link.refresh_from_db()
    assert (link.name, link.days_back, link.days_ahead) == ("Next month", 0, 31)
    assert link.token_hash == token_hash
    with pytest.raises(Invalid):
        links.feed_link_update(actor=cast.content, link=link, name="", days_back=-1, days_ahead=31)


@pytest.mark.parametrize(
    "act",
    [
        lambda actor, link: links.feed_link_revoke(actor=actor, link=link),
        lambda actor, link: links.feed_link_regenerate(actor=actor, link=link),
        lambda actor, link: links.feed_link_update(
            actor=actor, link=link, name="Mine now", days_back=1, days_ahead=1
        ),
    ],
    ids=["revoke", "regenerate", "update"],
)
def test_nobody_else_touches_a_persons_link(cast, other, act):
    link, _token = make(cast.content, cast.workspace)
    for someone in (cast.admin, cast.content2, other.admin):
        with pytest.raises(NotFound):
            act(someone, link)
    fresh = FeedLink.objects.get(pk=link.pk)
    assert (fresh.revoked_at, fresh.token_hash, fresh.name) == (None, link.token_hash, "")


def test_every_change_is_audited_without_the_token(cast):
    link, token = make(cast.content, cast.workspace, name="All")
    link, new_token = links.feed_link_regenerate(actor=cast.content, link=link)
    links.feed_link_update(actor=cast.content, link=link, name="All", days_back=90, days_ahead=365)
    links.feed_link_update(actor=cast.content, link=link, name="All", days_back=7, days_ahead=365)
    links.feed_link_revoke(actor=cast.content, link=link)
    events = AuditEvent.objects.filter(action__startswith="feed.").order_by("pk")
    # Saving it unchanged records nothing.
    assert [e.action for e in events] == [
        "feed.create",
        "feed.regenerate",
        "feed.update",
        "feed.revoke",
    ]
    assert {e.actor_id for e in events} == {cast.content.pk}
    assert events[2].data["before"]["days_back"] == 90
    assert events[2].data["after"]["days_back"] == 7
    trail = json.dumps([e.data for e in events]) + " ".join(e.target for e in events)
    for secret in (token, new_token, link.token_hash):
        assert secret not in trail
