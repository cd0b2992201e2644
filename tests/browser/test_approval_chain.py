"""The whole approval chain between three people, in a real browser: the content manager
drafts and submits, marketing asks for changes, the content manager edits and resubmits,
marketing approves, an admin approves the sensitive campaign's second step, and the post
shows approved on the calendar."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from planner.approvals import chains
from planner.models import Post
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import CampaignFactory, ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def switch_to(page, user) -> None:
    """Another person at the same browser: a fresh session, then their sign-in."""
    page.context.clear_cookies()
    sign_in(page, user)


def open_from_queue(page, link_name: str, title: str) -> None:
    page.get_by_role("link", name=link_name).click()
    page.locator("[data-testid=queue-row]", has_text=title).get_by_role("link").first.click()
    page.wait_for_url("**/posts/*/")


def test_a_post_goes_through_a_two_step_chain_between_three_people(page, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon", kind="mastodon")
    campaign = CampaignFactory(workspace=cast.workspace, name="Annual report", colour="#8250df")
    campaign.channels.set([channel])
    chains.approval_chain_set(
        actor=cast.admin,
        workspace=cast.workspace,
        campaign=campaign,
        steps=[(Role.MARKETING, "any", []), (Role.ADMIN, "any", [])],
    )
    day = (timezone.now().astimezone(PARIS) + dt.timedelta(days=3)).date()

    # The content manager drafts in the campaign and submits.
    sign_in(page, cast.content)
    page.goto(f"/posts/new/?campaign={campaign.pk}&at={day.isoformat()}T11:00")
    page.fill("input[name=title]", "Our year in figures")
    page.fill("textarea[name=body]", "Our annual report is out.")
    expect(page.locator(f"input[name=channels][value='{channel.pk}']")).to_be_checked()
    page.get_by_role("button", name="Save and submit for review").click()
    page.wait_for_url("**/posts/*/")
    expect(page.get_by_test_id("post-state")).to_have_text("In review")
    post = Post.objects.get(title="Our year in figures")

    # Marketing finds it waiting for them and asks for a change, with a comment.
    switch_to(page, cast.marketing)
    open_from_queue(page, "Waiting for me, 1", "Our year in figures")
    expect(page.get_by_test_id("decision-form")).to_be_visible()
    page.get_by_label("Comment (required to request changes)").fill("Add the link to the report.")
    screenshot(page, "review")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_test_id("post-state")).to_have_text("Changes requested")

    # The content manager sees the request, edits and resubmits.
    switch_to(page, cast.content)
    page.goto("/queues/changes/")
    expect(page.locator("[data-testid=queue-row]")).to_contain_text("Add the link to the report.")
    page.goto(f"/posts/{post.pk}/edit/")
    page.fill("textarea[name=body]", "Our annual report is out: https://example.org/report")
    page.get_by_role("button", name="Save and submit for review").click()
    page.wait_for_url(f"**/posts/{post.pk}/")
    expect(page.get_by_test_id("post-state")).to_have_text("In review")

    # Marketing approves the new version: the post now waits for an admin.
    switch_to(page, cast.marketing)
    open_from_queue(page, "Waiting for me, 1", "Our year in figures")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("post-state")).to_have_text("In review")
    expect(page.get_by_test_id("step-waiting")).to_contain_text("Admin")

    # The admin approves the second step: the post is approved.
    switch_to(page, cast.admin)
    open_from_queue(page, "Waiting for me, 1", "Our year in figures")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("post-state")).to_have_text("Approved")
    screenshot(page, "approved")
    post.refresh_from_db()
    assert (post.state, post.approved_version) == ("approved", post.version)
    deciders = list(
        post.decisions.filter(withdrawn_at__isnull=True, version=post.version)
        .order_by("step_position")
        .values_list("step_position", "decided_by__email", "decision")
    )
    assert deciders == [
        (1, cast.marketing.email, "approve"),
        (2, cast.admin.email, "approve"),
    ]

    # And on the calendar.
    page.goto(f"/calendar/?view=dayGridMonth&date={day.replace(day=1).isoformat()}")
    event = page.locator(f'td.fc-daygrid-day[data-date="{day.isoformat()}"] .fc-event')
    expect(event.filter(has_text="Our year in figures")).to_contain_text("Approved")
