"""Deciding, following the chain and commenting from the post's page."""

import re

import pytest

from accounts.models import Role
from planner.models import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalStep,
    Comment,
    Notification,
    NotificationKind,
    Post,
    StepMode,
)
from planner.posts import actions, writing
from planner.workflow import State
from tests.factories import CampaignFactory, PostFactory

pytestmark = pytest.mark.django_db


def in_review(cast, author=None, **kwargs):
    post = PostFactory(workspace=cast.workspace, author=author or cast.content, **kwargs)
    return actions.post_submit(actor=author or cast.content, post=post)


def decide(client, post, decision, comment="", **fields):
    data = {
        "decision": decision,
        "comment": comment,
        "expected_version": post.version,
        "step_position": 1,
        **fields,
    }
    return client.post(f"/posts/{post.pk}/decide/", data)


def text(response):
    return response.content.decode()


def chain(cast, steps, campaign=None):
    """An approval chain, built as chain editing leaves it: (role, mode, named people)."""
    made = ApprovalChain.objects.create(workspace=cast.workspace, campaign=campaign)
    for position, (role, mode, people) in enumerate(steps, start=1):
        step = ApprovalStep.objects.create(chain=made, position=position, role=role, mode=mode)
        step.approvers.set(people)
    return made


def two_steps(cast, post, steps=None):
    """Marketing, then the admin, for the post's campaign."""
    campaign = CampaignFactory(workspace=cast.workspace, name="Sensitive")
    chain(
        cast,
        steps or [(Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, [])],
        campaign,
    )
    Post.objects.filter(pk=post.pk).update(campaign=campaign)
    post.refresh_from_db()
    return post


# --- the decision form --------------------------------------------------------------


def test_an_approver_sees_the_decision_form_with_the_version_and_step(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'data-testid="decision-form"' in page
    assert 'name="expected_version" value="1"' in page
    assert 'name="step_position" value="1"' in page
    for label in ("Approve", "Request changes", "Reject…"):
        assert label in page


def test_approving_from_the_page_approves_the_post(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    response = decide(client, post, "approve", comment="Lovely.")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == State.APPROVED
    page = text(client.get(f"/posts/{post.pk}/"))
    assert "Approved: the post will go out as planned." in page
    assert "Approved by Marketing" in page
    assert "Lovely." in page


def test_requesting_changes_with_a_comment_sends_the_post_back(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    response = decide(client, post, "request_changes", comment="Shorter, please.")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == State.CHANGES_REQUESTED
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'data-testid="step-refusal"' in page
    assert "Changes requested" in page
    assert "<q>Shorter, please.</q>" in page


def test_requesting_changes_without_a_comment_shows_the_form_again(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    response = decide(client, post, "request_changes", comment="   ")
    assert response.status_code == 400
    page = text(response)
    assert 'id="decision-errors" role="alert"' in page
    assert "a comment is required to request changes" in page
    assert 'aria-invalid="true"' in page
    assert 'data-testid="decision-form"' in page
    post.refresh_from_db()
    assert post.state == State.IN_REVIEW


def test_what_was_typed_is_kept_when_the_decision_is_refused(client, cast):
    post = in_review(cast, scheduled_at=None)
    client.force_login(cast.marketing)
    typed = "I like it & <b>it</b> is fine"
    response = decide(client, post, "approve", comment=typed)
    assert response.status_code == 403
    assert "I like it &amp; &lt;b&gt;it&lt;/b&gt; is fine</textarea>" in text(response)


def test_rejecting_asks_for_confirmation_and_keeps_the_comment(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    response = decide(client, post, "reject", comment="Off brand.")
    assert response.status_code == 200
    page = text(response)
    assert "Reject “" in page
    assert 'name="confirmed" value="yes"' in page
    assert ">Off brand.</textarea>" in page
    post.refresh_from_db()
    assert post.state == State.IN_REVIEW

    response = decide(client, post, "reject", comment="Off brand.", confirmed="yes")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == State.CANCELLED
    assert Comment.objects.get(post=post).body == "Off brand."


def test_a_decision_on_a_stale_version_is_a_conflict_409(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'name="expected_version" value="1"' in page
    writing.post_edit(
        actor=cast.content, post=post, expected_version=1, title="", body="New text", variants={}
    )
    response = decide(client, post, "approve", expected_version=1)
    assert response.status_code == 409
    page = text(response)
    assert "The post changed while you were reviewing it (now version 2)" in page
    # The page shows the post as it is now: the form is for version 2.
    assert 'name="expected_version" value="2"' in page


def test_a_step_someone_else_decided_first_is_a_conflict_409(client, cast):
    post = two_steps(cast, in_review(cast))
    client.force_login(cast.marketing2)
    assert 'name="step_position" value="1"' in text(client.get(f"/posts/{post.pk}/"))
    # Marketing decides while marketing2 still has the page open.
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    response = decide(client, post, "approve", expected_version=1, step_position=1)
    assert response.status_code == 409
    assert "Someone else already decided this step." in text(response)
    assert ApprovalDecision.objects.filter(post=post).count() == 1


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR, Role.CONTENT_MANAGER])
def test_a_non_approver_posting_the_form_is_refused_403(client, cast, role):
    post = in_review(cast, author=cast.content2)
    client.force_login(cast.as_role(role))
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'data-testid="decision-form"' not in page
    response = decide(client, post, "approve")
    assert response.status_code == 403
    assert "Your role does not allow this." in text(response)
    # Rejecting is refused as plainly: no confirmation page first.
    assert decide(client, post, "reject", comment="No").status_code == 403
    post.refresh_from_db()
    assert post.state == State.IN_REVIEW


def test_another_workspaces_member_cannot_decide(client, cast, other):
    post = in_review(cast)
    client.force_login(other.marketing)
    assert decide(client, post, "approve").status_code == 404


def test_an_incomplete_form_is_a_bad_request(client, cast):
    post = in_review(cast)
    client.force_login(cast.marketing)
    response = client.post(f"/posts/{post.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 400
    assert client.get(f"/posts/{post.pk}/decide/").status_code == 405


# --- why not me -------------------------------------------------------------------


def test_the_author_who_is_an_approver_is_told_the_four_eyes_rule(client, cast):
    post = in_review(cast, author=cast.marketing)
    client.force_login(cast.marketing)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'data-testid="decision-form"' not in page
    assert "You wrote or edited this version: someone else decides on it (four-eyes rule)." in page
    assert decide(client, post, "approve").status_code == 403


def test_when_every_approver_wrote_the_post_the_page_says_nobody_can_decide(client, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.marketing)
    writing.post_edit(
        actor=cast.marketing2,
        post=post,
        expected_version=1,
        title="",
        body="Both wrote it",
        variants={v.channel_id: "" for v in post.variants.all()},
    )
    post.refresh_from_db()
    actions.post_submit(actor=cast.marketing, post=post)
    client.force_login(cast.content)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert "Nobody can decide this step now" in page
    assert "An admin can change the approval chain." in page


def test_a_writer_sees_whom_the_post_waits_for(client, cast):
    post = in_review(cast)
    client.force_login(cast.content)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert "Waiting for marketing: one of Marketing, Marketing2." in page


def test_an_approver_of_a_later_step_is_told_whom_it_waits_for(client, cast):
    post = two_steps(cast, in_review(cast))
    client.force_login(cast.admin)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'data-testid="decision-form"' not in page
    assert "Waiting for marketing: one of Marketing, Marketing2." in page


def test_a_post_without_a_time_can_be_sent_back_but_not_approved(client, cast):
    post = in_review(cast, scheduled_at=None)
    client.force_login(cast.marketing)
    page = text(client.get(f"/posts/{post.pk}/"))
    assert 'data-testid="decision-form"' in page
    assert re.search(r'value="approve"[^>]*disabled', page)
    assert "Give the post a time before approving it." in page


def test_an_all_of_them_step_tells_who_approved_and_who_is_still_awaited(client, cast):
    chain(cast, [(Role.MARKETING, StepMode.ALL, [])])
    post = in_review(cast)
    client.force_login(cast.marketing)
    response = decide(client, post, "approve")
    assert response.status_code == 302
    page = text(client.get(f"/posts/{post.pk}/"))
    assert "Your approval is recorded; this step still waits for the others." in page
    assert "You approved this step; it still waits for Marketing2." in page
    assert "Approved by Marketing" in page


# --- chain progress -------------------------------------------------------------------


def steps(page):
    return re.findall(
        r'data-testid="chain-step"(.*?)</li>\s*(?=<li class="chain-step|</ol>)', page, re.S
    )


def test_the_chain_shows_each_step_done_current_or_pending_in_words(client, cast):
    three = [
        (Role.MARKETING, StepMode.ANY, []),
        (Role.ADMIN, StepMode.ANY, [cast.admin]),
        (Role.MARKETING, StepMode.ALL, []),
    ]
    post = two_steps(cast, in_review(cast), three)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    client.force_login(cast.viewer)
    page = text(client.get(f"/posts/{post.pk}/"))
    first, second, third = steps(page)
    assert "Done" in first and "Step 1" in first and "Approved by Marketing" in first
    assert "any one of them approves" in first
    assert 'aria-current="step"' in second and "Waiting" in second
    assert "Admin (admin)" in second  # a named approver, with the step's role
    assert "Waiting for: Admin" in second
    assert "Not yet" in third and "all of them must approve" in third


def test_a_draft_shows_the_chain_it_will_go_through(client, cast, draft):
    client.force_login(cast.content)
    page = text(client.get(f"/posts/{draft.pk}/"))
    (only,) = steps(page)
    assert "Not yet" in only and "Marketing" in only
    assert 'data-testid="decision-why"' not in page


# --- comments ---------------------------------------------------------------------


def test_a_comment_is_added_listed_and_its_mentions_highlighted(client, cast, draft):
    client.force_login(cast.contributor)
    response = client.post(f"/posts/{draft.pk}/comments/", {"body": "Ask @marketing, not @nobody."})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/posts/{draft.pk}/#comments")
    page = text(client.get(f"/posts/{draft.pk}/"))
    assert (
        'Ask <mark class="mention" title="marketing@acme.test">@marketing</mark>, not @nobody.'
        in page
    )
    assert "Contributor" in page and "on version 1" in page
    assert Notification.objects.filter(
        kind=NotificationKind.MENTION, recipient=cast.marketing
    ).exists()


def test_the_comment_form_lists_the_handles_to_mention(client, cast, other, draft):
    client.force_login(cast.contributor)
    page = text(client.get(f"/posts/{draft.pk}/"))
    handles = re.search(r'data-testid="mention-handles">(.*?)</div>', page, re.S).group(1)
    assert "@camille" not in handles
    assert "@marketing2" in handles and "@viewer" in handles
    assert "globex" not in handles


def test_an_empty_comment_shows_the_form_again_with_the_error(client, cast, draft):
    client.force_login(cast.contributor)
    response = client.post(f"/posts/{draft.pk}/comments/", {"body": "  "})
    assert response.status_code == 400
    assert "Write something first." in text(response)
    assert 'id="comment-errors" role="alert"' in text(response)


def test_a_viewer_sees_comments_but_cannot_comment(client, cast, draft):
    actions.comment_add(actor=cast.content, post=draft, body="First!")
    client.force_login(cast.viewer)
    page = text(client.get(f"/posts/{draft.pk}/"))
    assert "First!" in page
    assert 'data-testid="comment-form"' not in page
    response = client.post(f"/posts/{draft.pk}/comments/", {"body": "Me too"})
    assert response.status_code == 403
    assert Comment.objects.filter(post=draft).count() == 1


def test_a_decision_comment_appears_among_the_comments(client, cast):
    post = in_review(cast)
    actions.post_decide(
        actor=cast.marketing,
        post=post,
        decision="request_changes",
        expected_version=1,
        step_position=1,
        comment="Add the price.",
    )
    client.force_login(cast.content)
    page = text(client.get(f"/posts/{post.pk}/"))
    comments = re.findall(r'data-testid="comment">(.*?)</li>', page, re.S)
    assert len(comments) == 1 and "Add the price." in comments[0]


def test_another_workspaces_member_cannot_comment(client, cast, other, draft):
    client.force_login(other.content)
    assert client.post(f"/posts/{draft.pk}/comments/", {"body": "Hi"}).status_code == 404
