"""The Content-Security-Policy in a real browser, on the pages it could break.

Every browser test fails when Chromium refuses something under the policy (the ``page``
fixture); these visit the pages no other browser test opens, and prove the policy bites."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import ChannelFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_django_admin_works_under_the_policy(page, cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    PostFactory(
        workspace=cast.workspace,
        author=cast.content,
        channels=[ChannelFactory(workspace=cast.workspace)],
    )
    sign_in(page, cast.admin)
    for path in ("/admin/", "/admin/planner/post/", "/admin/planner/campaign/add/"):
        page.goto(path)
        expect(page.locator("#content")).to_be_visible()
    # The admin's own scripts run: the date shortcuts appear beside a date field.
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()


def test_a_script_slipped_into_a_page_does_not_run(page, cast):
    """Whatever gets past escaping, an inline script is refused by the browser."""
    sign_in(page, cast.viewer)
    page.goto("/calendar/")
    ran = page.evaluate(
        """() => new Promise(resolve => {
            window.injected = false;
            const s = document.createElement('script');
            s.textContent = 'window.injected = true';
            document.body.appendChild(s);
            setTimeout(() => resolve(window.injected), 200);
        })"""
    )
    assert ran is False
    assert any("inline script" in line for line in page.csp_refused)
    page.csp_refused.clear()  # the one refusal this test asked for
