"""@mentions: who a comment names, and who hears of a comment."""

from dataclasses import dataclass

import pytest

from planner.models import Notification, NotificationKind
from planner.posts import actions
from planner.posts.mentions import Directory, excerpt, mentioned, split
from tests.factories import MembershipFactory, PostFactory, UserFactory


@dataclass(frozen=True)
class Someone:
    pk: int
    email: str


CAMILLE = Someone(1, "camille@acme.test")
JEAN = Someone(2, "Jean.Dupont@acme.test")
LEA_ACME = Someone(3, "lea@acme.test")
LEA_GMAIL = Someone(4, "lea@gmail.test")
PEOPLE = Directory([CAMILLE, JEAN, LEA_ACME, LEA_GMAIL])


def names(text):
    return [p.pk for p in mentioned(text, PEOPLE)]


# --- parsing ----------------------------------------------------------------------


def test_a_handle_is_the_email_local_part_in_any_case():
    assert names("Thanks @camille and @CAMILLE") == [1]
    assert names("@jean.dupont can you check?") == [2]


def test_a_whole_email_names_its_owner():
    assert names("cc @Camille@Acme.test") == [1]


def test_punctuation_after_a_handle_is_not_part_of_it():
    for text in (
        "@camille.",
        "@camille,",
        "(@camille)",
        "@camille!",
        "@camille: look",
        "@camille?",
    ):
        assert names(text) == [1], text
    assert names("ask @camille@acme.test.") == [1]


def test_unknown_handles_stay_plain_text():
    assert names("@nobody and @camille-the-great and @@camille") == []
    parts = split("hello @nobody", PEOPLE)
    assert [(p.text, p.person) for p in parts] == [("hello @nobody", None)]


def test_an_email_address_in_running_text_is_not_a_mention():
    assert names("write to camille@acme.test or a@b.c") == []
    assert names("x@camille") == []


def test_a_local_part_two_members_share_needs_the_whole_email():
    assert names("@lea") == []
    assert names("@lea@gmail.test") == [4]
    assert PEOPLE.handle_of(LEA_GMAIL) == "lea@gmail.test"
    assert PEOPLE.handle_of(CAMILLE) == "camille"
    assert PEOPLE.handles == ["camille", "jean.dupont", "lea@acme.test", "lea@gmail.test"]


def test_the_text_is_cut_into_plain_parts_and_mentions_in_order():
    parts = split("Hi @camille, see @jean.dupont.", PEOPLE)
    assert [(p.text, p.person.pk if p.person else None) for p in parts] == [
        ("Hi ", None),
        ("@camille", 1),
        (", see ", None),
        ("@jean.dupont", 2),
        (".", None),
    ]
    assert "".join(p.text for p in parts) == "Hi @camille, see @jean.dupont."


def test_an_excerpt_is_short_and_on_one_line():
    assert excerpt("a\n\nb") == "a b"
    assert len(excerpt("word " * 100)) == 200
    assert excerpt("word " * 100).endswith("…")


# --- who hears of a comment -----------------------------------------------------------


def told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


@pytest.mark.django_db
def test_mentioned_members_hear_of_it_with_an_excerpt(cast, draft):
    actions.comment_add(actor=cast.contributor, post=draft, body="@marketing please look.")
    notification = Notification.objects.get(kind=NotificationKind.MENTION)
    assert notification.recipient == cast.marketing
    assert notification.actor == cast.contributor
    assert notification.post == draft
    assert notification.data["comment"] == "@marketing please look."


@pytest.mark.django_db
def test_the_author_and_assignee_hear_of_a_comment_unless_mentioned_or_commenting(cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content, assignee=cast.content2)
    actions.comment_add(actor=cast.contributor, post=post, body="Looks good.")
    assert told(NotificationKind.COMMENT) == ["content2@acme.test", "content@acme.test"]
    Notification.objects.all().delete()

    actions.comment_add(actor=cast.content, post=post, body="Thanks @content2")
    assert told(NotificationKind.MENTION) == ["content2@acme.test"]
    assert told(NotificationKind.COMMENT) == []


@pytest.mark.django_db
def test_a_member_of_another_workspace_is_not_notified(cast, other, draft):
    actions.comment_add(actor=cast.content2, post=draft, body="@admin@globex.test, hello")
    assert told(NotificationKind.MENTION) == []


@pytest.mark.django_db
def test_another_workspaces_member_with_the_same_handle_does_not_make_it_ambiguous(
    cast, other, draft
):
    actions.comment_add(actor=cast.content2, post=draft, body="@marketing see this")
    assert told(NotificationKind.MENTION) == ["marketing@acme.test"]


@pytest.mark.django_db
def test_a_member_who_left_is_not_mentioned(cast, draft):
    gone = UserFactory(email="gone@acme.test", is_active=False)
    MembershipFactory(user=gone, workspace=cast.workspace)
    actions.comment_add(actor=cast.content2, post=draft, body="@gone hello")
    assert told(NotificationKind.MENTION) == []


@pytest.mark.django_db
def test_the_commenter_mentioning_themself_is_not_told(cast, draft):
    actions.comment_add(actor=cast.content2, post=draft, body="note to @content2")
    assert told(NotificationKind.MENTION) == []


@pytest.mark.django_db
def test_a_mention_is_emailed_after_commit(
    cast, draft, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.comment_add(actor=cast.contributor, post=draft, body="@marketing urgent")
    mail = next(m for m in mailoutbox if m.to == ["marketing@acme.test"])
    assert "@marketing urgent" in mail.body
