"""Who is told of each step of the approval workflow, and what their email says."""

from __future__ import annotations

import pytest

from accounts.models import Role
from planner.approvals import notices
from planner.errors import Invalid
from planner.models import (
    ApprovalChain,
    ApprovalStep,
    Notification,
    NotificationKind,
    Post,
    Publication,
    PublicationState,
    StepMode,
)
from planner.notifications import inbox
from planner.notifications.notify import describe
from planner.posts import actions, writing
from tests.factories import PostFactory

pytestmark = [pytest.mark.django_db, pytest.mark.domain]

Kind = NotificationKind


def told(kind: str, post: Post | None = None) -> set[str]:
    """The emails of those who got a notification of this kind (about this post)."""
    rows = Notification.objects.filter(kind=kind)
    if post is not None:
        rows = rows.filter(post=post)
    return set(rows.values_list("recipient__email", flat=True))


def emails(*people) -> set[str]:
    return {person.email for person in people}


def submit(cast, post: Post, actor=None) -> Post:
    return actions.post_submit(actor=actor or cast.content, post=post)


def decide(actor, post: Post, decision: str = "approve", comment: str = "", step: int = 1):
    post.refresh_from_db()
    return actions.post_decide(
        actor=actor,
        post=post,
        decision=decision,
        expected_version=post.version,
        step_position=step,
        comment=comment,
    )


def edit(actor, post: Post, body: str) -> Post:
    post.refresh_from_db()
    return writing.post_edit(
        actor=actor,
        post=post,
        expected_version=post.version,
        title=post.title,
        body=body,
        variants={v.channel_id: v.text for v in post.variants.all()},
    )


def chain(cast, *steps) -> None:
    """The workspace's default chain, built directly (the chain services are tested
    elsewhere)."""
    default = ApprovalChain.objects.create(workspace=cast.workspace)
    for position, (role, mode, people) in enumerate(steps, start=1):
        step = ApprovalStep.objects.create(chain=default, position=position, role=role, mode=mode)
        step.approvers.set(people)


@pytest.fixture
def draft(cast):
    return PostFactory(workspace=cast.workspace, author=cast.content, title="Spring launch")


# --- submitting ----------------------------------------------------------------------


def test_submitting_asks_the_approvers_of_the_first_step(cast, draft):
    submit(cast, draft)
    assert told(Kind.SUBMITTED, draft) == emails(cast.marketing, cast.marketing2)
    row = Notification.objects.filter(kind=Kind.SUBMITTED).first()
    assert row.actor == cast.content
    assert row.workspace == cast.workspace
    assert row.data["post_title"] == "Spring launch"
    assert describe(row) == "“Spring launch” waits for your approval (submitted by Content)."


def test_nobody_else_is_asked_and_never_the_one_who_submits(cast, draft):
    submit(cast, draft)
    assert Notification.objects.count() == 2
    assert not Notification.objects.filter(recipient=cast.content).exists()


def test_an_inactive_approver_is_not_asked(cast, draft):
    cast.marketing2.is_active = False
    cast.marketing2.save(update_fields=["is_active"])
    submit(cast, draft)
    assert told(Kind.SUBMITTED) == emails(cast.marketing)


def test_a_marketer_who_edited_the_post_is_not_asked_to_approve_it(cast, draft):
    edit(cast.marketing2, draft, "A sharper text.")
    submit(cast, draft)
    assert told(Kind.SUBMITTED) == emails(cast.marketing)


def test_with_four_eyes_relaxed_the_marketer_who_edited_is_asked_too(cast, draft):
    cast.workspace.four_eyes_relaxed = True
    cast.workspace.save(update_fields=["four_eyes_relaxed"])
    edit(cast.marketing2, draft, "A sharper text.")
    submit(cast, draft)
    assert told(Kind.SUBMITTED) == emails(cast.marketing, cast.marketing2)


def test_a_step_with_named_approvers_asks_only_them(cast, draft):
    chain(cast, (Role.MARKETING, StepMode.ANY, [cast.marketing2]))
    submit(cast, draft)
    assert told(Kind.SUBMITTED) == emails(cast.marketing2)


# --- deciding ------------------------------------------------------------------------


def test_approving_a_step_asks_the_next_step_and_tells_the_author_nothing_yet(cast, draft):
    chain(cast, (Role.MARKETING, StepMode.ANY, []), (Role.ADMIN, StepMode.ANY, []))
    submit(cast, draft)
    decide(cast.marketing, draft)
    assert told(Kind.SUBMITTED, draft) == emails(cast.marketing, cast.marketing2, cast.admin)
    asked = Notification.objects.get(kind=Kind.SUBMITTED, recipient=cast.admin)
    assert asked.actor == cast.marketing
    assert (asked.data["step_position"], asked.data["step_role"]) == (2, Role.ADMIN)
    assert describe(asked) == (
        "“Spring launch” waits for your approval at step 2 (Marketing approved the step before)."
    )
    assert told(Kind.APPROVED) == set()


def test_a_partly_approved_all_of_them_step_asks_nobody_new(cast, draft):
    chain(cast, (Role.MARKETING, StepMode.ALL, []), (Role.ADMIN, StepMode.ANY, []))
    submit(cast, draft)
    decide(cast.marketing, draft)
    assert told(Kind.SUBMITTED, draft) == emails(cast.marketing, cast.marketing2)
    decide(cast.marketing2, draft)
    assert cast.admin.email in told(Kind.SUBMITTED, draft)


def test_the_final_approval_tells_the_author_and_the_assignee(cast, draft):
    Post.objects.filter(pk=draft.pk).update(assignee=cast.content2)
    submit(cast, draft)
    decide(cast.marketing, draft)
    assert told(Kind.APPROVED, draft) == emails(cast.content, cast.content2)
    row = Notification.objects.filter(kind=Kind.APPROVED).first()
    assert describe(row) == "“Spring launch” is approved and will go out as planned."


def test_an_approver_who_is_also_the_assignee_is_not_told_of_their_own_approval(cast, draft):
    Post.objects.filter(pk=draft.pk).update(assignee=cast.marketing)
    submit(cast, draft)
    decide(cast.marketing, draft)
    assert told(Kind.APPROVED, draft) == emails(cast.content)


def test_changes_requested_tell_the_author_the_assignee_and_everyone_who_wrote(cast, draft):
    Post.objects.filter(pk=draft.pk).update(assignee=cast.contributor)
    edit(cast.content2, draft, "Spring is here, and so are we.")
    submit(cast, draft)
    decide(cast.marketing, draft, "request_changes", comment="Add the price.")
    assert told(Kind.DECIDED, draft) == emails(cast.content, cast.content2, cast.contributor)
    row = Notification.objects.filter(kind=Kind.DECIDED).first()
    assert (row.data["decision"], row.data["comment"]) == ("request_changes", "Add the price.")
    assert describe(row) == "Marketing decided on “Spring launch”: Changes requested."


def test_a_rejection_tells_the_author_and_not_the_marketer_who_rejected(cast, draft):
    submit(cast, draft)
    decide(cast.marketing, draft, "reject", comment="Off brand.")
    assert told(Kind.DECIDED, draft) == emails(cast.content)
    row = Notification.objects.get(kind=Kind.DECIDED)
    assert describe(row) == "Marketing decided on “Spring launch”: Rejected."


def test_the_sentence_keeps_the_title_once_the_post_is_gone(cast, draft):
    submit(cast, draft)
    row = Notification.objects.filter(kind=Kind.SUBMITTED).first()
    row.post = None  # what the inbox keeps of a deleted post's line, if it kept it
    assert "“Spring launch”" in describe(row)


# --- editing after approval ----------------------------------------------------------------


def test_editing_an_approved_post_tells_those_who_approved_it(cast, draft):
    chain(cast, (Role.MARKETING, StepMode.ALL, []))
    submit(cast, draft)
    decide(cast.marketing, draft)
    decide(cast.marketing2, draft)
    edit(cast.content, draft, "A late change.")
    assert told(Kind.APPROVAL_WITHDRAWN, draft) == emails(cast.marketing, cast.marketing2)
    row = Notification.objects.filter(kind=Kind.APPROVAL_WITHDRAWN).first()
    assert row.actor == cast.content
    assert "after it was approved" in describe(row)


def test_an_approver_who_edits_is_not_told_of_their_own_edit(cast, draft):
    submit(cast, draft)
    decide(cast.marketing, draft)
    edit(cast.marketing, draft, "I fixed a typo.")
    assert told(Kind.APPROVAL_WITHDRAWN) == set()


def test_editing_a_post_nobody_approved_tells_nobody(cast, draft):
    submit(cast, draft)
    edit(cast.content, draft, "Still in review, better now.")
    assert told(Kind.APPROVAL_WITHDRAWN) == set()


# --- delivery problems ---------------------------------------------------------------------


def failed_delivery(cast, draft) -> Publication:
    submit(cast, draft)
    decide(cast.marketing, draft)
    publication = Publication.objects.select_related("post__workspace", "channel").get(post=draft)
    publication.state = PublicationState.FAILED
    return publication


def test_a_delivery_problem_tells_the_author_and_the_admins(cast, draft):
    publication = failed_delivery(cast, draft)
    notices.publication_problem(publication, "The network refused the text.")
    assert told(Kind.PUBLICATION_PROBLEM, draft) == emails(cast.content, cast.admin)
    row = Notification.objects.filter(kind=Kind.PUBLICATION_PROBLEM).first()
    assert row.actor is None
    assert row.data["channel"] == publication.channel.name
    assert row.data["reason"] == "The network refused the text."
    assert describe(row) == (
        f"“Spring launch” did not go out as planned on {publication.channel.name}."
    )


def test_an_inactive_admin_is_not_told_of_a_delivery_problem(cast, draft):
    cast.admin.is_active = False
    cast.admin.save(update_fields=["is_active"])
    notices.publication_problem(failed_delivery(cast, draft), "Refused.")
    assert told(Kind.PUBLICATION_PROBLEM) == emails(cast.content)


# --- email -----------------------------------------------------------------------------


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://maillon.example"
    return settings.SITE_URL


def test_the_approvers_email_says_what_waits_and_links_to_the_post(
    cast, draft, site, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(cast, draft)
    assert {m.to[0] for m in mailoutbox} == emails(cast.marketing, cast.marketing2)
    message = mailoutbox[0]
    assert message.subject == (
        "[Maillon] “Spring launch” waits for your approval (submitted by Content)."
    )
    assert "“Spring launch” waits for your approval (submitted by Content)." in message.body
    assert f"https://maillon.example/posts/{draft.pk}/" in message.body
    assert "https://maillon.example/notifications/preferences/" in message.body


def test_the_changes_requested_email_carries_the_comment(
    cast, draft, site, mailoutbox, django_capture_on_commit_callbacks
):
    submit(cast, draft)
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast.marketing, draft, "request_changes", comment="Add the price, please.")
    (message,) = mailoutbox
    assert message.to == [cast.content.email]
    assert "Marketing decided on “Spring launch”: Changes requested." in message.body
    assert "Add the price, please." in message.body
    assert f"https://maillon.example/posts/{draft.pk}/" in message.body


def test_the_delivery_problem_email_gives_the_reason(
    cast, draft, site, mailoutbox, django_capture_on_commit_callbacks
):
    publication = failed_delivery(cast, draft)
    with django_capture_on_commit_callbacks(execute=True):
        notices.publication_problem(publication, "Mastodon refused the message (HTTP 422).")
    assert {m.to[0] for m in mailoutbox} == emails(cast.content, cast.admin)
    assert "did not go out as planned" in mailoutbox[0].body
    assert "Mastodon refused the message (HTTP 422)." in mailoutbox[0].body


def test_with_email_turned_off_for_a_kind_the_inbox_still_has_it(
    cast, draft, mailoutbox, django_capture_on_commit_callbacks
):
    inbox.notification_preferences_set(user=cast.marketing2, choices={Kind.SUBMITTED: False})
    with django_capture_on_commit_callbacks(execute=True):
        submit(cast, draft)
    assert {m.to[0] for m in mailoutbox} == emails(cast.marketing)
    assert told(Kind.SUBMITTED) == emails(cast.marketing, cast.marketing2)


def test_turning_one_kind_off_keeps_the_others_by_email(
    cast, draft, mailoutbox, django_capture_on_commit_callbacks
):
    inbox.notification_preferences_set(user=cast.content, choices={Kind.APPROVED: False})
    submit(cast, draft)
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast.marketing, draft, "request_changes", comment="Shorter.")
    assert [m.to[0] for m in mailoutbox] == [cast.content.email]


def test_unknown_kinds_are_refused_in_preferences(cast):
    with pytest.raises(Invalid):
        inbox.notification_preferences_set(user=cast.content, choices={"gossip": True})
