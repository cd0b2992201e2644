import pytest

from tests.factories import PASSWORD, MembershipFactory, PostFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_the_front_page_asks_a_visitor_to_sign_in(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b"Sign in to Maillon" in response.content


def test_a_member_signs_in_with_email_in_any_case_and_sees_their_workspace(client, cast):
    # A contributor: no second factor needed (tests/accounts/test_two_factor*.py)
    response = client.post(
        "/accounts/login/",
        {"username": cast.contributor.email.upper(), "password": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Acme" in response.content
    assert response.context["user"] == cast.contributor


def test_a_wrong_password_says_so_and_keeps_the_email(client, cast):
    response = client.post("/accounts/login/", {"username": cast.content.email, "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an account" in response.content
    assert cast.content.email.encode() in response.content


def test_the_overview_lists_only_the_current_workspaces_posts(client, cast, other):
    mine = PostFactory(workspace=cast.workspace, author=cast.content, body="Ours to plan")
    PostFactory(workspace=other.workspace, author=other.content, body="Theirs to plan")
    client.force_login(cast.content)
    response = client.get("/")
    assert mine.body.encode() in response.content
    assert b"Theirs to plan" not in response.content


def test_a_person_in_two_workspaces_switches_and_it_is_remembered(client, cast):
    second = WorkspaceFactory(name="Initech")
    MembershipFactory(user=cast.content, workspace=second, role="viewer")
    PostFactory(workspace=second, author=cast.content, body="Initech launch")
    client.force_login(cast.content)
    response = client.post(
        "/accounts/workspace/", {"workspace": second.pk, "next": "/"}, follow=True
    )
    assert b"Initech launch" in response.content
    cast.content.refresh_from_db()
    assert cast.content.current_workspace == second


def test_a_user_without_workspace_is_told_what_to_do(client, outsider):
    client.force_login(outsider)
    assert b"not in a workspace yet" in client.get("/").content


def test_the_pause_banner_shows_on_every_page_when_publishing_is_paused(client, cast):
    from django.utils import timezone

    cast.workspace.publishing_paused_at = timezone.now()
    cast.workspace.publishing_paused_reason = "Crisis: hold everything."
    cast.workspace.save()
    client.force_login(cast.viewer)
    assert b"Crisis: hold everything." in client.get("/").content


def test_a_person_sets_their_time_zone_and_language(client, cast):
    client.force_login(cast.content)
    response = client.post(
        "/accounts/profile/",
        {"full_name": "Camille", "time_zone": "America/New_York", "language": "fr"},
        follow=True,
    )
    assert response.status_code == 200
    cast.content.refresh_from_db()
    assert (cast.content.time_zone, cast.content.language) == ("America/New_York", "fr")
    assert response.context["LANGUAGE_CODE"] == "fr"


def test_an_unknown_time_zone_is_refused_on_the_form(client, cast):
    client.force_login(cast.content)
    response = client.post(
        "/accounts/profile/", {"full_name": "", "time_zone": "Mars/Olympus", "language": "en"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    cast.content.refresh_from_db()
    assert cast.content.time_zone == "Europe/Paris"


def test_a_forgotten_password_is_reset_through_an_emailed_link(client, cast, mailoutbox):
    import re

    client.post("/accounts/password/reset/", {"email": cast.viewer.email})
    (message,) = mailoutbox
    assert message.to == [cast.viewer.email]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    set_url = form_page.redirect_chain[-1][0]
    client.post(
        set_url,
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    cast.viewer.refresh_from_db()
    assert cast.viewer.check_password("a-new-long-passphrase")


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, mailoutbox):
    response = client.post(
        "/accounts/password/reset/", {"email": "nobody@example.test"}, follow=True
    )
    assert b"Check your email" in response.content
    assert mailoutbox == []


def test_the_reset_link_starts_with_site_url_whatever_host_the_request_named(
    client, cast, settings, mailoutbox
):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    settings.SITE_URL = "https://maillon.example"
    client.post("/accounts/password/reset/", {"email": cast.viewer.email}, HTTP_HOST="evil.example")
    (message,) = mailoutbox
    links = [w for w in message.body.split() if "/accounts/password/reset/" in w]
    assert links and all(
        link.startswith("https://maillon.example/accounts/password/reset/") for link in links
    )
    assert "evil.example" not in message.body
