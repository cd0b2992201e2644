"""A post's versions side by side, and the diff that draws them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner.posts import actions, writing
from planner.posts.diffs import DELETED, INSERTED, SAME, Piece, side_by_side
from tests.factories import ChannelFactory, PostFactory

# --- the diff --------------------------------------------------------------------


def test_unchanged_text_is_not_changed():
    diff = side_by_side("Same\ntext", "Same\ntext")
    assert not diff.changed
    assert all(row.before == row.after for row in diff.rows)


def test_a_changed_line_marks_the_words_deleted_and_inserted():
    diff = side_by_side("Our spring sale starts today.", "Our summer sale starts now.")
    (row,) = diff.rows
    assert row.before == (
        Piece(SAME, "Our "),
        Piece(DELETED, "spring"),
        Piece(SAME, " sale starts "),
        Piece(DELETED, "today"),
        Piece(SAME, "."),
    )
    assert row.after == (
        Piece(SAME, "Our "),
        Piece(INSERTED, "summer"),
        Piece(SAME, " sale starts "),
        Piece(INSERTED, "now"),
        Piece(SAME, "."),
    )


def test_a_rewritten_line_is_one_deletion_and_one_insertion():
    (row,) = side_by_side("Spring is here: our collection is out.", "Come to the shop.").rows
    assert row.before == (Piece(DELETED, "Spring is here: our collection is out."),)
    assert row.after == (Piece(INSERTED, "Come to the shop."),)


def test_added_and_removed_lines_have_no_counterpart():
    diff = side_by_side("one\ntwo\nthree", "one\nthree\nfour")
    assert [(r.before, r.after) for r in diff.rows] == [
        ((Piece(SAME, "one"),), (Piece(SAME, "one"),)),
        ((Piece(DELETED, "two"),), None),
        ((Piece(SAME, "three"),), (Piece(SAME, "three"),)),
        (None, (Piece(INSERTED, "four"),)),
    ]


def test_from_nothing_everything_is_inserted():
    diff = side_by_side("", "Hello")
    assert diff.changed
    assert [(r.before, r.after) for r in diff.rows] == [(None, (Piece(INSERTED, "Hello"),))]


# --- the page ------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def edit(actor, post, body, title="", variants=None):
    post.refresh_from_db()
    return writing.post_edit(
        actor=actor,
        post=post,
        expected_version=post.version,
        title=title,
        body=body,
        variants=variants
        if variants is not None
        else {v.channel_id: v.text for v in post.variants.all()},
    )


def versions(page):
    return re.findall(r'data-testid="version">(.*?)</section>', page, re.S)


def test_each_version_newest_first_with_its_author_and_a_side_by_side_diff(client, cast):
    news = ChannelFactory(workspace=cast.workspace, name="Newsletter")
    post = PostFactory(
        workspace=cast.workspace, author=cast.content, body="Spring sale today.", channels=[news]
    )
    edit(cast.content2, post, "Summer sale today.", title="Sale")
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{post.pk}/versions/").content.decode()
    newest, first = versions(page)
    assert "Version 2" in newest and "By Content2" in newest and "compared with version 1" in newest
    assert "Version 1" in first and "By Content" in first and "the first version" in first
    assert '<th scope="col" class="w-50">Before</th>' in newest
    assert '<th scope="col" class="w-50">After</th>' in newest
    assert '<del><span class="visually-hidden">[deleted: </span>Spring' in newest
    assert '<ins><span class="visually-hidden">[inserted: </span>Summer' in newest
    assert '<caption class="caption-top">Title</caption>' in newest
    assert "Text for Newsletter: unchanged" in newest
    assert "Images and videos: unchanged" in newest


def test_a_channels_own_text_is_diffed_under_its_name(client, cast):
    news = ChannelFactory(workspace=cast.workspace, name="Newsletter")
    social = ChannelFactory(workspace=cast.workspace, name="Social")
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=[news])
    edit(cast.content, post, post.body, variants={news.pk: "Short text", social.pk: ""})
    edit(cast.content, post, post.body, variants={news.pk: "Shorter text", social.pk: ""})
    edit(cast.content, post, post.body, variants={social.pk: ""})
    client.force_login(cast.content)
    page = client.get(f"/posts/{post.pk}/versions/").content.decode()
    v4, v3, v2, _v1 = versions(page)
    assert "Text for Newsletter — Channel removed in this version." in v4
    assert "Text for Newsletter</caption>" in v3
    assert "[deleted: </span>Short<" in v3 and "[inserted: </span>Shorter<" in v3
    assert "Text for Newsletter — Before: the main text." in v2
    assert "Text for Social — Channel added in this version, with the main text." in v2
    assert "Main text: unchanged" in v2


def test_the_decisions_on_each_version_are_listed_with_withdrawal(client, cast):
    post = PostFactory(workspace=cast.workspace, author=cast.content)
    actions.post_submit(actor=cast.content, post=post)
    actions.post_decide(
        actor=cast.marketing, post=post, decision="approve", expected_version=1, step_position=1
    )
    edit(cast.admin, post, "Fixed a typo.")
    post.refresh_from_db()
    actions.post_decide(
        actor=cast.marketing2,
        post=post,
        decision="request_changes",
        expected_version=2,
        step_position=1,
        comment="Add the price.",
    )
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{post.pk}/versions/").content.decode()
    v2, v1 = versions(page)
    assert "Changes requested" in v2 and "by Marketing2 at step 1 (marketing)" in v2
    assert "<q>Add the price.</q>" in v2
    assert "Approved" in v1 and "by Marketing at step 1 (marketing)" in v1
    assert 'data-testid="withdrawn"' in v1


def test_the_post_page_links_to_the_history_of_versions(client, cast, draft):
    edit(cast.content, draft, "Second take.")
    client.force_login(cast.viewer)
    page = client.get(f"/posts/{draft.pk}/").content.decode()
    assert (
        f'href="/posts/{draft.pk}/versions/" data-testid="versions-link">History of versions (2)'
        in page
    )


def test_another_workspaces_member_gets_not_found(client, cast, other, draft):
    client.force_login(other.admin)
    assert client.get(f"/posts/{draft.pk}/versions/").status_code == 404
    client.logout()
    assert client.get(f"/posts/{draft.pk}/versions/").status_code == 302


def post_with_versions(cast, count):
    channels = [ChannelFactory(workspace=cast.workspace) for _ in range(2)]
    post = PostFactory(workspace=cast.workspace, author=cast.content, channels=channels)
    for n in range(2, count + 1):
        edit(
            cast.content,
            post,
            f"Text number {n}",
            title=f"Title {n}",
            variants={c.pk: f"{c.name} {n}" for c in channels},
        )
        post.refresh_from_db()
        actions.post_submit(actor=cast.content, post=post)
        actions.post_decide(
            actor=cast.marketing,
            post=post,
            decision="request_changes",
            expected_version=post.version,
            step_position=1,
            comment=f"Again {n}",
        )
    return post


def test_the_number_of_queries_does_not_grow_with_the_versions(
    client, cast, django_assert_max_num_queries
):
    few, many = post_with_versions(cast, 3), post_with_versions(cast, 10)
    client.force_login(cast.viewer)
    client.get(f"/posts/{few.pk}/versions/")  # warm: what the first request of a session reads
    with CaptureQueriesContext(connection) as with_few:
        assert client.get(f"/posts/{few.pk}/versions/").status_code == 200
    with django_assert_max_num_queries(len(with_few)) as with_many:
        page = client.get(f"/posts/{many.pk}/versions/").content.decode()
    assert len(versions(page)) == 10
    # The versions, their decisions and their channels: each read once.
    for table in ("planner_postversion", "planner_approvaldecision", "planner_channel"):
        reads = [q for q in with_many.captured_queries if f'FROM "{table}"' in q["sql"]]
        assert len(reads) == 1, table
