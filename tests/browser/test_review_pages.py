"""The post's review in a browser: deciding, commenting and the versions read well with
a keyboard and a screen reader (axe finds nothing serious)."""

import pytest
from playwright.sync_api import expect

from planner.posts import actions, writing
from tests.browser.conftest import serious_accessibility_violations, sign_in
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approver_requests_changes_and_the_pages_are_accessible(page, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content, title="Spring sale")
    writing.post_edit(
        actor=cast.content,
        post=post,
        expected_version=1,
        title="Spring sale",
        body="Our spring sale starts today.",
        variants={v.channel_id: "" for v in post.variants.all()},
    )
    post.refresh_from_db()
    actions.post_submit(actor=cast.content, post=post)
    actions.comment_add(actor=cast.content, post=post, body="@marketing ready for you.")
    sign_in(page, cast.marketing)
    page.goto(f"/posts/{post.pk}/")
    expect(page.get_by_test_id("decision-form")).to_be_visible()
    assert serious_accessibility_violations(page) == []

    # Without a comment the field says what is missing, and keeps the page.
    page.get_by_label("Comment (required to request changes)").fill("")
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_role("alert").filter(has_text="a comment is required")).to_be_visible()
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Comment (required to request changes)").fill("Add the price, @content.")
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_test_id("post-state")).to_have_text("Changes requested")
    expect(page.get_by_test_id("step-refusal")).to_contain_text("Add the price")

    page.get_by_label("Add a comment").fill("Thanks @marketing")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("mark.mention").last).to_have_text("@marketing")
    assert serious_accessibility_violations(page) == []

    page.get_by_test_id("versions-link").click()
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible()
    expect(page.locator("ins").first).to_contain_text("Our spring sale starts today.")
    assert serious_accessibility_violations(page) == []
