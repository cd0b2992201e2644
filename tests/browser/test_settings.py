"""Settings and approval chains in a real browser: an admin opens the settings, then gives a
campaign a second approval step, and the campaign's page says so."""

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Workspace
from tests.browser.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_adds_an_admin_step_to_a_campaigns_chain(page, cast):
    campaign = CampaignFactory(workspace=cast.workspace, name="Product recall")
    account_services.workspace_update_settings(
        actor=cast.admin,
        workspace=cast.workspace,
        notify_webhook_kind="slack",
        notify_webhook_url="https://hooks.slack.com/services/T0ACME/B0MAILLON/not-a-real-token",
    )
    sign_in(page, cast.admin)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_test_id("default-chain")).to_contain_text("Marketing")
    assert serious_accessibility_violations(page) == []

    page.goto(f"/campaigns/{campaign.pk}/")
    expect(page.get_by_test_id("campaign-approval")).to_contain_text("Approval: Marketing")
    page.get_by_role("link", name="Change the approval chain").click()
    expect(page.get_by_test_id("chain-origin")).to_contain_text("follows the workspace's chain")
    adding = page.get_by_test_id("add-step-form")
    adding.get_by_label("Who approves").select_option(label="Admin")
    adding.get_by_label("Any one of them").check()
    # The keyboard is enough: focus the button and press Enter.
    adding.get_by_role("button", name="Add the step").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Approval chain saved: Marketing → Admin.")
    expect(page.get_by_test_id("step-2")).to_contain_text("Step 2: Admin")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="Back to the campaign").click()
    expect(page.get_by_test_id("campaign-approval")).to_contain_text("Marketing → Admin")
    expect(page.get_by_test_id("campaign-approval")).to_contain_text("this campaign's own chain")

    # The settings list the campaigns that have a chain of their own.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_test_id("campaign-chains")).to_contain_text(
        "Product recall: Marketing → Admin"
    )
    expect(page.get_by_test_id("webhook-test")).to_be_visible()
    assert "not-a-real-token" not in page.content()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "settings")


def test_an_admin_saves_a_setting_and_a_mistake_is_said_on_its_field(page, cast):
    sign_in(page, cast.admin)
    page.goto("/settings/")
    page.get_by_label("At risk when due within (hours)").fill("0")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Some settings were not saved")
    expect(page.get_by_label("At risk when due within (hours)")).to_have_value("0")
    page.get_by_label("At risk when due within (hours)").fill("12")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("The workspace's settings are saved.")
    assert Workspace.objects.get(pk=cast.workspace.pk).at_risk_hours == 12
