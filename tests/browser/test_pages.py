"""The main pages in a real browser: each role's view, screenshots, and accessibility."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from planner.posts import actions
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sign_in_page_is_accessible(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Maillon")).to_be_visible()
    screenshot(page, "sign-in")
    assert serious_accessibility_violations(page) == []


def test_a_wrong_password_is_said_plainly(page, cast):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", cast.viewer.email)
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.get_by_text("do not match an account")).to_be_visible()


@pytest.mark.parametrize(
    ("role", "sees_crisis_switch", "sees_new_post"),
    [
        ("admin", True, True),
        ("marketing", False, True),
        ("content_manager", False, True),
        ("contributor", False, False),
        ("viewer", False, False),
    ],
)
def test_each_role_sees_what_it_may(page, cast, role, sees_crisis_switch, sees_new_post):
    sign_in(page, cast.as_role(role))
    expect(page.get_by_test_id("whoami")).to_contain_text(
        {"content_manager": "Content manager"}.get(role, role.title())
    )
    expect(page.get_by_role("button", name="Pause all publishing")).to_have_count(
        1 if sees_crisis_switch else 0
    )
    page.goto("/calendar/")
    expect(page.get_by_role("link", name="New post")).to_have_count(1 if sees_new_post else 0)


def test_the_overview_and_a_post_page_are_accessible(page, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, title="Spring teaser", channels=[channel]
    )
    actions.post_submit(actor=cast.content, post=post)
    sign_in(page, cast.admin)
    screenshot(page, "overview")
    assert serious_accessibility_violations(page) == []
    page.goto(f"/posts/{post.pk}/")
    expect(page.get_by_test_id("post-state")).to_have_text("In review")
    screenshot(page, "post")
    assert serious_accessibility_violations(page) == []
    page.goto(f"/posts/{post.pk}/edit/")
    assert serious_accessibility_violations(page) == []


def test_campaign_pages_are_accessible(page, cast):
    from tests.factories import CampaignFactory

    channel = ChannelFactory(workspace=cast.workspace, name="LinkedIn", kind="linkedin")
    campaign = CampaignFactory(workspace=cast.workspace, name="Spring launch")
    campaign.channels.set([channel])
    campaign.cadences.create(channel=channel, posts_per_week=3)
    sign_in(page, cast.marketing)
    page.goto(f"/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("cadence")).to_contain_text("LinkedIn: 0 of 3 this week")
    expect(page.get_by_test_id("calendar-empty")).to_contain_text("Click a day to plan one")
    assert serious_accessibility_violations(page) == []
    page.goto(f"/campaigns/{campaign.pk}/edit/")
    assert serious_accessibility_violations(page) == []
    page.goto("/objectives/")
    assert serious_accessibility_violations(page) == []


def test_a_user_switches_to_french_and_everything_follows(page, cast):
    channel = ChannelFactory(workspace=cast.workspace, name="Mastodon")
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, title="Teaser", channels=[channel]
    )
    sign_in(page, cast.content)
    page.goto("/accounts/profile/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Votre profil")).to_be_visible()
    nav = page.get_by_role("navigation", name="Principal")
    expect(nav.get_by_role("link", name="Calendrier")).to_be_visible()
    # The calendar widget speaks French too.
    page.goto("/calendar/")
    expect(page.get_by_role("button", name="Aujourd'hui")).to_be_visible()
    # Dates name French months and days; states are French.
    page.goto(f"/posts/{post.pk}/")
    expect(page.get_by_test_id("post-state")).to_have_text("Brouillon")
    with translation.override("fr"):
        local = timezone.localtime(post.scheduled_at, ZoneInfo(cast.content.time_zone))
        month = formats.date_format(local, "F")
    expect(page.locator("main time").first).to_contain_text(month)
    assert serious_accessibility_violations(page) == []
    cast.content.refresh_from_db()
    assert cast.content.language == "fr"


def test_leaving_the_editor_with_unsaved_text_asks_first(page, cast):
    sign_in(page, cast.content)
    page.goto("/posts/new/")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on the page"

    page.on("dialog", answer)
    page.goto("/calendar/")  # nothing typed yet: leaves without asking
    assert dialogs == []
    page.goto("/posts/new/")
    page.fill("textarea[name=body]", "Half a thought")
    page.get_by_role("link", name="Calendar", exact=True).first.click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page.locator("textarea[name=body]")).to_have_value("Half a thought")
