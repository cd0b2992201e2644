"""The inbox, the bell in the navigation bar, and the email preferences page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Role
from planner import selectors
from planner.models import Notification, NotificationKind, NotificationPreference
from planner.notifications.notify import notify
from tests.factories import MembershipFactory, PostFactory

pytestmark = pytest.mark.django_db

Kind = NotificationKind


@pytest.fixture
def post(cast):
    return PostFactory(workspace=cast.workspace, author=cast.content, title="Spring launch")


def tell(cast, user, post, kind=Kind.SUBMITTED, workspace=None, **data):
    (row,) = notify(
        workspace=workspace or cast.workspace,
        kind=kind,
        recipients=[user],
        post=post,
        actor=cast.content,
        data={"post_title": str(post), **data},
    )
    return row


def test_the_bell_says_how_many_are_unread(client, cast, post):
    tell(cast, cast.marketing, post)
    tell(cast, cast.marketing, post, Kind.DECIDED, decision="reject")
    client.force_login(cast.marketing)
    page = client.get("/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in page
    assert 'data-testid="unread-count">2</span>' in page


def test_with_nothing_unread_the_bell_has_no_count(client, cast, post):
    tell(cast, cast.marketing, post)
    Notification.objects.update(read_at=timezone.now())
    client.force_login(cast.marketing)
    page = client.get("/").content.decode()
    assert 'aria-label="Notifications"' in page
    assert "unread-count" not in page


def test_the_unread_count_is_one_query(cast, post, django_assert_num_queries):
    tell(cast, cast.marketing, post)
    with django_assert_num_queries(1):
        assert selectors.unread_notification_count(cast.marketing) == 1


def test_the_inbox_lists_the_newest_first_with_the_unread_marked(client, cast, post):
    first = tell(cast, cast.marketing, post)
    second = tell(cast, cast.marketing, post, Kind.APPROVED)
    Notification.objects.filter(pk=first.pk).update(read_at=timezone.now())
    client.force_login(cast.marketing)
    page = client.get("/notifications/").content.decode()
    assert page.index("is approved and will go out") < page.index("waits for your approval")
    assert page.count('data-unread="true"') == 1
    assert f'action="/notifications/{second.pk}/open/"' in page
    assert "Unread:" in page
    assert "Mark all as read" in page


def test_opening_one_marks_it_read_and_leads_to_the_post(client, cast, post):
    row = tell(cast, cast.marketing, post)
    client.force_login(cast.marketing)
    response = client.post(f"/notifications/{row.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/posts/{post.pk}/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_opening_needs_a_post(client, cast, post):
    row = tell(cast, cast.marketing, post)
    client.force_login(cast.marketing)
    assert client.get(f"/notifications/{row.pk}/open/").status_code == 405
    row.refresh_from_db()
    assert row.read_at is None


def test_someone_elses_notification_is_not_found(client, cast, post):
    row = tell(cast, cast.marketing, post)
    client.force_login(cast.marketing2)
    assert client.post(f"/notifications/{row.pk}/open/").status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_a_notification_of_a_workspace_one_has_left_is_not_found(client, cast, post):
    row = tell(cast, cast.marketing, post)
    cast.marketing.memberships.all().delete()
    client.force_login(cast.marketing)
    assert client.post(f"/notifications/{row.pk}/open/").status_code == 404


def test_mark_all_as_read(client, cast, post):
    tell(cast, cast.marketing, post)
    tell(cast, cast.marketing, post, Kind.APPROVED)
    untouched = tell(cast, cast.marketing2, post)
    client.force_login(cast.marketing)
    response = client.post("/notifications/read/", follow=True)
    assert "All notifications are marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=cast.marketing, read_at__isnull=True).exists()
    untouched.refresh_from_db()
    assert untouched.read_at is None


def test_another_workspaces_notifications_are_never_shown(client, cast, other, post):
    """Someone in two workspaces sees, and counts, only the current one's."""
    MembershipFactory(user=cast.marketing, workspace=other.workspace, role=Role.MARKETING)
    theirs = PostFactory(workspace=other.workspace, author=other.content, title="Globex news")
    tell(other, cast.marketing, theirs, workspace=other.workspace)
    tell(cast, cast.marketing, post)
    client.force_login(cast.marketing)
    page = client.get("/notifications/").content.decode()
    assert "Spring launch" in page
    assert "Globex news" not in page
    assert 'aria-label="Notifications, 1 unread"' in page
    client.post("/notifications/read/")
    assert Notification.objects.filter(workspace=other.workspace, read_at__isnull=True).exists()


def test_the_inbox_is_empty_at_first(client, cast):
    client.force_login(cast.viewer)
    page = client.get("/notifications/").content.decode()
    assert 'data-testid="notifications-empty"' in page
    assert "Mark all as read" not in page


def test_the_inbox_shows_fifty_a_page(client, cast, post):
    for _ in range(51):
        tell(cast, cast.marketing, post)
    client.force_login(cast.marketing)
    first = client.get("/notifications/").content.decode()
    assert first.count('data-testid="notification"') == 50
    assert "Page 1 of 2" in first
    second = client.get("/notifications/?page=2").content.decode()
    assert second.count('data-testid="notification"') == 1


def test_the_inbox_needs_a_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- preferences ----------------------------------------------------------------------


def test_everything_comes_by_email_until_turned_off(client, cast):
    client.force_login(cast.content)
    page = client.get("/notifications/preferences/").content.decode()
    assert page.count('type="checkbox"') == len(Kind)
    assert page.count(" checked") == len(Kind)
    assert "A post waits for my approval" in page


def test_preferences_round_trip(client, cast):
    client.force_login(cast.content)
    keep = {kind.value: "on" for kind in Kind if kind not in (Kind.SUBMITTED, Kind.COMMENT)}
    response = client.post("/notifications/preferences/", keep, follow=True)
    assert "Your notification preferences are saved." in response.content.decode()
    choices = dict(
        NotificationPreference.objects.filter(user=cast.content).values_list("kind", "email")
    )
    assert choices[Kind.SUBMITTED] is False
    assert choices[Kind.COMMENT] is False
    assert choices[Kind.APPROVED] is True
    page = client.get("/notifications/preferences/").content.decode()
    assert page.count(" checked") == len(Kind) - 2
    assert 'name="submitted" id="id_submitted">' in page


def test_the_inbox_and_the_profile_lead_to_the_preferences(client, cast):
    client.force_login(cast.content)
    assert "/notifications/preferences/" in client.get("/notifications/").content.decode()
    assert "/notifications/preferences/" in client.get("/accounts/profile/").content.decode()
