"""The weak-link report in a real browser: the slowest link named at the top, the tables
behind it, the period, keyboard and screen-reader friendly."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from planner.demo import history
from planner.models import ChannelKind, Post, PostVersion
from planner.posts import actions
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def three_months_of_history(cast) -> None:
    channels = [
        ChannelFactory(workspace=cast.workspace, kind=kind, name=name)
        for kind, name in (
            (ChannelKind.MASTODON, "Mastodon"),
            (ChannelKind.BLUESKY, "Bluesky"),
            (ChannelKind.LINKEDIN, "LinkedIn page"),
        )
    ]
    now = timezone.now()
    history.write_history(
        cast.workspace,
        history.Cast(
            writers=(cast.content, cast.contributor),
            approvers=(cast.marketing, cast.marketing2),
            planner=cast.content,
        ),
        channels,
        start=now - dt.timedelta(days=85),
        end=now - dt.timedelta(hours=2),
        posts=90,
    )
    # One approval waiting for 30 hours now (the reminder limit is 24).
    post = actions.post_submit(
        actor=cast.content,
        post=PostFactory(workspace=cast.workspace, author=cast.content, title="Autumn repair tour"),
    )
    waited = now - dt.timedelta(hours=30)
    Post.objects.filter(pk=post.pk).update(state_changed_at=waited)
    PostVersion.objects.filter(post=post).update(created_at=waited)


def test_a_marketer_finds_the_slowest_link_of_the_chain(page, cast):
    three_months_of_history(cast)
    sign_in(page, cast.marketing)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Weak links").click()
    page.wait_for_url("**/reports/weak-link/")
    expect(page.get_by_test_id("weak-link-sentence")).to_contain_text(
        "Approval by marketing takes a median of"
    )
    expect(page.get_by_test_id("stage-row")).to_have_count(3)
    expect(page.get_by_test_id("overdue-row")).to_contain_text("Autumn repair tour")
    expect(page.get_by_test_id("channel-row")).to_have_count(3)
    expect(page.get_by_role("link", name="Last 90 days")).to_have_attribute("aria-current", "page")
    screenshot(page, "weak-link")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="Last 30 days").click()
    page.wait_for_url("**/reports/weak-link/?days=30")
    expect(page.get_by_role("link", name="Last 30 days")).to_have_attribute("aria-current", "page")


def test_without_history_the_page_says_what_will_appear(page, cast):
    sign_in(page, cast.admin)
    page.goto("/reports/weak-link/")
    expect(page.get_by_test_id("weak-link-empty")).to_contain_text("Not enough history yet")
    assert serious_accessibility_violations(page) == []
